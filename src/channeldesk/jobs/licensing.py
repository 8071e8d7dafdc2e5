"""Jobs of the licensing domain (imported by tasks.py, which holds the other schedules).

Each is a thin trigger around an idempotent sweep: a lost, repeated or late run changes nothing.
"""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from channeldesk.jobs.schedules import schedule
from channeldesk.licensing.compliance import ComplianceSweepResult, compliance_sweep
from channeldesk.licensing.services import installations_mark_stale


@db_periodic_task(schedule(minute="40", hour="2"))
def licensing_daily_compliance() -> ComplianceSweepResult:
    """Mark stale installations, scan compliance through today (catching up missed days), queue
    the partner notices of new under-licensing episodes and vendor staff's digest.

    The scan replaces a day's records when run again; notices are keyed per episode and the
    digest per day, so a repeated run queues nothing twice. The outbox job sends them.
    """
    return compliance_sweep(today=timezone.localdate())


@db_periodic_task(schedule(minute="20"))
def licensing_hourly_stale_installations() -> dict[str, int]:
    """Installations not seen within LICENSING_ACTIVE_DAYS become stale (one UPDATE)."""
    return {"stale_installations": installations_mark_stale(today=timezone.localdate())}
