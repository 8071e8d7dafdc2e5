"""Staff decisions on single reminders, and the whole sweep as one call.

`reminders_run` is what cron (`channeldesk reminders run`), the huey job and the demo loader
call: plan, expire contracts, dispatch the due reminders, and let the outbox send the e-mails.
Each step is idempotent, so a repeated, lost or late run changes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from channeldesk.contracts.models import Reminder, ReminderEventKind, ReminderStatus
from channeldesk.contracts.reminders.dispatch import reminders_dispatch
from channeldesk.contracts.reminders.history import Actor, reminders_close
from channeldesk.contracts.reminders.planning import ReminderPlanResult, reminders_plan
from channeldesk.contracts.reminders.selectors import ReminderNotFound, reminder_get
from channeldesk.contracts.services import contracts_expire
from channeldesk.core.errors import Conflict
from channeldesk.notifications.dispatch import outbox_dispatch
from channeldesk.notifications.leases import DispatchResult
from channeldesk.notifications.review import Reviewable, ReviewLock

# Staff may send these (again) ...
RELEASABLE = (ReminderStatus.REVIEW, ReminderStatus.FAILED)
# ... and close these without sending.
DISMISSABLE = (ReminderStatus.PLANNED, ReminderStatus.REVIEW, ReminderStatus.FAILED)


class ReminderError(Conflict):
    """A staff decision the reminder's state does not allow; the message says why."""

    code = "reminder_refused"


@dataclass(frozen=True)
class ReminderRunResult:
    """What one sweep did, step by step (`outbox` is None when it was left out)."""

    today: dt.date
    expired_contracts: int
    plan: ReminderPlanResult
    dispatch: DispatchResult
    outbox: DispatchResult | None


def reminders_run(
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    limit: int = 1000,
    expire_contracts: bool = True,
    dispatch_outbox: bool = True,
) -> ReminderRunResult:
    """The sweep for `today` (default: today in Europe/Berlin).

    1. Plan (`reminders_plan`): cancel what no longer holds, insert what is missing. Planning
       comes first so that a contract that ran out before planning ever saw it still gets its
       rows, and the ones it is too late for are marked missed, not left out.
    2. Mark contracts that ran out before `today` expired (`contracts_expire`).
    3. Send the reminders due by `today`, up to `limit` (`reminders_dispatch`).
    4. Let the outbox send the e-mails that are due now (`outbox_dispatch`).

    Replaying past days (the demo) passes `today` and `now` for each day; the outbox step then
    sends at the real time, which is when the messages really leave.
    """
    now_or_real = now or timezone.now()
    today = today or timezone.localdate(now_or_real)
    plan = reminders_plan(today=today, now=now)
    expired = contracts_expire(today=today) if expire_contracts else 0
    dispatch = reminders_dispatch(today=today, now=now, limit=limit)
    outbox = outbox_dispatch(limit=limit) if dispatch_outbox else None
    return ReminderRunResult(
        today=today, expired_contracts=expired, plan=plan, dispatch=dispatch, outbox=outbox
    )


@transaction.atomic
def reminder_release(
    *, reminder: Reminder, actor: Actor = None, note: str = "", now: dt.datetime | None = None
) -> Reminder:
    """Send a reminder in review or failed (again): it is planned and goes out on the next run.

    A letter in review whose PDF was archived before its dispatcher died is sent with that
    archived letter (the key is the reminder's); none is rendered twice. The rule's grace still
    applies: a reminder released too long after its due date is marked missed.
    """
    locked = _review(reminder, allowed=RELEASABLE, action="released")
    before = locked.status
    detail = f"Released from {locked.status}. {note}".strip()
    reminders_close(
        rows=[(locked.pk, detail)],
        status=ReminderStatus.PLANNED,
        kind=ReminderEventKind.RELEASED,
        reason="Released by staff.",
        at=now or timezone.now(),
        from_statuses=RELEASABLE,
        actor=actor,
    )
    locked.refresh_from_db()
    _review.audit("reminder.release", locked, before=before, actor=actor, note=note)
    return locked


@transaction.atomic
def reminder_dismiss(
    *, reminder: Reminder, reason: str, actor: Actor = None, now: dt.datetime | None = None
) -> Reminder:
    """Close a planned, review or failed reminder without sending it, saying why."""
    if not reason.strip():
        raise ReminderError("Say why the reminder is dismissed.")
    locked = _review(reminder, allowed=DISMISSABLE, action="dismissed")
    before = locked.status
    reminders_close(
        rows=[(locked.pk, f"Dismissed from {locked.status}: {reason.strip()}")],
        status=ReminderStatus.CANCELLED,
        kind=ReminderEventKind.CANCELLED,
        reason=f"Dismissed: {reason.strip()}",
        at=now or timezone.now(),
        from_statuses=DISMISSABLE,
        actor=actor,
    )
    locked.refresh_from_db()
    _review.audit("reminder.dismiss", locked, before=before, actor=actor, note=reason.strip())
    return locked


# How a staff decision locks the row (if its status allows the action) and is recorded, under
# the partner who sold the contract.
_review = ReviewLock[Reminder](
    noun="reminders",
    name=lambda reminder: reminder.key,
    refusal=ReminderError,
    partner=lambda reminder: reminder.contract.partner_id,
)


# How staff review reminders, in the admin, the back office and `channeldesk reminders`.
REMINDER_REVIEW: Reviewable[Reminder] = Reviewable(
    release=lambda reminder, **decision: reminder_release(reminder=reminder, **decision),
    dismiss=lambda reminder, **decision: reminder_dismiss(reminder=reminder, **decision),
    get=lambda pk: reminder_get(pk=pk),
    reference=lambda reminder: {"id": reminder.pk},
    name=lambda reminder: reminder.key,
    refusals=(ReminderError, ReminderNotFound),
)
