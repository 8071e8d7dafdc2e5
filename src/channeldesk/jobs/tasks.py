"""Every schedule of ChannelDesk, in one module. Each job is a thin trigger around an idempotent
sweep in a domain's services: a lost, repeated or late run changes nothing. Each calls exactly one
sweep, which has a twin on the command line (docs/processes.md, "Jobs"), and returns its result:
its counts go into the job's `job_finished` log line (jobs/metrics.py).

`channeldesk scheduler` enqueues them (one per installation), `channeldesk worker`s and the
scheduler run them; `channeldesk serve` (and `make demo`) starts both (docs/processes.md).
"""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from channeldesk.contracts.reminders.services import ReminderRunResult, reminders_run
from channeldesk.jobs.schedules import schedule
from channeldesk.notifications.dispatch import outbox_dispatch
from channeldesk.notifications.leases import DispatchResult
from channeldesk.tiers.services import SweepResult, tiers_sweep


@db_periodic_task(schedule(minute="15", hour="1"))
def tiers_daily_sweep() -> SweepResult:
    """Apply a policy whose day has come, tier new partners, end expired overrides."""
    return tiers_sweep(today=timezone.localdate())


@db_periodic_task(schedule(minute="5"))
def reminders_hourly_sweep() -> ReminderRunResult:
    """Plan renewal reminders, expire contracts that ran out, send the reminders due today.

    Hourly rather than daily so that a failed or missed run is caught up within the hour; the
    sweep is idempotent, so the repeated runs of a day find nothing more to do. The e-mails it
    hands to the outbox go out with `outbox_minutely_dispatch`.
    """
    return reminders_run(today=timezone.localdate(), dispatch_outbox=False)


@db_periodic_task(schedule(minute="*"))
def outbox_minutely_dispatch() -> DispatchResult:
    """Send the e-mails that are due: new ones, and retries whose backoff has run out."""
    return outbox_dispatch()


# Every run is counted and logged (jobs/metrics.py: huey's pre- and post-execute hooks).
import channeldesk.jobs.metrics  # noqa: E402, F401

# The other domains' schedules live beside this module; importing them here registers them.
from channeldesk.jobs import imports, licensing, training, usage, webhooks  # noqa: E402, F401
