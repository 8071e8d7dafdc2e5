"""Withdrawing reminder e-mails that still wait in the outbox when their contract changes.

A reminder's e-mail is handed to the outbox on its due day, and the outbox may hold it a while:
queued behind others, or retrying after a temporary SMTP failure. If the contract is renewed,
cancelled or its end date moved meanwhile, the e-mail is moot and must not go out:

1. The contract services call `reminder_emails_withdraw` in their own transaction: the outbox
   dismisses the messages not yet handed to the server (`outbox_dismiss_many`, claimed ones
   included), and their reminders become cancelled, each with an event saying why.
2. The outbox dispatcher calls `reminder_emails_moot`, registered as the send-time check of the
   `reminder:` categories (`notifications.checks`), for every batch it claims. It covers what
   changed without the services (the imports write contracts set-based) and a change that
   committed while the message was being claimed.

An e-mail already `sending` or `sent` is on its way and is left alone; its reminder stays sent.
Both paths lock the reminder rows first, so a reminder is withdrawn once, by one of them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from channeldesk.contracts.models import (
    Contract,
    ContractStatus,
    Reminder,
    ReminderEventKind,
    ReminderStatus,
)
from channeldesk.contracts.reminders.history import reminders_close
from channeldesk.notifications.models import WITHDRAWABLE_STATUSES, OutboxMessage
from channeldesk.notifications.services import outbox_dismiss_many

# What the outbox and the reminder's row say (short); the event says more.
WITHDRAWN_REASONS = {
    ContractStatus.RENEWED: "Contract renewed.",
    ContractStatus.CANCELLED: "Contract cancelled.",
}
END_DATE_MOVED = "End date changed."


@dataclass(frozen=True)
class Withdrawal:
    """A sent reminder whose e-mail is moot: which message, the short reason and the detail."""

    reminder_id: int
    message_id: int
    key: str
    reason: str
    detail: str


def reminder_emails_withdraw(
    *, contract_ids: Collection[int], now: dt.datetime | None = None
) -> int:
    """Dismiss the unsent outbox e-mails of these contracts' reminders, where the contract was
    renewed, cancelled or its end date moved, and cancel those reminders; returns how many.

    Runs inside the caller's transaction (the contract services'), after the contract change.
    """
    now = now or timezone.now()
    withdrawals = _moot(
        Reminder.objects.filter(
            contract_id__in=list(contract_ids), message__status__in=WITHDRAWABLE_STATUSES
        )
    )
    by_reason: dict[str, list[Withdrawal]] = defaultdict(list)
    for withdrawal in withdrawals:
        by_reason[withdrawal.reason].append(withdrawal)
    dismissed: set[str] = set()
    for reason, group in by_reason.items():
        messages = outbox_dismiss_many(keys=[item.key for item in group], reason=reason, now=now)
        dismissed |= {message.idempotency_key for message in messages}
    return _close([item for item in withdrawals if item.key in dismissed], now=now, worker="")


def reminder_emails_moot(messages: Sequence[OutboxMessage], now: dt.datetime) -> Mapping[int, str]:
    """The outbox's send-time check for `reminder:` e-mails: `{message id: reason}` for those
    whose contract changed; their reminders are cancelled in the dispatcher's transaction."""
    withdrawals = _moot(
        Reminder.objects.filter(message_id__in=[message.pk for message in messages])
    )
    _close(withdrawals, now=now, worker="outbox dispatcher")
    return {item.message_id: item.reason for item in withdrawals}


def _moot(reminders: QuerySet[Reminder]) -> list[Withdrawal]:
    """The sent e-mail reminders among `reminders` whose contract changed, locked."""
    rows = list(
        reminders.filter(status=ReminderStatus.SENT, message__isnull=False)
        .filter(
            Q(contract__status__in=tuple(WITHDRAWN_REASONS))
            | ~Q(contract_end_date=F("contract__end_date"))
        )
        .select_for_update(of=("self",))
        .order_by("pk")
        .values_list(
            "pk",
            "message_id",
            "message__message_id",
            "message__status",
            "contract_id",
            "contract__status",
            "contract__cancellation_reason",
            "contract_end_date",
            "contract__end_date",
        )
    )
    follow_ups = dict(
        Contract.objects.filter(renews_id__in=[row[4] for row in rows]).values_list(
            "renews_id", "contract_number"
        )
    )
    return [_withdrawal(row, follow_ups=follow_ups) for row in rows]


def _withdrawal(row: tuple, *, follow_ups: Mapping[int, str]) -> Withdrawal:
    pk, message_pk, message_id, message_status, contract_id, status, why, planned_end, end = row
    if status == ContractStatus.RENEWED:
        follow_up = follow_ups.get(contract_id)
        change = f"Contract renewed{f' by {follow_up}' if follow_up else ''}"
    elif status == ContractStatus.CANCELLED:
        change = f"Contract cancelled ({why})" if why else "Contract cancelled"
    else:
        change = f"End date moved from {planned_end} to {end}"
    detail = (
        f"{change}: the e-mail {message_id} was still in the outbox ({message_status}) and was "
        "dismissed; it is not sent."
    )
    reason = WITHDRAWN_REASONS.get(status, END_DATE_MOVED)
    return Withdrawal(pk, message_pk, f"reminder:{pk}", reason, detail)


def _close(withdrawals: Sequence[Withdrawal], *, now: dt.datetime, worker: str) -> int:
    moved = 0
    by_reason: dict[str, list[Withdrawal]] = defaultdict(list)
    for withdrawal in withdrawals:
        by_reason[withdrawal.reason].append(withdrawal)
    for reason, group in by_reason.items():
        moved += reminders_close(
            rows=[(item.reminder_id, item.detail) for item in group],
            status=ReminderStatus.CANCELLED,
            kind=ReminderEventKind.CANCELLED,
            reason=f"{reason} Its e-mail was withdrawn from the outbox.",
            at=now,
            from_statuses=(ReminderStatus.SENT,),
            worker=worker,
        )
    return moved
