"""Two `channeldesk scheduler` processes started by mistake enqueue every periodic task once:
the second stands by, takes over when the first dies, and never repeats a minute the first
one enqueued.

Real processes on PostgreSQL and Redis, every schedule shortened to each minute
(JOBS_EVERY_MINUTE); the lease is short (4 s) and checked every second, so the test runs in
about a minute.
"""

from __future__ import annotations

import signal
import time

import pytest

from channeldesk.jobs.models import SchedulerLease
from tests.operations.production_processes import (  # noqa: F401 - fixtures
    Launcher,
    Started,
    launcher_fixture,
    redis_url_fixture,
    wait_for,
)

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres_only,
    pytest.mark.processes,
]

SHORT_LEASE = {
    "JOBS_EVERY_MINUTE": "1",
    "JOBS_SCHEDULER_LEASE_SECONDS": "4",
    "JOBS_SCHEDULER_CHECK_SECONDS": "1",
}
# One task stands for all: every periodic task is enqueued by the same check.
ENQUEUED = "Enqueueing periodic task channeldesk.jobs.tasks.tiers_daily_sweep"


def lease() -> SchedulerLease | None:
    return SchedulerLease.objects.filter(name="periodic").first()


def holder_pid() -> int | None:
    current = lease()
    if current is None or not current.holder or current.lease_until is None:
        return None
    return int(current.holder.rsplit(":", 1)[1])


def enqueued(*schedulers: Started) -> int:
    return sum(scheduler.output().count(ENQUEUED) for scheduler in schedulers)


def test_a_second_scheduler_stands_by_and_takes_over_without_repeating_a_minute(
    launcher: Launcher,
) -> None:
    first = launcher.start("scheduler-1", "scheduler", **SHORT_LEASE)
    wait_for(lambda: enqueued(first) == 1, what="the first scheduler to enqueue its minute")
    first_minute = lease().last_minute  # type: ignore[union-attr]
    second = launcher.start("scheduler-2", "scheduler", **SHORT_LEASE)
    wait_for(lambda: "on standby" in second.output(), what="the second one to stand by")
    assert holder_pid() == first.process.pid

    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=30)
    wait_for(lambda: holder_pid() == second.process.pid, timeout=30, what="the takeover")
    taken_over_in = int(time.time() // 60)
    wait_for(
        lambda: lease().last_minute > first_minute,  # type: ignore[union-attr]
        timeout=75,
        what="the next minute's periodic tasks",
    )
    wait_for(lambda: enqueued(second) >= 1, timeout=10, what="the second one's log line")

    # The minute the first one enqueued was not enqueued again by the second one, and from
    # then on each minute was enqueued once: one enqueue per minute, all in all.
    last_minute = lease().last_minute  # type: ignore[union-attr]
    assert enqueued(first) == 1
    assert enqueued(first, second) == last_minute - first_minute + 1
    assert "is active" in second.output()
    if taken_over_in == first_minute:
        assert enqueued(second) == last_minute - first_minute

    assert second.stop() == 0, second.output()
    assert lease().lease_until is None, "a scheduler stopped cleanly gives its lease up"  # type: ignore[union-attr]


def test_a_cleanly_stopped_scheduler_hands_over_at_once(launcher: Launcher) -> None:
    """With a lease of 90 s, the standby takes over within seconds of a clean stop."""
    settings = {**SHORT_LEASE, "JOBS_SCHEDULER_LEASE_SECONDS": "90"}
    first = launcher.start("scheduler-1", "scheduler", **settings)
    wait_for(lambda: holder_pid() == first.process.pid, what="the first scheduler's lease")
    second = launcher.start("scheduler-2", "scheduler", **settings)
    wait_for(lambda: "on standby" in second.output(), what="the second one to stand by")

    stopped_at = time.monotonic()
    assert first.stop() == 0, first.output()
    wait_for(lambda: holder_pid() == second.process.pid, timeout=15, what="the handover")

    assert time.monotonic() - stopped_at < 15
    assert second.stop() == 0, second.output()
