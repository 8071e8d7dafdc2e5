"""What the jobs tell Prometheus and the logs: every run of a job (huey task) with its outcome and
duration, when each job last succeeded, the queue, and the figures an operator watches that
live in the database (outbox messages per state, compliance of the latest scan).

1. huey's pre- and post-execute hooks wrap every task, whoever enqueued it: the job's name is
   bound to every log line written while it runs, and its end is logged as `job_finished` with
   the outcome, the duration and the counts of the result a sweep returns.
2. Runs and durations are prometheus-client counters (per process; summed over the processes
   of a host by the multiprocess directory, `core.metrics`).
3. The last success of each job is kept in the shared cache (Redis in production), not in a
   process: a daily sweep's last success must survive the restart of every process, and any
   web process on any host reports it.
4. `OperationsCollector` reads the database and the queue when Prometheus scrapes, at most
   once per `FIGURES_SECONDS` for all processes together (the answer is kept in the cache), so
   several Prometheus servers and web workers do not multiply the queries.

Imported by `jobs.tasks` (so the job worker registers the hooks) and by the URL configuration
(so every web process reports the collector).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

import structlog
from django.core.cache import cache
from django.db import DatabaseError
from django.db.models import Min
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from huey.exceptions import RateLimitExceeded, RetryTask, TaskLockedException
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from channeldesk.core.logging import structlog_configure
from channeldesk.core.metrics import JOB_DURATION, JOB_RUNS, metrics_collector_register
from channeldesk.core.querysets import status_counts
from channeldesk.licensing.models import ComplianceEpisode, ComplianceRecord, ComplianceStatus
from channeldesk.notifications.models import DUE_STATUSES, OutboxMessage, OutboxStatus

structlog_configure()
logger = structlog.get_logger("channeldesk.jobs")

LAST_SUCCESS_KEY = "channeldesk:job-last-success:"
FIGURES_KEY = "channeldesk:metrics:database-figures"
# The database figures are at most this old (seconds); Prometheus scrapes every 15 to 60.
FIGURES_SECONDS = 30
# The states counted: the sent and dismissed messages (millions, over the years) are not, as
# counting them would read the whole table at every scrape.
OUTBOX_STATES = tuple(state for state in OutboxStatus.values if state not in ("sent", "dismissed"))

# When each running task started, by task id (the worker runs tasks in several threads).
_STARTED: dict[str, float] = {}


# --- 1-3: every run --------------------------------------------------------------------------


def job_outcome(exception: BaseException | None) -> str:
    """success, skipped (another run holds the job's lock), retry, or error."""
    if exception is None:
        return "success"
    if isinstance(exception, TaskLockedException):
        return "skipped"
    if isinstance(exception, (RetryTask, RateLimitExceeded)):
        return "retry"
    return "error"


def result_counts(value: Any) -> dict[str, int]:
    """The whole numbers of a sweep's result, for its job's log line: the fields of a dataclass
    (or of an `as_dict()`, or a dict), those of a result nested in it under its name
    (`plan_planned`), summed over a list of results with their number (`results`). Only that
    far down, so a result holding long lists is not copied. Zeros are left out: the minutely
    jobs, idle most of the time, log `counts={}`.
    """
    if isinstance(value, list | tuple):
        summed: Counter[str] = Counter(results=len(value))
        for item in value:
            summed.update(result_counts(item))
        return {key: number for key, number in summed.items() if number}
    counts: dict[str, int] = {}
    for key, item in _result_fields(value).items():
        if _is_count(item):
            counts[key] = item
        elif _result_fields(item):
            nested = _result_fields(item).items()
            counts |= {f"{key}_{name}": number for name, number in nested if _is_count(number)}
    return {key: number for key, number in counts.items() if number}


def _result_fields(value: Any) -> Mapping[str, Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    if hasattr(value, "as_dict"):
        value = value.as_dict()
    return {str(key): item for key, item in value.items()} if isinstance(value, Mapping) else {}


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@HUEY.pre_execute(name="channeldesk_job_started")
def job_started(task: Any) -> None:
    _STARTED[task.id] = time.monotonic()
    structlog.contextvars.bind_contextvars(job=task.name, job_run=task.id)


@HUEY.post_execute(name="channeldesk_job_finished")
def job_finished(task: Any, value: Any, exception: BaseException | None) -> None:
    seconds = time.monotonic() - _STARTED.pop(task.id, time.monotonic())
    outcome = job_outcome(exception)
    JOB_RUNS.labels(job=task.name, outcome=outcome).inc()
    JOB_DURATION.labels(job=task.name).observe(seconds)
    if outcome == "success":
        job_success_record(job=task.name, at=time.time())
    log = logger.info if outcome in ("success", "skipped") else logger.error
    log(
        "job_finished",
        outcome=outcome,
        duration_seconds=round(seconds, 3),
        counts=result_counts(value),
        error=type(exception).__name__ if exception is not None else None,
    )
    structlog.contextvars.unbind_contextvars("job", "job_run")


def job_success_record(*, job: str, at: float) -> None:
    """Keep when `job` last succeeded (epoch seconds), for every process to report."""
    try:
        cache.set(LAST_SUCCESS_KEY + job, at, timeout=None)
    except Exception:  # the cache down must not fail the job that just succeeded
        logger.warning("job_success_not_recorded", exc_info=True)


def job_names() -> list[str]:
    """The periodic jobs (the sweeps an operator expects to succeed regularly)."""
    from channeldesk.jobs import tasks  # noqa: F401, PLC0415 - registers the schedules

    return sorted({task_class.__name__ for task_class in HUEY._registry._periodic_tasks})


# --- 4: the figures read at scrape time ------------------------------------------------------


def database_figures(*, now: dt.datetime) -> dict[str, Any]:
    """The outbox and compliance figures: a handful of small, indexed queries."""
    outbox = status_counts(
        OutboxMessage.objects.filter(status__in=OUTBOX_STATES), statuses=OUTBOX_STATES
    )
    oldest_due = OutboxMessage.objects.filter(
        status__in=DUE_STATUSES, next_attempt_at__lte=now
    ).aggregate(oldest=Min("next_attempt_at"))["oldest"]
    latest_day = ComplianceRecord.objects.order_by("-day").values_list("day", flat=True).first()
    compliance = (
        status_counts(
            ComplianceRecord.objects.filter(day=latest_day), statuses=ComplianceStatus.values
        )
        if latest_day is not None
        else dict.fromkeys(ComplianceStatus.values, 0)
    )
    return {
        "outbox": outbox,
        "outbox_oldest_due_seconds": (
            max(0.0, (now - oldest_due).total_seconds()) if oldest_due is not None else 0.0
        ),
        "compliance": compliance,
        "compliance_scan_day": (
            dt.datetime.combine(latest_day, dt.time(), tzinfo=dt.UTC).timestamp()
            if latest_day is not None
            else None
        ),
        "open_episodes": ComplianceEpisode.objects.filter(ended_on__isnull=True).count(),
    }


def _figures() -> dict[str, Any] | None:
    """The database figures, from the cache when fresh; None when the database is down."""
    try:
        figures = cache.get(FIGURES_KEY)
    except Exception:
        figures = None
    if figures is not None:
        return figures  # type: ignore[no-any-return]
    try:
        figures = database_figures(now=timezone.now())
    except DatabaseError:
        return None
    # A cache outage shows in /readyz; the figures are fresh all the same.
    with contextlib.suppress(Exception):
        cache.set(FIGURES_KEY, figures, timeout=FIGURES_SECONDS)
    return figures


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _gauges(
    name: str, documentation: str, label: str, values: Mapping[str, float]
) -> GaugeMetricFamily:
    """One gauge family with a sample per label value (per job, per state, ...)."""
    family = GaugeMetricFamily(name, documentation, labels=[label])
    for label_value, value in values.items():
        family.add_metric([label_value], value)
    return family


class OperationsCollector(Collector):
    """The figures Prometheus reads at every scrape; see the module docstring, step 4."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        yield from self._queue()
        yield from self._last_successes()
        figures = _figures()
        yield _gauge(
            "channeldesk_database_figures_up",
            "1 when the database figures below could be read, 0 when the database failed.",
            1 if figures is not None else 0,
        )
        if figures is not None:
            yield from self._database(figures)

    def _queue(self) -> Iterator[GaugeMetricFamily]:
        try:
            pending, scheduled = HUEY.pending_count(), HUEY.scheduled_count()
        except Exception:  # the queue down shows in /readyz; nothing to report here
            return
        yield _gauge("channeldesk_job_queue_length", "Tasks waiting in the job queue.", pending)
        yield _gauge(
            "channeldesk_job_scheduled", "Tasks scheduled for later (retries, delays).", scheduled
        )

    def _last_successes(self) -> Iterator[GaugeMetricFamily]:
        names = job_names()
        try:
            found = cache.get_many([LAST_SUCCESS_KEY + name for name in names])
        except Exception:
            return
        yield _gauges(
            "channeldesk_job_last_success_timestamp_seconds",
            "When each periodic job last succeeded (Unix time); absent until its first success.",
            "job",
            {
                name: float(found[LAST_SUCCESS_KEY + name])
                for name in names
                if (LAST_SUCCESS_KEY + name) in found
            },
        )

    def _database(self, figures: dict[str, Any]) -> Iterator[GaugeMetricFamily]:
        yield _gauges(
            "channeldesk_outbox_messages",
            "Outbox messages per state (sent and dismissed ones are not counted).",
            "state",
            figures["outbox"],
        )
        yield _gauge(
            "channeldesk_outbox_oldest_due_seconds",
            "How long the oldest message due for sending has been waiting (0: none due).",
            figures["outbox_oldest_due_seconds"],
        )
        yield _gauges(
            "channeldesk_compliance_contracts",
            "Enterprise contracts per compliance status in the latest daily scan.",
            "status",
            figures["compliance"],
        )
        if figures["compliance_scan_day"] is not None:
            yield _gauge(
                "channeldesk_compliance_scan_day_timestamp_seconds",
                "The day of the latest compliance scan (Unix time of its midnight, UTC).",
                figures["compliance_scan_day"],
            )
        yield _gauge(
            "channeldesk_compliance_open_episodes",
            "Contracts under-licensed now (open episodes).",
            figures["open_episodes"],
        )


OPERATIONS_COLLECTOR = OperationsCollector()
metrics_collector_register(OPERATIONS_COLLECTOR)
