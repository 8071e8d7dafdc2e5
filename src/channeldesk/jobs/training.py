"""Jobs of the training domain and of the tier notices (see tasks.py): thin triggers around
idempotent sweeps; a lost, repeated or late run changes nothing."""

from django.utils import timezone
from huey.contrib.djhuey import db_periodic_task

from channeldesk.jobs.schedules import schedule
from channeldesk.tiers.hotlines import caller_numbers_refresh
from channeldesk.tiers.notices import NoticeSendResult, tier_notices_send
from channeldesk.training.services import TrainingSweepResult, training_sweep


@db_periodic_task(schedule(minute="30", hour="1"))
def training_daily_sweep() -> TrainingSweepResult:
    """Tell partners about completions expiring in 60 days; re-tier partners whose completion
    expired or whose booked session passed (after `tiers_daily_sweep` at 1:15)."""
    return training_sweep(today=timezone.localdate())


@db_periodic_task(schedule(minute="*/10"))
def tier_notices_dispatch() -> NoticeSendResult:
    """Send the tier-change notices that are due: letters into the day's print batch, e-mails
    into the outbox (sent by `outbox_minutely_dispatch`)."""
    return tier_notices_send(today=timezone.localdate())


@db_periodic_task(schedule(minute="45", hour="1"))
def caller_numbers_daily_refresh() -> dict[str, int]:
    """Rebuild the E.164 caller numbers the phone system's route lookup uses."""
    return {"caller_numbers": caller_numbers_refresh()}
