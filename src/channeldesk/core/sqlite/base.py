"""Django's SQLite backend, with writers that take turns (docs/operations-sqlite.md).

SQLite lets one writer in at a time; the others wait in SQLite's busy handler, which polls with
sleeps growing to 100 ms, up to `timeout` (30 s). A process that runs write transactions back
to back (`channeldesk tiers notices`, a sweep, a long demo load) starts the next one a few
microseconds after it committed the last: the waiters, asleep, never see the gap, and after
30 s they fail with "database is locked". That is how a job worker crashed while the CLI sent
tier notices.

This backend makes such a writer leave a gap a waiter cannot miss: once a process has held the
write lock for `WRITER_SHARE_SECONDS` with no real pause, it waits `WRITER_GAP_SECONDS` (longer
than the busy handler's longest sleep) before its next `BEGIN IMMEDIATE`. A waiter thus gets
its turn within about half a second, while the long run loses a quarter of its time at most
(whether anybody waits cannot be known, so the pause is taken regardless). One long
transaction is not cut: an import that writes for a minute in one transaction still makes every
other writer wait that minute (see the operations document for what callers must do).
"""

from __future__ import annotations

import time
from typing import Any

from django.db.backends.sqlite3 import base

# Held this long (summed over back-to-back transactions), a writer pauses before the next one.
WRITER_SHARE_SECONDS = 0.4
# The pause: longer than the longest sleep of SQLite's busy handler (100 ms).
WRITER_GAP_SECONDS = 0.12


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_seconds = 0.0  # lock time since the last gap waiters could use
        self._lock_taken_at: float | None = None
        self._released_at = 0.0

    def _start_transaction_under_autocommit(self) -> None:
        self._give_waiters_a_turn()
        super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in django-stubs
        self._lock_taken_at = time.monotonic()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._lock_released()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]  # private in django-stubs
        finally:
            self._lock_released()

    def _give_waiters_a_turn(self) -> None:
        since_release = time.monotonic() - self._released_at
        if since_release >= WRITER_GAP_SECONDS:
            self._held_seconds = 0.0  # a gap long enough happened by itself
        elif self._held_seconds >= WRITER_SHARE_SECONDS:
            time.sleep(WRITER_GAP_SECONDS - since_release)
            self._held_seconds = 0.0

    def _lock_released(self) -> None:
        if self._lock_taken_at is None:
            return
        self._released_at = time.monotonic()
        self._held_seconds += self._released_at - self._lock_taken_at
        self._lock_taken_at = None
