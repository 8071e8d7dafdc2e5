"""The reminder flow's tunables, read from Django settings, where each is declared once with
its default (docs/reminders.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class ReminderSettings:
    """What planning and the dispatcher need to know.

    - `horizon_days`: reminders are planned once they are due within this many days, so the
      table holds the next weeks' work rather than every contract's far future;
    - `batch_size`: reminders one dispatcher claims at once;
    - `lease`: how long a claim is held; a dispatcher starts no reminder in the second half of
      its lease, and a claim older than its lease is taken to be dead;
    - `poll_interval`: how long `reminders dispatch --loop` sleeps when nothing is due.
    """

    horizon_days: int
    batch_size: int
    lease: dt.timedelta
    poll_interval: float


def reminder_settings() -> ReminderSettings:
    """The current values; read on every call so tests can override settings."""
    return ReminderSettings(
        horizon_days=max(0, int(settings.REMINDERS_PLANNING_HORIZON_DAYS)),
        batch_size=max(1, int(settings.REMINDERS_BATCH_SIZE)),
        lease=dt.timedelta(seconds=float(settings.REMINDERS_LEASE_SECONDS)),
        poll_interval=float(settings.REMINDERS_POLL_SECONDS),
    )


def reminders_start_date() -> dt.date:
    """`settings.REMINDERS_START_DATE` (a date or an ISO string): where the default schedule
    starts. Only the migration that creates that schedule and `schedule_install_default` read it;
    afterwards the schedule's own date, editable in the admin, is what counts."""
    value = settings.REMINDERS_START_DATE
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))
