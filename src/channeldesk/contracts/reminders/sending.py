"""Sending one claimed reminder: re-check it, build it, hand it over, record what happened.

E-mails are handed to the outbox in the same transaction that marks the reminder sent, so a
reminder is sent with its e-mail or not at all, and the outbox delivers it exactly once. The
webhook event `contract.renewal_due` is emitted in that transaction too, once per contract and
reminder date (`contracts.webhook_events`).

Letters take three steps, because rendering takes a while and must not hold a transaction:

1. Lock the reminder and its contract, re-check, compose the letter; mark it `sending`.
2. Render and archive it (`letter_store`, idempotent by the reminder's key).
3. Lock again, re-check again (the contract may have been renewed meanwhile), mark it sent.

A dispatcher that dies during step 2 leaves the reminder `sending`; once its lease has run out
it goes to review, not out again: letters are sent at most once. The print batch takes only
sent letters, so a letter archived by a dead dispatcher is never printed unless staff release
it, and then the archived letter is used, not a second one. A letter the storage does not take
in step 2 (read-only, full, unreachable) goes to review too, and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channeldesk.contracts.models import (
    Contract,
    ContractStatus,
    Reminder,
    ReminderEventKind,
    ReminderStatus,
)
from channeldesk.contracts.reminders.conf import reminder_settings
from channeldesk.contracts.reminders.emails import email_enqueue
from channeldesk.contracts.reminders.history import events_add, reminders_close
from channeldesk.contracts.reminders.kinds import REMINDER_KINDS
from channeldesk.contracts.reminders.letters import LETTER_TEMPLATE
from channeldesk.contracts.reminders.occasion import (
    Occasion,
    ReminderMoot,
    ReminderProblem,
    ReminderWaits,
)
from channeldesk.contracts.reminders.planning import stale_reason
from channeldesk.contracts.reminders.schedules import ScheduleSpan, schedule_for_end_date
from channeldesk.contracts.selectors import customer_partner_on
from channeldesk.contracts.webhook_events import renewal_due_emit
from channeldesk.documents.letters import Letter, LetterError
from channeldesk.documents.models import Document
from channeldesk.documents.services import DocumentStorageUnavailable, letter_store
from channeldesk.notifications.leases import CLAIM_CLEARED, Lease
from channeldesk.notifications.services import OutboxError

logger = logging.getLogger(__name__)

type Clock = Callable[[], dt.datetime]

# What makes a reminder fail with a sentence staff can act on.
PROBLEMS = (ReminderProblem, LetterError, OutboxError)


class Outcome(enum.Enum):
    SENT = "sent"
    LATE = "late"  # sent, after its due date
    CANCELLED = "cancelled"
    MISSED = "missed"
    FAILED = "failed"
    DEFERRED = "deferred"
    LOST = "lost"  # the claim was no longer ours
    REVIEW = "review"  # the letter storage did not take the letter: staff release or dismiss it


@dataclass
class Claim:
    """Reminders one dispatcher holds under `lease`; it starts none after `lease.deadline`."""

    lease: Lease
    reminders: list[Reminder]


@dataclass(frozen=True)
class Verdict:
    """Why a due reminder is not sent after all: the status, a short reason, the detail."""

    status: ReminderStatus
    kind: ReminderEventKind
    reason: str
    detail: str


@dataclass(frozen=True)
class Dispatch:
    """What sending one reminder needs besides the reminder."""

    claim: Claim
    today: dt.date
    clock: Clock
    spans: Sequence[ScheduleSpan]


def reminder_send(*, reminder: Reminder, dispatch: Dispatch) -> Outcome:
    """Send one claimed reminder by its channel; every outcome is recorded on the reminder."""
    kind = REMINDER_KINDS[reminder.rule.template]
    if kind.letter is not None:
        return _send_letter(reminder, dispatch=dispatch)
    return _send_email(reminder, dispatch=dispatch)


# --- Re-checking at send time -----------------------------------------------------------------


def verdict(
    *, reminder: Reminder, contract: Contract, spans: Sequence[ScheduleSpan], today: dt.date
) -> Verdict | None:
    """None when the reminder is to be sent today; otherwise why not."""
    cancelled = _cancel_reason(reminder=reminder, contract=contract, spans=spans)
    if cancelled is not None:
        return Verdict(ReminderStatus.CANCELLED, ReminderEventKind.CANCELLED, *cancelled)
    days_late = (today - reminder.due_on).days
    grace = reminder.rule.grace_days
    if days_late > grace:
        detail = (
            f"Due on {reminder.due_on}, {days_late} days ago; the rule sends at most {grace} "
            "days late."
        )
        return Verdict(ReminderStatus.MISSED, ReminderEventKind.MISSED, "Too late.", detail)
    if reminder.offset_days <= 0 and today > contract.end_date:
        detail = f"The contract ended on {contract.end_date}; a reminder before the end is moot."
        return Verdict(ReminderStatus.MISSED, ReminderEventKind.MISSED, "Contract ended.", detail)
    return None


def _cancel_reason(
    *, reminder: Reminder, contract: Contract, spans: Sequence[ScheduleSpan]
) -> tuple[str, str] | None:
    follow_up = None
    if contract.status == ContractStatus.RENEWED:
        follow_up = contract.renewals.values_list("contract_number", flat=True).first()
    span = schedule_for_end_date(spans=spans, end_date=contract.end_date)
    return stale_reason(
        status=contract.status,
        follow_up=follow_up,
        cancellation_reason=contract.cancellation_reason,
        planned_end=reminder.contract_end_date,
        end_date=contract.end_date,
        rule_active=reminder.rule.is_active,
        schedule_covers=span is not None and span.schedule_id == reminder.rule.schedule_id,
    )


# --- E-mails ----------------------------------------------------------------------------------


def _send_email(reminder: Reminder, *, dispatch: Dispatch) -> Outcome:
    """One transaction: re-check, build, enqueue under the reminder's key, mark sent."""
    kind = REMINDER_KINDS[reminder.rule.template]
    assert kind.email is not None
    try:
        with transaction.atomic():
            checked = _recheck(reminder, dispatch=dispatch)
            if isinstance(checked, Outcome):
                return checked
            locked, occasion = checked
            enqueued = email_enqueue(occasion=occasion, content=kind.email(occasion=occasion))
            message = enqueued.message
            detail = (
                f"E-mail to {', '.join(message.to)} handed to the outbox as {message.message_id}."
            )
            return _mark_sent(
                locked,
                occasion,
                dispatch=dispatch,
                recipient=", ".join(message.to),
                detail=detail,
                message_id=message.pk,
            )
    except ReminderWaits as waiting:
        return _defer(reminder, dispatch=dispatch, why=str(waiting))
    except ReminderMoot as moot:
        return _settle(reminder, dispatch=dispatch, status=ReminderStatus.CLAIMED, moot=str(moot))
    except Exception as error:
        why = _why(error, reminder=reminder)
        return _fail(reminder, dispatch=dispatch, status=ReminderStatus.CLAIMED, why=why)


def _why(error: Exception, *, reminder: Reminder) -> str:
    """The sentence staff read: the problem's own for expected ones, else the error (logged
    with its traceback)."""
    if isinstance(error, PROBLEMS):
        return str(error)
    logger.exception("Sending %s failed", reminder.key)
    return f"Unexpected error: {type(error).__name__}: {error}"


# --- Letters ----------------------------------------------------------------------------------


def _send_letter(reminder: Reminder, *, dispatch: Dispatch) -> Outcome:
    """The three steps of the module docstring."""
    try:
        prepared = _prepare_letter(reminder, dispatch=dispatch)
    except Exception as error:
        why = _why(error, reminder=reminder)
        return _fail(reminder, dispatch=dispatch, status=ReminderStatus.CLAIMED, why=why)
    if isinstance(prepared, Outcome):
        return prepared
    letter, occasion = prepared
    try:
        stored = letter_store(
            letter=letter,
            kind=LETTER_TEMPLATE,
            reference=occasion.contract.contract_number,
            key=reminder.key,
        )
    except DocumentStorageUnavailable as error:
        # Not the letter's fault: once the storage is back, staff release it and it goes out.
        logger.warning("Storing %s failed: %s", reminder.key, error)
        return _review(reminder, dispatch=dispatch, why=f"{error} Release it once fixed.")
    except Exception as error:
        why = f"Rendering or storing the letter failed: {_why(error, reminder=reminder)}"
        return _fail(reminder, dispatch=dispatch, status=ReminderStatus.SENDING, why=why)
    return _finish_letter(reminder, letter, occasion, stored.document, dispatch=dispatch)


def _prepare_letter(reminder: Reminder, *, dispatch: Dispatch) -> tuple[Letter, Occasion] | Outcome:
    """Step 1: the composed letter, or the outcome when it is not to be sent."""
    kind = REMINDER_KINDS[reminder.rule.template]
    assert kind.letter is not None
    with transaction.atomic():
        checked = _recheck(reminder, dispatch=dispatch)
        if isinstance(checked, Outcome):
            return checked
        locked, occasion = checked
        letter = kind.letter(occasion=occasion)
        # A fresh lease for the render, so that a letter started late in the claim's lease is
        # not taken for dead by another dispatcher while it is being stored.
        Reminder.objects.filter(pk=locked.pk).update(
            status=ReminderStatus.SENDING,
            attempts=F("attempts") + 1,
            lease_expires_at=timezone.now() + reminder_settings().lease,
            updated_at=dispatch.clock(),
        )
    return letter, occasion


def _finish_letter(
    reminder: Reminder,
    letter: Letter,
    occasion: Occasion,
    document: Document,
    *,
    dispatch: Dispatch,
) -> Outcome:
    """Step 3: sent, unless the claim was lost or the contract changed while rendering."""
    with transaction.atomic():
        locked = _lock(reminder, dispatch.claim, ReminderStatus.SENDING)
        if locked is None:
            _late_report(reminder, document, dispatch=dispatch)
            return Outcome.LOST
        _, stop = _occasion(locked, dispatch=dispatch)
        if stop is not None:
            note = f" The letter archived as {document.key} is not printed."
            stop = Verdict(stop.status, stop.kind, stop.reason, stop.detail + note)
            return _close(locked, stop, dispatch=dispatch)
        recipient = ", ".join(letter.recipient)
        detail = (
            f"Letter to {recipient}, archived as {document.key} ({document.page_count} "
            f"page(s)), in the print batch of {dispatch.today}."
        )
        return _mark_sent(
            locked,
            occasion,
            dispatch=dispatch,
            recipient=recipient,
            detail=detail,
            document_id=document.pk,
        )


# --- Shared steps -----------------------------------------------------------------------------


def _lock(reminder: Reminder, claim: Claim, status: ReminderStatus) -> Reminder | None:
    """The reminder, locked, if this claim still holds it in `status`."""
    return (
        Reminder.objects.select_for_update()
        .select_related("rule")
        .filter(pk=reminder.pk, claim_token=claim.lease.token, status=status)
        .first()
    )


def _recheck(reminder: Reminder, *, dispatch: Dispatch) -> tuple[Reminder, Occasion] | Outcome:
    """In the caller's transaction: the claimed reminder, locked, and its occasion; or the
    outcome when the claim was lost or the re-check closed the reminder."""
    locked = _lock(reminder, dispatch.claim, ReminderStatus.CLAIMED)
    if locked is None:
        return Outcome.LOST
    occasion, stop = _occasion(locked, dispatch=dispatch)
    if stop is not None:
        return _close(locked, stop, dispatch=dispatch)
    return locked, occasion


def _occasion(reminder: Reminder, *, dispatch: Dispatch) -> tuple[Occasion, Verdict | None]:
    """Lock the contract (a renewal waits for us, or we for it) and re-check the reminder."""
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("customer", "product")
        .get(pk=reminder.contract_id)
    )
    partner = customer_partner_on(customer=contract.customer, on=dispatch.today)
    occasion = Occasion(reminder=reminder, contract=contract, partner=partner, today=dispatch.today)
    stop = verdict(reminder=reminder, contract=contract, spans=dispatch.spans, today=dispatch.today)
    return occasion, stop


def _close(reminder: Reminder, stop: Verdict, *, dispatch: Dispatch) -> Outcome:
    _record(
        reminder,
        stop,
        dispatch=dispatch,
        from_statuses=(ReminderStatus.CLAIMED, ReminderStatus.SENDING),
    )
    return Outcome.MISSED if stop.status == ReminderStatus.MISSED else Outcome.CANCELLED


def _record(
    reminder: Reminder,
    stop: Verdict,
    *,
    dispatch: Dispatch,
    from_statuses: tuple[ReminderStatus, ...],
) -> None:
    reminders_close(
        rows=[(reminder.pk, stop.detail)],
        status=stop.status,
        kind=stop.kind,
        reason=stop.reason,
        at=dispatch.clock(),
        from_statuses=from_statuses,
        worker=dispatch.claim.lease.worker,
    )


def _mark_sent(
    reminder: Reminder,
    occasion: Occasion,
    *,
    dispatch: Dispatch,
    recipient: str,
    detail: str,
    **links: Any,
) -> Outcome:
    now = dispatch.clock()
    days_late = (dispatch.today - reminder.due_on).days
    if days_late > 0:
        detail += f" Sent {days_late} day(s) late (due on {reminder.due_on})."
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.SENT,
        sent_at=now,
        sent_on=dispatch.today,
        late=days_late > 0,
        partner=occasion.partner,
        recipient=recipient[:500],
        reason="",
        updated_at=now,
        **links,
        **CLAIM_CLEARED,
    )
    events_add(
        [(reminder.pk, ReminderEventKind.SENT, detail)], at=now, worker=dispatch.claim.lease.worker
    )
    renewal_due_emit(
        contract=occasion.contract,
        partner=occasion.partner,
        reminder_date=reminder.due_on,
        days_from_end=reminder.offset_days,
        at=now,
    )
    return Outcome.LATE if days_late > 0 else Outcome.SENT


def _fail(reminder: Reminder, *, dispatch: Dispatch, status: ReminderStatus, why: str) -> Outcome:
    failed = Verdict(ReminderStatus.FAILED, ReminderEventKind.FAILED, why, why)
    return _finish(reminder, failed, dispatch=dispatch, status=status, outcome=Outcome.FAILED)


def _review(reminder: Reminder, *, dispatch: Dispatch, why: str) -> Outcome:
    """A letter the storage did not take goes to review; the run goes on with the others."""
    reason = "The letter storage did not take the letter."
    review = Verdict(ReminderStatus.REVIEW, ReminderEventKind.REVIEW, reason, why)
    return _finish(
        reminder, review, dispatch=dispatch, status=ReminderStatus.SENDING, outcome=Outcome.REVIEW
    )


def _settle(
    reminder: Reminder, *, dispatch: Dispatch, status: ReminderStatus, moot: str
) -> Outcome:
    """Cancel a reminder whose builder found nothing left to send."""
    cancelled = Verdict(ReminderStatus.CANCELLED, ReminderEventKind.CANCELLED, moot, moot)
    return _finish(reminder, cancelled, dispatch=dispatch, status=status, outcome=Outcome.CANCELLED)


def _finish(
    reminder: Reminder,
    stop: Verdict,
    *,
    dispatch: Dispatch,
    status: ReminderStatus,
    outcome: Outcome,
) -> Outcome:
    """Close the reminder held in `status` as `stop` says, unless this claim lost it."""
    with transaction.atomic():
        if _lock(reminder, dispatch.claim, status) is None:
            return Outcome.LOST
        _record(reminder, stop, dispatch=dispatch, from_statuses=(status,))
    return outcome


def _defer(reminder: Reminder, *, dispatch: Dispatch, why: str) -> Outcome:
    """Back to planned without an event (it would repeat on every run); `reason` says why."""
    Reminder.objects.filter(
        pk=reminder.pk, claim_token=dispatch.claim.lease.token, status=ReminderStatus.CLAIMED
    ).update(
        status=ReminderStatus.PLANNED,
        reason=why[:300],
        updated_at=dispatch.clock(),
        **CLAIM_CLEARED,
    )
    return Outcome.DEFERRED


def _late_report(reminder: Reminder, document: Document, *, dispatch: Dispatch) -> None:
    """The lease ran out while this dispatcher stored the letter; record that it did."""
    worker = dispatch.claim.lease.worker
    detail = (
        f"{worker} archived the letter as {document.key} after its lease had run out; the "
        "reminder was settled meanwhile and this report changed nothing."
    )
    events_add(
        [(reminder.pk, ReminderEventKind.LATE_REPORT, detail)], at=dispatch.clock(), worker=worker
    )
