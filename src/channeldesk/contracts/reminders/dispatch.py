"""The dispatcher: claims due reminders under a lease and sends them (`sending`).

Any number of dispatchers may run at once, in any number of processes:

1. Claims whose lease ran out are settled first (`reminders_expire_claims`): claimed reminders
   were never attempted and go back to planned; a letter left `sending` goes to review.
2. A batch of due reminders (`due_on <= today`, so a day the system was down is caught up) is
   claimed in one short transaction: `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, the single
   writer on SQLite. Letters come first, so that the partner's copy of a letter finds it sent.
3. Each reminder is re-checked and sent (`sending.reminder_send`). A dispatcher starts none in
   the second half of its lease; the rest go back to planned.

A reminder the partner's copy has to wait for, or one returned unattempted, is skipped for the
rest of the run; the next run takes it up. Claims, leases and their expiry are the delivery
engine's (`notifications.leases`), as for the outbox.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Collection, Sequence

from django.db import transaction
from django.utils import timezone

from channeldesk.contracts.models import (
    HELD_REMINDER_STATUSES,
    Reminder,
    ReminderChannel,
    ReminderEventKind,
    ReminderRule,
    ReminderStatus,
)
from channeldesk.contracts.reminders.conf import reminder_settings
from channeldesk.contracts.reminders.history import reminders_close
from channeldesk.contracts.reminders.schedules import schedule_spans
from channeldesk.contracts.reminders.sending import (
    Claim,
    Clock,
    Dispatch,
    Outcome,
    reminder_send,
)
from channeldesk.notifications.leases import (
    DispatchResult,
    default_worker,
    lease_start,
    leases_claim,
    leases_expired,
    leases_return,
)

# Letters first: the partner's copy attaches the customer's letter of the same day.
CHANNEL_ORDER = (ReminderChannel.LETTER, ReminderChannel.EMAIL)


# What a run of the reminders reports (`DispatchResult.document`), in this order; `review`
# counts the letters whose outcome became unknown.
REMINDER_COUNTS = (
    "claimed",
    "sent",
    "late",
    "cancelled",
    "missed",
    "failed",
    "deferred",
    "review",
    "returned",
)

_COUNTED = {
    Outcome.SENT: DispatchResult(sent=1),
    Outcome.LATE: DispatchResult(sent=1, late=1),
    Outcome.CANCELLED: DispatchResult(cancelled=1),
    Outcome.MISSED: DispatchResult(missed=1),
    Outcome.FAILED: DispatchResult(failed=1),
    Outcome.DEFERRED: DispatchResult(deferred=1),
    Outcome.LOST: DispatchResult(),
    Outcome.REVIEW: DispatchResult(unknown=1),
}


def reminders_dispatch(
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    limit: int = 1000,
    worker: str = "",
    batch_size: int | None = None,
) -> DispatchResult:
    """Send the reminders due on or before `today` (default: today in Europe/Berlin), up to
    `limit`, in batches (module docstring).

    `now` fixes the time stamps recorded (sent at, events) for tests and for replaying past
    days; leases always run on the wall clock, so a fixed `now` cannot make live claims look
    expired.
    """
    clock: Clock = (lambda: now) if now is not None else timezone.now
    today = today or timezone.localdate(clock())
    worker = worker or default_worker()
    size = batch_size or reminder_settings().batch_size
    report = reminders_expire_claims()
    skipped: set[int] = set()
    for channel in CHANNEL_ORDER:
        rule_ids = list(ReminderRule.objects.filter(channel=channel).values_list("pk", flat=True))
        while report.claimed < limit:
            claim = reminders_claim(
                today=today,
                rule_ids=rule_ids,
                limit=min(size, limit - report.claimed),
                worker=worker,
                skip=skipped,
            )
            if claim is None:
                break
            dispatch = Dispatch(claim=claim, today=today, clock=clock, spans=schedule_spans())
            report += _work(dispatch, skipped=skipped)
    return report


def reminders_claim(
    *,
    today: dt.date,
    rule_ids: Sequence[int],
    limit: int,
    worker: str,
    skip: Collection[int] = (),
) -> Claim | None:
    """Take up to `limit` due planned reminders of the given rules, under a lease, committed at
    once; rows another dispatcher is claiming right now are skipped, not waited for."""
    config = reminder_settings()
    lease = lease_start(worker=worker, length=config.lease)
    due = (
        Reminder.objects.filter(
            status=ReminderStatus.PLANNED, due_on__lte=today, rule_id__in=rule_ids
        )
        .exclude(pk__in=skip)
        .order_by("due_on", "id")
    )
    claimed = leases_claim(
        due=due,
        limit=limit,
        lease=lease,
        lease_end=timezone.now() + config.lease,
        status=ReminderStatus.CLAIMED,
    )
    if not claimed:
        return None
    reminders = list(
        Reminder.objects.filter(pk__in=[reminder.pk for reminder in claimed])
        .select_related("rule")
        .order_by("due_on", "id")
    )
    return Claim(lease=lease, reminders=reminders)


def _work(dispatch: Dispatch, *, skipped: set[int]) -> DispatchResult:
    """Send the claim's reminders one by one; past the deadline, return the rest (and skip them
    for the rest of this run, so a slow dispatcher does not claim them again at once)."""
    claim = dispatch.claim
    report = DispatchResult(claimed=len(claim.reminders))
    for index, reminder in enumerate(claim.reminders):
        if time.monotonic() > claim.lease.deadline:
            rest = claim.reminders[index:]
            skipped.update(reminder.pk for reminder in rest)
            return report + _return_unattempted(dispatch, rest)
        outcome = reminder_send(reminder=reminder, dispatch=dispatch)
        if outcome is Outcome.DEFERRED:
            skipped.add(reminder.pk)
        report += _COUNTED[outcome]
    return report


def _return_unattempted(dispatch: Dispatch, reminders: Sequence[Reminder]) -> DispatchResult:
    claim = dispatch.claim
    with transaction.atomic():
        ours = [
            reminder.pk
            for reminder in leases_return(
                model=Reminder,
                lease=claim.lease,
                rows=reminders,
                claimed_status=ReminderStatus.CLAIMED,
                only=("pk",),
            )
        ]
        detail = f"{claim.lease.worker} used up half its lease before it got to this reminder."
        returned = reminders_close(
            rows=[(pk, detail) for pk in ours],
            status=ReminderStatus.PLANNED,
            kind=ReminderEventKind.RETURNED,
            reason="",
            at=dispatch.clock(),
            from_statuses=(ReminderStatus.CLAIMED,),
            worker=claim.lease.worker,
        )
    return DispatchResult(returned=returned)


@transaction.atomic
def reminders_expire_claims(*, now: dt.datetime | None = None) -> DispatchResult:
    """Settle the claims of dispatchers whose lease ran out (they died or hung).

    Claimed reminders were never attempted and go back to planned. A letter left `sending` may
    have been archived: it goes to review (at most once), to be released or dismissed by staff.
    """
    now = now or timezone.now()
    held = [
        (reminder.pk, reminder.status, reminder.claimed_by)
        for reminder in leases_expired(
            model=Reminder,
            held_statuses=HELD_REMINDER_STATUSES,
            now=now,
            only=("pk", "status", "claimed_by"),
        )
    ]
    returned = reminders_close(
        rows=[
            (pk, f"The lease of {worker} ran out before it tried.")
            for pk, status, worker in held
            if status == ReminderStatus.CLAIMED
        ],
        status=ReminderStatus.PLANNED,
        kind=ReminderEventKind.RETURNED,
        reason="",
        at=now,
        from_statuses=(ReminderStatus.CLAIMED,),
    )
    review = reminders_close(
        rows=[
            (pk, _review_detail(pk, worker))
            for pk, status, worker in held
            if status == ReminderStatus.SENDING
        ],
        status=ReminderStatus.REVIEW,
        kind=ReminderEventKind.REVIEW,
        reason="Outcome unknown: the dispatcher stopped while storing the letter.",
        at=now,
        from_statuses=(ReminderStatus.SENDING,),
    )
    return DispatchResult(returned=returned, expired=review)


def _review_detail(pk: int, worker: str) -> str:
    return (
        f"{worker} was storing the letter when its lease ran out. It may be archived (key "
        f"reminder:{pk}) but is in no print batch: release the reminder to send it (the archived "
        "letter is used, never a second one), or dismiss it."
    )
