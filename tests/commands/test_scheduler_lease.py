"""The scheduler lease in the database: one holder at a time, each minute enqueued once, and
the commands that run the job consumers (`channeldesk scheduler`, `worker`, `web`)."""

from __future__ import annotations

import datetime as dt
import sys
from io import StringIO
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from huey import SqliteHuey, crontab

from channeldesk.jobs import consumer
from channeldesk.jobs.consumer import (
    CATCH_UP_MINUTES,
    huey_timestamp,
    lease_claim,
    lease_release,
    minute_claim,
    periodic_tasks_due,
)
from channeldesk.jobs.models import SchedulerLease

BERLIN = ZoneInfo("Europe/Berlin")
NOON = dt.datetime(2026, 12, 7, 12, 0, 30, tzinfo=dt.UTC)
MINUTE = int(NOON.timestamp() // 60)


def later(seconds: float) -> dt.datetime:
    return NOON + dt.timedelta(seconds=seconds)


@pytest.mark.django_db
def test_the_first_scheduler_takes_the_lease_and_a_second_stands_by() -> None:
    assert lease_claim(holder="a:1", now=NOON, lease_seconds=90)
    assert not lease_claim(holder="b:2", now=later(10), lease_seconds=90)
    assert lease_claim(holder="a:1", now=later(15), lease_seconds=90)
    assert SchedulerLease.objects.get().holder == "a:1"


@pytest.mark.django_db
def test_the_standby_takes_over_once_the_lease_ran_out() -> None:
    lease_claim(holder="a:1", now=NOON, lease_seconds=90)

    assert not lease_claim(holder="b:2", now=later(89), lease_seconds=90)
    assert lease_claim(holder="b:2", now=later(91), lease_seconds=90)
    assert not lease_claim(holder="a:1", now=later(95), lease_seconds=90), "the old one is out"


@pytest.mark.django_db
def test_a_released_lease_is_taken_over_at_once() -> None:
    lease_claim(holder="a:1", now=NOON, lease_seconds=90)
    lease_release(holder="b:2")
    assert not lease_claim(holder="b:2", now=later(1), lease_seconds=90), "only its holder"

    lease_release(holder="a:1")

    assert lease_claim(holder="b:2", now=later(2), lease_seconds=90)


@pytest.mark.django_db
def test_each_minute_is_claimed_once_even_across_a_takeover() -> None:
    lease_claim(holder="a:1", now=NOON, lease_seconds=5)
    minute_claim(holder="a:1", minute=MINUTE - 1)
    assert minute_claim(holder="a:1", minute=MINUTE) == range(MINUTE, MINUTE + 1)
    assert not minute_claim(holder="a:1", minute=MINUTE), "the second check of that minute"
    assert not minute_claim(holder="b:2", minute=MINUTE + 1), "not without the lease"

    lease_claim(holder="b:2", now=later(10), lease_seconds=5)

    assert not minute_claim(holder="b:2", minute=MINUTE), "the old holder's minute"
    assert minute_claim(holder="b:2", minute=MINUTE + 1) == range(MINUTE + 1, MINUTE + 2)
    assert SchedulerLease.objects.get().last_minute == MINUTE + 1


@pytest.mark.django_db
def test_minutes_nobody_enqueued_are_caught_up_for_an_hour_at_most() -> None:
    lease_claim(holder="a:1", now=NOON, lease_seconds=90)
    minute_claim(holder="a:1", minute=MINUTE - 10)

    assert minute_claim(holder="a:1", minute=MINUTE) == range(MINUTE - 9, MINUTE + 1)
    assert minute_claim(holder="a:1", minute=MINUTE + 500) == range(
        MINUTE + 500 - CATCH_UP_MINUTES + 1, MINUTE + 501
    )


def test_a_catch_up_enqueues_each_task_due_once() -> None:
    """Missed from 01:10 to 01:20 Berlin: the daily 01:15 task is due, the minutely one runs
    once, the one at 02:40 is not due."""
    huey = SqliteHuey("catch-up", utc=False, filename=":memory:")
    huey.periodic_task(crontab(minute="15", hour="1"), name="daily")(lambda: None)
    huey.periodic_task(crontab(minute="*"), name="minutely")(lambda: None)
    huey.periodic_task(crontab(minute="40", hour="2"), name="night")(lambda: None)
    at_0110 = int(dt.datetime(2026, 12, 7, 1, 10, tzinfo=BERLIN).timestamp() // 60)

    due = periodic_tasks_due(huey, range(at_0110, at_0110 + 11))

    assert sorted(task.name for task in due) == ["daily", "minutely"]
    assert [task.name for task in periodic_tasks_due(huey, range(at_0110, at_0110 + 5))] == [
        "minutely"
    ]


def test_crontabs_are_evaluated_at_the_instant_of_the_minute_claimed() -> None:
    epoch = NOON.timestamp()

    utc = SqliteHuey("x", utc=True, filename=":memory:")
    local = SqliteHuey("x", utc=False, filename=":memory:")

    assert huey_timestamp(utc, epoch) == dt.datetime(2026, 12, 7, 12, 0, 30)
    assert huey_timestamp(local, epoch) == dt.datetime(2026, 12, 7, 13, 0, 30)  # Berlin


@pytest.mark.parametrize(("command", "periodic"), [("scheduler", True), ("worker", False)])
def test_the_scheduler_runs_the_periodic_tasks_and_a_worker_does_not(
    monkeypatch: pytest.MonkeyPatch, command: str, periodic: bool
) -> None:
    runs: list[dict[str, Any]] = []
    # The scheduler is the worker command with the periodic tasks: both start the consumer there.
    monkeypatch.setattr(
        "channeldesk.jobs.management.commands.worker.consumer_run",
        lambda **options: runs.append(options),
    )

    call_command(command, "--workers", "3")

    assert runs == [{"periodic": periodic, "workers": 3}]


@pytest.mark.parametrize("command", ["scheduler", "worker"])
@pytest.mark.parametrize("value", ["0", "many"])
def test_a_consumer_refuses_a_bad_number_of_workers(command: str, value: str) -> None:
    with pytest.raises(CommandError, match="not a number of workers"):
        call_command(command, "--workers", value)


def test_only_the_scheduler_consumer_holds_a_lease(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[type] = []

    class Recording:
        def __init__(self, huey: object, **options: Any) -> None:
            created.append(type(self))

        def run(self) -> None:
            pass

    monkeypatch.setattr(consumer, "ChannelDeskConsumer", type("Leased", (Recording,), {}))
    monkeypatch.setattr(consumer, "Consumer", type("Plain", (Recording,), {}))

    consumer.consumer_run(periodic=True)
    consumer.consumer_run(periodic=False)

    assert [kind.__name__ for kind in created] == ["Leased", "Plain"]


def test_web_becomes_gunicorn_with_the_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    executed: list[tuple[str, list[str]]] = []
    monkeypatch.setattr("os.execv", lambda path, arguments: executed.append((path, arguments)))

    call_command("web", "--bind", "0.0.0.0:9000", "--workers", "3", stdout=StringIO())

    gunicorn = [sys.executable, "-m", "gunicorn", "--config", "python:channeldesk.gunicorn_conf"]
    options = ["--bind", "0.0.0.0:9000", "--workers", "3"]
    assert executed == [(sys.executable, [*gunicorn, *options, "channeldesk.wsgi:application"])]
