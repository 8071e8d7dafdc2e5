"""Every schedule of ChannelDesk, in one module. Each job is a thin trigger around an idempotent
sweep in a domain's services: a lost, repeated or late run changes nothing.

Run the worker with `channeldesk run_huey` (`make demo` starts it).
"""

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from channeldesk.tiers.services import tiers_sweep


@db_periodic_task(crontab(minute="15", hour="1"))
def tiers_daily_sweep() -> None:
    """Apply a policy whose day has come, tier new partners, end expired overrides."""
    tiers_sweep(on=timezone.localdate())
