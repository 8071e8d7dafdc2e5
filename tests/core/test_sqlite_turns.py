"""The embedded backend's turns between writers (channeldesk.core.sqlite; the processes that
depend on them: tests/operations/test_sqlite_concurrency.py), and the commit mark that lets a
long job check before it takes the write lock (channeldesk.core.database)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from channeldesk.core import database as core_database
from channeldesk.core.sqlite import base
from channeldesk.core.sqlite.base import WRITER_GAP_SECONDS, WRITER_SHARE_SECONDS, DatabaseWrapper


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(base.time, "monotonic", fake.monotonic)
    monkeypatch.setattr(base.time, "sleep", fake.sleep)
    return fake


@pytest.fixture
def database(tmp_path: Path, django_db_blocker: Any) -> Iterator[DatabaseWrapper]:
    """A connection of its own to a scratch file (not the test database)."""
    settings = {
        "ENGINE": "channeldesk.core.sqlite",
        "NAME": str(tmp_path / "turns.sqlite3"),
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 1},
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }
    wrapper = DatabaseWrapper(settings, alias="turns")
    with django_db_blocker.unblock():
        wrapper.ensure_connection()
        yield wrapper
        wrapper.close()


def _transaction(database: DatabaseWrapper, clock: FakeClock, *, held: float) -> None:
    database._start_transaction_under_autocommit()
    database.cursor().execute("CREATE TABLE IF NOT EXISTS t (x int)")
    clock.now += held
    database.commit()


def test_a_writer_back_to_back_pauses_once_it_held_the_lock_long_enough(
    database: DatabaseWrapper, clock: FakeClock
) -> None:
    # Given transactions that each hold the lock for 0.3 s, started right after each other
    for _ in range(5):
        _transaction(database, clock, held=0.3)

    # Then the writer paused before the 3rd and the 5th (0.6 s held since its last pause)
    assert WRITER_SHARE_SECONDS == 0.4
    assert clock.slept == [WRITER_GAP_SECONDS, WRITER_GAP_SECONDS]


def test_a_writer_with_gaps_of_its_own_never_pauses(
    database: DatabaseWrapper, clock: FakeClock
) -> None:
    for _ in range(5):
        _transaction(database, clock, held=0.3)
        clock.now += WRITER_GAP_SECONDS  # e.g. reading or rendering outside the transaction

    assert clock.slept == []


def test_a_commit_by_another_connection_is_noticed_and_none_of_our_own(
    database: DatabaseWrapper, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a mark taken on our connection
    monkeypatch.setattr(core_database, "connection", database)
    database.cursor().execute("CREATE TABLE t (x int)")
    mark = core_database.commit_mark()

    # When only we write, nobody else committed
    database.cursor().execute("INSERT INTO t VALUES (1)")
    assert not core_database.others_committed_since(mark)

    # When another process commits, it is noticed
    other = sqlite3.connect(database.settings_dict["NAME"])
    other.execute("INSERT INTO t VALUES (2)")
    other.commit()
    other.close()
    assert core_database.others_committed_since(mark)
    # and without a mark, anything may have changed
    assert core_database.others_committed_since(None)
