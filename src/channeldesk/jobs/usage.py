"""Jobs of the usage domain (imported by tasks.py, which holds the other schedules).

Both are thin triggers around idempotent sweeps: a lost run is caught up by the next one, and a
repeated or late run changes nothing (a closed month is never closed twice: the period row and
the unique statement per partner and period guard it).
"""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from channeldesk.core.periods import add_months
from channeldesk.jobs.schedules import schedule
from channeldesk.usage.closing import month_is_closed, period_rate, periods_close_due


@db_periodic_task(schedule(minute="20"))
def usage_hourly_rate() -> None:
    """Rate the open months (this month, and last month while it waits for its close), so
    the portal's preview is at most an hour old. Re-rating gives the same result."""
    this_month = timezone.localdate().replace(day=1)
    for month in (add_months(this_month, -1), this_month):
        if not month_is_closed(month):
            period_rate(month=month)


@db_periodic_task(schedule(minute="40", hour="2"))
def usage_daily_close() -> None:
    """Close every month whose grace period is over and issue its statements."""
    periods_close_due(now=timezone.now())
