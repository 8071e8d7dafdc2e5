"""The job processes: huey's consumer as `channeldesk scheduler` and `channeldesk worker`.

Both are huey consumers on the queue of `settings.HUEY` (Redis with `HUEY_REDIS_URL`, so that
consumers on several hosts share it; SQLite embedded). They differ in one thing: the scheduler
also enqueues the periodic tasks of `jobs/tasks.py`, and only while it holds the scheduler lease
(`SchedulerLease`), so a second scheduler started by mistake stands by instead of enqueueing
every schedule twice, and takes over when the first one dies.

Both drain on SIGTERM (`graceful_signal` in `settings.HUEY_CONSUMER`): no new task is taken,
the running ones finish, the process exits 0. Tasks still queued stay in the queue.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import time
from typing import Any

from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from huey import Huey
from huey.api import Task
from huey.consumer import Consumer, Scheduler
from huey.consumer_options import ConsumerConfig

from channeldesk.jobs.models import SchedulerLease

logger = logging.getLogger("channeldesk.jobs.scheduler")

PERIODIC = "periodic"
# How far back a scheduler enqueues what nobody enqueued (a restart, the queue away).
CATCH_UP_MINUTES = 60


def scheduler_holder() -> str:
    """Who holds the lease, as operators read it: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_claim(*, holder: str, now: dt.datetime, lease_seconds: int) -> bool:
    """Take or renew the lease of the periodic schedule; True while `holder` holds it.

    One UPDATE: it succeeds for the holder itself, or for anyone once the lease ran out.
    """
    SchedulerLease.objects.bulk_create([SchedulerLease(name=PERIODIC)], ignore_conflicts=True)
    renewed = (
        SchedulerLease.objects.filter(name=PERIODIC)
        .filter(Q(holder=holder) | Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(holder=holder, lease_until=now + dt.timedelta(seconds=lease_seconds))
    )
    return renewed == 1


def minute_claim(*, holder: str, minute: int) -> range:
    """Claim the minutes of the periodic schedule up to `minute` for `holder`; returns the
    minutes to enqueue (empty: nothing to do).

    Only the lease holder can claim, and only minutes after the last one claimed: a scheduler
    that takes the lease over mid-minute does not enqueue that minute again. Minutes nobody
    enqueued (the scheduler was restarted, the queue or the database was away) are returned
    too, at most CATCH_UP_MINUTES of them, so a daily task due meanwhile still runs.
    """
    with transaction.atomic():
        lease = (
            SchedulerLease.objects.select_for_update()
            .filter(name=PERIODIC, holder=holder, last_minute__lt=minute)
            .first()
        )
        if lease is None:
            return range(0)
        first = max(lease.last_minute + 1, minute - CATCH_UP_MINUTES + 1)
        lease.last_minute = minute
        lease.save(update_fields=["last_minute"])
    return range(first, minute + 1)


def periodic_tasks_due(huey: Huey, minutes: range) -> list[Task]:
    """The periodic tasks due in any of these minutes, each once (a task due every minute of a
    catch-up runs once, not once per missed minute)."""
    due: dict[str, Task] = {}
    for minute in minutes:
        for task in huey.read_periodic(huey_timestamp(huey, minute * 60)):
            due.setdefault(huey._registry.task_to_string(type(task)), task)
    return list(due.values())


def lease_release(*, holder: str) -> None:
    """Give the lease up at a clean stop, so a standby takes over at its next check instead of
    waiting for the lease to run out."""
    SchedulerLease.objects.filter(name=PERIODIC, holder=holder).update(lease_until=None)


class LeasedScheduler(Scheduler):
    """huey's scheduler, enqueueing the periodic tasks only under the lease.

    It checks every JOBS_SCHEDULER_CHECK_SECONDS (huey's own checks once a minute): the holder
    renews its lease, a standby tries to take it. The periodic tasks of a minute are enqueued
    once, by the first check of that minute that holds the lease and reaches the queue, with
    those of the minutes nobody enqueued before (`minute_claim`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.periodic_task_seconds = settings.JOBS_SCHEDULER_CHECK_SECONDS
        self.holder = scheduler_holder()
        # None until the first check, so that the first role is logged too.
        self.active: bool | None = None

    def enqueue_periodic_tasks(self, now: dt.datetime | None) -> None:
        epoch = time.time()
        if not self._queue_reachable():
            return
        minutes = self._claim(epoch)
        if len(minutes) > 1:
            logger.warning("Catching up %d minutes of periodic tasks.", len(minutes) - 1)
        for task in periodic_tasks_due(self.huey, minutes):
            self._logger.info("Enqueueing periodic task %s.", task)
            try:
                self.huey.enqueue(task)
            except Exception:
                self._logger.exception("Error enqueueing periodic task %s.", task)

    def _queue_reachable(self) -> bool:
        """Claim no minute while the queue is away (Redis restarting): the next check, in
        JOBS_SCHEDULER_CHECK_SECONDS, claims it and the minutes missed meanwhile."""
        try:
            self.huey.pending_count()
        except Exception:
            logger.warning("The job queue is not reachable; periodic tasks wait.", exc_info=True)
            return False
        return True

    def _claim(self, epoch: float) -> range:
        close_old_connections()
        minutes = range(0)
        try:
            held = lease_claim(
                holder=self.holder,
                now=dt.datetime.fromtimestamp(epoch, tz=dt.UTC),
                lease_seconds=settings.JOBS_SCHEDULER_LEASE_SECONDS,
            )
            if held:
                minutes = minute_claim(holder=self.holder, minute=int(epoch // 60))
        except DatabaseError:
            # The database is away (a restart): stand by, and try again at the next check.
            logger.exception("Scheduler lease not reachable; periodic tasks wait.")
            connection.close()
            held = False
        if held != self.active:
            self.active = held
            logger.info(
                "Scheduler %s is %s.",
                self.holder,
                "active: it enqueues the periodic tasks"
                if held
                else "on standby: another scheduler holds the lease",
            )
        return minutes

    def shutdown(self) -> None:
        super().shutdown()
        if self.active is not True:
            return
        try:
            lease_release(holder=self.holder)
        except DatabaseError:
            logger.warning("Could not release the scheduler lease; it runs out by itself.")
        finally:
            connection.close()


class ChannelDeskConsumer(Consumer):
    scheduler_class = LeasedScheduler


def huey_timestamp(huey: Huey, epoch: float) -> dt.datetime:
    """The naive timestamp huey evaluates its crontabs against (UTC or local, as huey is
    configured) for one instant."""
    if huey.utc:
        return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).replace(tzinfo=None)
    return timezone.localtime(dt.datetime.fromtimestamp(epoch, tz=dt.UTC)).replace(tzinfo=None)


def consumer_run(*, periodic: bool, workers: int | None = None) -> None:
    """Run a consumer until SIGTERM or SIGINT (both drain); `periodic`: also the scheduler's
    part, under the lease."""
    from huey.contrib.djhuey import HUEY  # noqa: PLC0415 (huey's Django app sets it up)

    options = dict(settings.HUEY.get("consumer", {}))
    options["periodic"] = periodic
    if workers is not None:
        options["workers"] = workers
    autodiscover_modules("tasks")
    config = ConsumerConfig(**options)
    config.validate()
    huey_logger = logging.getLogger("huey")
    if not huey_logger.handlers:
        config.setup_logger(huey_logger)
    consumer_class = ChannelDeskConsumer if periodic else Consumer
    consumer_class(HUEY, **config.values).run()
