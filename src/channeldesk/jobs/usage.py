"""Jobs of the usage domain (imported by tasks.py, which holds the other schedules).

Both are thin triggers around idempotent sweeps: a lost run is caught up by the next one, and a
repeated or late run changes nothing (a closed month is never closed twice: the period row and
the unique statement per partner and period guard it).
"""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from channeldesk.jobs.schedules import schedule
from channeldesk.usage.closing import (
    CloseResult,
    PeriodRateResult,
    periods_close_due,
    periods_rate_open,
)


@db_periodic_task(schedule(minute="20"))
def usage_hourly_rate() -> list[PeriodRateResult]:
    """Rate the open months (this month, and last month while it waits for its close)."""
    return periods_rate_open(today=timezone.localdate())


@db_periodic_task(schedule(minute="40", hour="2"))
def usage_daily_close() -> list[CloseResult]:
    """Close every month whose grace period is over and issue its statements."""
    return periods_close_due(now=timezone.now())
