"""The dispatcher: claims due messages, hands them to the default mailer, records what happened.

Any number of dispatchers may run at once, in any number of processes. What keeps them from
sending a message twice is the order of the writes, each committed before the next step:

1. A message is claimed (pending/retry → claimed) under a lease, by one dispatcher only:
   `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, a single writer on SQLite.
2. Before a message is handed to the mailer, its attempt is put on record (claimed → sending),
   together with the outcomes of the messages before it. Only the claim's holder can do that,
   and only while the message is still claimed by it.
3. After the mailer answers, the outcome is recorded: sent, retry (with backoff), failed, or
   review when the server may or may not have it.

A dispatcher that dies leaves its messages claimed or sending. Once the lease has run out, any
dispatcher puts the claimed ones back in the queue (they were never attempted) and the sending
ones in review (they may have arrived): they are not sent again unless staff release them.

Claims, leases and their expiry are the delivery engine's (`notifications.leases`); this module
adds the outbox's own steps: windows, the mailer, retries with backoff.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.mail import mailers
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from channeldesk.notifications.checks import send_checks_run
from channeldesk.notifications.conf import OutboxSettings, outbox_settings
from channeldesk.notifications.delivery import MailSession, Outcome, OutcomeKind
from channeldesk.notifications.leases import (
    CLAIM_CLEARED,
    DispatchResult,
    Lease,
    default_worker,
    lease_start,
    leases_claim,
    leases_expired,
    leases_held,
    leases_mark_sending,
    leases_return,
)
from channeldesk.notifications.models import (
    DUE_STATUSES,
    HELD_STATUSES,
    OutboxAttachment,
    OutboxEvent,
    OutboxEventKind,
    OutboxMessage,
    OutboxStatus,
)
from channeldesk.notifications.services import outbox_events_add

type Clock = Callable[[], dt.datetime]


# What a run of the outbox reports (`DispatchResult.document`), in this order.
OUTBOX_COUNTS = (
    "claimed",
    "sent",
    "retried",
    "failed",
    "unknown",
    "expired",
    "returned",
    "dismissed",
)


@dataclass
class Claim:
    """Messages one dispatcher holds under `lease`; it starts no send after `lease.deadline`."""

    lease: Lease
    messages: list[OutboxMessage]
    attachments: dict[int, list[OutboxAttachment]]


def outbox_dispatch(
    *,
    now: dt.datetime | None = None,
    limit: int = 1000,
    worker: str = "",
    batch_size: int | None = None,
) -> DispatchResult:
    """Send what is due, up to `limit` messages, in batches over one mailer connection.

    Steps:
    1. Settle the claims of dispatchers whose lease ran out (`outbox_expire`).
    2. Claim a batch of due messages (`outbox_claim`); stop when nothing is due.
    3. Send it window by window (see the module docstring); repeat from 2.

    `now` fixes the clock for tests; a misconfigured mailer fails before anything is claimed.
    """
    config = outbox_settings()
    clock: Clock = (lambda: now) if now is not None else timezone.now
    worker = worker or default_worker()
    session = MailSession(mailer=mailers.default)
    result = outbox_expire(now=clock())
    try:
        while result.claimed < limit:
            size = min(batch_size or config.batch_size, limit - result.claimed)
            claim = outbox_claim(now=clock(), limit=size, worker=worker)
            if claim is None:
                break
            result += _deliver(claim, session=session, config=config, clock=clock)
            if session.down_reason:
                break  # The server is unreachable: the rest can wait for the next run.
    finally:
        session.close()
    return result


def outbox_claim(*, now: dt.datetime, limit: int, worker: str) -> Claim | None:
    """Take up to `limit` due messages for one dispatcher, under a lease, committed at once.

    Rows another dispatcher is claiming right now are skipped, not waited for.
    """
    config = outbox_settings()
    lease = lease_start(worker=worker, length=config.lease)
    due = OutboxMessage.objects.filter(status__in=DUE_STATUSES, next_attempt_at__lte=now).order_by(
        "next_attempt_at", "id"
    )
    messages = leases_claim(
        due=due, limit=limit, lease=lease, lease_end=now + config.lease, status=OutboxStatus.CLAIMED
    )
    if not messages:
        return None
    return Claim(lease, messages, _attachments_of(messages))


def _attachments_of(messages: list[OutboxMessage]) -> dict[int, list[OutboxAttachment]]:
    """All attachments of a batch in one query, by message id."""
    attachments: dict[int, list[OutboxAttachment]] = defaultdict(list)
    for attachment in OutboxAttachment.objects.filter(message__in=messages).order_by("id"):
        attachments[attachment.message_id].append(attachment)
    return dict(attachments)


@transaction.atomic
def outbox_expire(*, now: dt.datetime | None = None) -> DispatchResult:
    """Settle claims whose lease ran out: the dispatcher holding them died or hung.

    Claimed messages were never attempted and go back to the queue. Sending messages may have
    reached the server; they go to review instead of out again (at most once).
    """
    now = now or timezone.now()
    expired = leases_expired(
        model=OutboxMessage,
        held_statuses=HELD_STATUSES,
        now=now,
        only=("pk", "status", "attempts", "claimed_by", "lease_expires_at"),
    )
    claimed = [message for message in expired if message.status == OutboxStatus.CLAIMED]
    sending = [message for message in expired if message.status == OutboxStatus.SENDING]
    _requeue(claimed, now=now, detail="The lease of {worker} ran out before it tried.")
    _to_review(sending, now=now)
    return DispatchResult(expired=len(sending), returned=len(claimed))


def _to_review(messages: Sequence[OutboxMessage], *, now: dt.datetime) -> None:
    OutboxMessage.objects.filter(pk__in=[message.pk for message in messages]).update(
        status=OutboxStatus.REVIEW,
        last_error="Outcome unknown: the dispatcher's lease ran out while it was sending.",
    )
    outbox_events_add(
        messages,
        kind=OutboxEventKind.REVIEW,
        at=now,
        by_claimant=True,
        detail=lambda message: (
            f"{message.claimed_by} was sending attempt {message.attempts} when its lease "
            f"ran out at {_local(message.lease_expires_at)}. The server may or "
            "may not have the message: release it to send it again, or dismiss it."
        ),
    )


def _requeue(messages: Sequence[OutboxMessage], *, now: dt.datetime, detail: str) -> None:
    """Back to the queue as if never claimed: pending, or retry when tried before."""
    for status, group in (
        (OutboxStatus.PENDING, [message for message in messages if message.attempts == 0]),
        (OutboxStatus.RETRY, [message for message in messages if message.attempts > 0]),
    ):
        OutboxMessage.objects.filter(pk__in=[message.pk for message in group]).update(
            status=status, **CLAIM_CLEARED
        )
    outbox_events_add(
        messages,
        kind=OutboxEventKind.RETURNED,
        at=now,
        by_claimant=True,
        detail=lambda message: detail.format(worker=message.claimed_by),
    )


# --- Sending one claim ------------------------------------------------------------------------


def _deliver(
    claim: Claim, *, session: MailSession, config: OutboxSettings, clock: Clock
) -> DispatchResult:
    """Step 3: window by window, each attempt on record before the mailer sees the message.

    First the domains' send-time checks drop what became moot since it was enqueued. Then each
    step records the outcomes of the previous window and marks the next one `sending`, together.
    When half the lease is used up, the messages not yet attempted go back to the queue, so
    that no send starts near the end of the lease.
    """
    result = DispatchResult(claimed=len(claim.messages))
    waiting, dropped = _drop_moot(claim, list(claim.messages), now=clock())
    result += dropped
    outcomes: list[tuple[OutboxMessage, Outcome]] = []
    while waiting and time.monotonic() < claim.lease.deadline:
        window, waiting = waiting[: config.window], waiting[config.window :]
        recorded, window = _step(claim, outcomes, window, config=config, now=clock())
        result += recorded
        outcomes = [
            (message, session.send(message, attachments=claim.attachments.get(message.pk, [])))
            for message in window
        ]
    recorded, _ = _step(claim, outcomes, [], config=config, now=clock())
    result += recorded
    if waiting:
        with transaction.atomic():
            result += _return_unattempted(claim, waiting, now=clock())
    return result


_CLAIMED = (OutboxStatus.CLAIMED,)


def _drop_moot(
    claim: Claim, messages: list[OutboxMessage], *, now: dt.datetime
) -> tuple[list[OutboxMessage], DispatchResult]:
    """Dismiss the claimed messages their domain's check finds moot (`checks`); the rest."""
    with transaction.atomic():
        moot = send_checks_run(messages=messages, now=now)
        if not moot:
            return messages, DispatchResult()
        ours = set(
            _mine(claim, [message for message in messages if message.pk in moot], _CLAIMED)
            .select_for_update()
            .values_list("pk", flat=True)
        )
        dropped = [message for message in messages if message.pk in ours]
        OutboxMessage.objects.filter(pk__in=ours).update(
            status=OutboxStatus.DISMISSED, **CLAIM_CLEARED
        )
        OutboxEvent.objects.bulk_create(
            _event(
                claim,
                message,
                OutboxEventKind.DISMISSED,
                f"Dismissed from claimed at send time: {moot[message.pk]}",
                now=now,
            )
            for message in dropped
        )
    remaining = [message for message in messages if message.pk not in moot]
    return remaining, DispatchResult(dismissed=len(dropped))


def _step(
    claim: Claim,
    outcomes: Sequence[tuple[OutboxMessage, Outcome]],
    window: list[OutboxMessage],
    *,
    config: OutboxSettings,
    now: dt.datetime,
) -> tuple[DispatchResult, list[OutboxMessage]]:
    """Record the previous window's outcomes and mark the next window sending, atomically;
    returns what was recorded and the messages of `window` that are still ours to send.

    On PostgreSQL, when every outcome is "sent" (the common case), it is one statement: one
    round trip instead of five (BEGIN, two UPDATEs, the events' INSERT, COMMIT), which is
    most of what the outbox costs per message. Anything else takes the general path.
    """
    if connection.vendor == "postgresql" and all(
        outcome.kind is OutcomeKind.SENT for _, outcome in outcomes
    ):
        return _step_in_one_statement(claim, outcomes, window, now=now)
    with transaction.atomic():
        recorded = _record(claim, outcomes, config=config, now=now)
        window = _mark_sending(claim, window)
    return recorded, window


# Data-modifying CTEs run as one statement, hence atomically: the sent rows and their events,
# and the next window's attempts. Both UPDATEs are guarded like `_record_sent` and
# `_mark_sending`; the rows they changed come back, so the caller knows which were still its own.
_STEP_SQL = """
WITH sent AS (
    UPDATE {messages} SET status = %(sent)s, sent_at = %(now)s, last_error = ''
    WHERE id = ANY(%(sent_ids)s::bigint[]) AND claim_token = %(token)s
        AND status IN (%(sending)s, %(review)s)
    RETURNING id, attempts
), sent_events AS (
    INSERT INTO {events} (message_id, kind, at, attempt, worker, detail)
    SELECT sent.id, %(sent)s, %(now)s, sent.attempts, %(worker)s, reported.detail
    FROM sent
    JOIN unnest(%(sent_ids)s::bigint[], %(details)s::text[]) AS reported (id, detail)
        ON reported.id = sent.id
), marked AS (
    UPDATE {messages} SET status = %(sending)s, attempts = attempts + 1
    WHERE id = ANY(%(window_ids)s::bigint[]) AND claim_token = %(token)s
        AND status = %(claimed)s
    RETURNING id
)
SELECT %(sent)s, id FROM sent UNION ALL SELECT %(sending)s, id FROM marked
"""


def _step_in_one_statement(
    claim: Claim,
    sent: Sequence[tuple[OutboxMessage, Outcome]],
    window: list[OutboxMessage],
    *,
    now: dt.datetime,
) -> tuple[DispatchResult, list[OutboxMessage]]:
    if not sent and not window:
        return DispatchResult(), window
    quote = connection.ops.quote_name
    sql = _STEP_SQL.format(
        messages=quote(OutboxMessage._meta.db_table), events=quote(OutboxEvent._meta.db_table)
    )
    parameters: dict[str, Any] = {
        "sent_ids": [message.pk for message, _ in sent],
        "details": [outcome.detail for _, outcome in sent],
        "window_ids": [message.pk for message in window],
        "token": claim.lease.token,
        "worker": claim.lease.worker,
        "now": now,
        "sent": OutboxStatus.SENT.value,
        "sending": OutboxStatus.SENDING.value,
        "review": OutboxStatus.REVIEW.value,
        "claimed": OutboxStatus.CLAIMED.value,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        changed = cursor.fetchall()
    recorded = {pk for status, pk in changed if status == OutboxStatus.SENT}
    marked = {pk for status, pk in changed if status == OutboxStatus.SENDING}
    late = [(message, outcome) for message, outcome in sent if message.pk not in recorded]
    if late:
        # Released or dismissed by staff meanwhile (rare): the report is kept, changes nothing.
        OutboxEvent.objects.bulk_create(
            _late(claim, message, outcome, now=now) for message, outcome in late
        )
    window = [message for message in window if message.pk in marked]
    for message in window:
        message.status = OutboxStatus.SENDING
        message.attempts += 1
    return DispatchResult(sent=len(recorded)), window


def _mine(claim: Claim, messages: Sequence[OutboxMessage], statuses: Sequence[str]) -> QuerySet:
    """The given messages that this claim still holds in one of `statuses`."""
    return leases_held(model=OutboxMessage, lease=claim.lease, rows=messages, statuses=statuses)


def _mark_sending(claim: Claim, window: list[OutboxMessage]) -> list[OutboxMessage]:
    """Claimed → sending, attempts + 1; only the messages that are still ours are sent."""
    return leases_mark_sending(
        model=OutboxMessage,
        lease=claim.lease,
        window=window,
        claimed_status=OutboxStatus.CLAIMED,
        sending_status=OutboxStatus.SENDING,
    )


def _return_unattempted(
    claim: Claim, messages: Sequence[OutboxMessage], *, now: dt.datetime
) -> DispatchResult:
    if not messages:
        return DispatchResult()
    ours = leases_return(
        model=OutboxMessage,
        lease=claim.lease,
        rows=messages,
        claimed_status=OutboxStatus.CLAIMED,
        only=("pk", "attempts", "claimed_by"),
    )
    _requeue(ours, now=now, detail="{worker} used up half its lease before it tried.")
    return DispatchResult(returned=len(ours))


# --- Recording outcomes -------------------------------------------------------------------


def _record(
    claim: Claim,
    outcomes: Sequence[tuple[OutboxMessage, Outcome]],
    *,
    config: OutboxSettings,
    now: dt.datetime,
) -> DispatchResult:
    """Write the outcomes of a window: sent ones in one update, the rest one by one."""
    if not outcomes:
        return DispatchResult()
    events: list[OutboxEvent] = []
    sent = [(message, outcome) for message, outcome in outcomes if outcome.kind is OutcomeKind.SENT]
    result = _record_sent(claim, sent, now=now, events=events)
    for message, outcome in outcomes:
        if outcome.kind is not OutcomeKind.SENT:
            result += _record_unsent(claim, message, outcome, config=config, now=now, events=events)
    OutboxEvent.objects.bulk_create(events)
    return result


def _record_sent(
    claim: Claim,
    sent: Sequence[tuple[OutboxMessage, Outcome]],
    *,
    now: dt.datetime,
    events: list[OutboxEvent],
) -> DispatchResult:
    """Sending (or review, if the lease ran out meanwhile) → sent."""
    if not sent:
        return DispatchResult()
    messages = [message for message, _ in sent]
    updated = _mine(claim, messages, (OutboxStatus.SENDING, OutboxStatus.REVIEW)).update(
        status=OutboxStatus.SENT, sent_at=now, last_error=""
    )
    recorded = {message.pk for message in messages}
    if updated < len(messages):
        recorded = set(_mine(claim, messages, (OutboxStatus.SENT,)).values_list("pk", flat=True))
    for message, outcome in sent:
        if message.pk in recorded:
            events.append(_event(claim, message, OutboxEventKind.SENT, outcome.detail, now=now))
        else:
            events.append(_late(claim, message, outcome, now=now))
    return DispatchResult(sent=len(recorded))


def _record_unsent(
    claim: Claim,
    message: OutboxMessage,
    outcome: Outcome,
    *,
    config: OutboxSettings,
    now: dt.datetime,
    events: list[OutboxEvent],
) -> DispatchResult:
    """Sending → retry (temporary, attempts left), failed, or review (unknown)."""
    status, kind, detail, result = _next_state(message, outcome, config=config)
    next_attempt_at = now + config.retry_delay(attempts=message.attempts)
    changes: dict[str, Any] = {"status": status, "last_error": detail}
    if status == OutboxStatus.RETRY:
        changes["next_attempt_at"] = next_attempt_at
        detail = f"{detail} Next attempt at {_local(next_attempt_at)}."
    updated = _mine(claim, [message], (OutboxStatus.SENDING, OutboxStatus.REVIEW)).update(**changes)
    if not updated:
        events.append(_late(claim, message, outcome, now=now))
        return DispatchResult()
    events.append(_event(claim, message, kind, detail, now=now))
    return result


def _next_state(
    message: OutboxMessage, outcome: Outcome, *, config: OutboxSettings
) -> tuple[OutboxStatus, OutboxEventKind, str, DispatchResult]:
    if outcome.kind is OutcomeKind.UNKNOWN:
        return (
            OutboxStatus.REVIEW,
            OutboxEventKind.REVIEW,
            outcome.detail,
            DispatchResult(unknown=1),
        )
    if outcome.kind is OutcomeKind.TEMPORARY and message.attempts < config.max_attempts:
        return OutboxStatus.RETRY, OutboxEventKind.RETRY, outcome.detail, DispatchResult(retried=1)
    detail = outcome.detail
    if outcome.kind is OutcomeKind.TEMPORARY:
        detail = f"Gave up after {message.attempts} attempts: {detail}"
    return OutboxStatus.FAILED, OutboxEventKind.FAILED, detail, DispatchResult(failed=1)


def _event(
    claim: Claim, message: OutboxMessage, kind: OutboxEventKind, detail: str, *, now: dt.datetime
) -> OutboxEvent:
    return OutboxEvent(
        message=message,
        kind=kind,
        at=now,
        attempt=message.attempts,
        worker=claim.lease.worker,
        detail=detail,
    )


def _late(
    claim: Claim, message: OutboxMessage, outcome: Outcome, *, now: dt.datetime
) -> OutboxEvent:
    """Staff released or dismissed the message while this dispatcher still held it."""
    detail = (
        f"Reported {outcome.kind.value} ({outcome.detail}) after the message had been released "
        "or dismissed; the report changed nothing."
    )
    return _event(claim, message, OutboxEventKind.LATE, detail, now=now)


def _local(moment: dt.datetime | None) -> str:
    """A moment as staff read it in the history: business time zone, named."""
    return "-" if moment is None else f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S %Z}"
