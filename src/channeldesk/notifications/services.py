"""Writes of the outbox: storing messages once, and the staff decisions on doubtful ones.

Callers enqueue inside their own transaction (a reminder marked "sent" and its e-mail stored
commit together, or neither does); the dispatcher (`notifications.dispatch`) delivers later.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import uuid
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from channeldesk.audit.services import actor_user, audit_record
from channeldesk.core.errors import DomainError
from channeldesk.notifications.conf import outbox_settings
from channeldesk.notifications.models import (
    DISMISSABLE_STATUSES,
    RELEASABLE_STATUSES,
    WITHDRAWABLE_STATUSES,
    OutboxAttachment,
    OutboxEvent,
    OutboxEventKind,
    OutboxMessage,
    OutboxStatus,
)
from channeldesk.notifications.review import Actor, Reviewable, ReviewLock, review_audit
from channeldesk.notifications.sealing import redact, seal
from channeldesk.notifications.selectors import MessageNotFound, outbox_get

KEY_MAX_LENGTH = 200
SUBJECT_MAX_LENGTH = 500


class OutboxError(DomainError):
    """An outbox operation that cannot be done as asked; the message says why."""

    code = "outbox_refused"


@dataclass(frozen=True)
class AttachmentDraft:
    """A file to send along: `content` (stored now) or `path` (a name in the document storage,
    read when sent), not both."""

    filename: str
    content: bytes | None = None
    path: str = ""
    mimetype: str = ""


@dataclass(frozen=True)
class MessageDraft:
    """Everything an e-mail needs, in plain values; `key` makes storing it idempotent.

    `secrets` are the parts of the text only the recipient may read (a password-reset link,
    its token): the message is then stored sealed, with a redacted copy for everyone else
    (`notifications.sealing`).
    """

    key: str
    to: Sequence[str]
    subject: str
    text: str
    html: str = ""
    cc: Sequence[str] = ()
    bcc: Sequence[str] = ()
    reply_to: Sequence[str] = ()
    from_email: str = ""
    language: str = ""
    category: str = ""
    attachments: Sequence[AttachmentDraft] = ()
    send_after: dt.datetime | None = None
    secrets: Sequence[str] = ()


@dataclass(frozen=True)
class EnqueueResult:
    """The stored message for a key, and whether this call stored it (False: it was there)."""

    message: OutboxMessage
    created: bool


def outbox_enqueue(
    *,
    key: str,
    to: Sequence[str],
    subject: str,
    text: str,
    html: str = "",
    cc: Sequence[str] = (),
    bcc: Sequence[str] = (),
    reply_to: Sequence[str] = (),
    from_email: str = "",
    language: str = "",
    category: str = "",
    attachments: Sequence[AttachmentDraft] = (),
    send_after: dt.datetime | None = None,
    secrets: Sequence[str] = (),
    now: dt.datetime | None = None,
) -> EnqueueResult:
    """Store one e-mail for delivery, once per `key`.

    Enqueueing a key again returns the stored message unchanged, whatever the second call
    says: the first write wins, so a re-run of the caller can never send a second, different
    e-mail for the same occasion. `send_after` holds the message back until then.
    `secrets` seal the message: nobody but the delivery reads its full text.
    """
    draft = MessageDraft(
        key=key,
        to=to,
        subject=subject,
        text=text,
        html=html,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        from_email=from_email,
        language=language,
        category=category,
        attachments=attachments,
        send_after=send_after,
        secrets=secrets,
    )
    return outbox_enqueue_many(drafts=[draft], now=now)[0]


@transaction.atomic
def outbox_enqueue_many(
    *, drafts: Sequence[MessageDraft], now: dt.datetime | None = None
) -> list[EnqueueResult]:
    """Store many e-mails in a few queries (for sweeps); one result per draft, in order.

    Steps:
    1. Check every draft; one bad draft stores nothing.
    2. Insert all messages, skipping keys that exist (the unique constraint decides, so two
       callers racing for one key store it once).
    3. Read the rows back by key; a row carrying the Message-ID this call made is new.
    4. Store the attachments and an "enqueued" event for the new ones.

    A key given twice in one call is stored once, from its first draft.
    """
    for draft in drafts:
        _check(draft)
    now = now or timezone.now()
    first: dict[str, MessageDraft] = {}
    for draft in drafts:
        first.setdefault(draft.key, draft)
    domain = outbox_settings().message_id_domain
    built = {key: _message(draft, now=now, domain=domain) for key, draft in first.items()}
    OutboxMessage.objects.bulk_create(built.values(), ignore_conflicts=True, batch_size=500)
    stored = OutboxMessage.objects.in_bulk(list(built), field_name="idempotency_key")
    new = [stored[key] for key, mine in built.items() if stored[key].message_id == mine.message_id]
    _store_attachments(new, first)
    OutboxEvent.objects.bulk_create(
        OutboxEvent(message=message, kind=OutboxEventKind.ENQUEUED, at=now) for message in new
    )
    created = {message.pk for message in new}
    return [
        EnqueueResult(message=stored[d.key], created=stored[d.key].pk in created) for d in drafts
    ]


def _check(draft: MessageDraft) -> None:
    """Mistakes of the caller, refused before anything is stored."""
    if not draft.key or len(draft.key) > KEY_MAX_LENGTH:
        raise OutboxError(f"The idempotency key must have 1 to {KEY_MAX_LENGTH} characters.")
    if isinstance(draft.to, str) or not draft.to:
        raise OutboxError(f"{draft.key}: 'to' must be a non-empty list of addresses.")
    if len(draft.subject) > SUBJECT_MAX_LENGTH or "\n" in draft.subject:
        raise OutboxError(f"{draft.key}: the subject must be one line of at most 500 characters.")
    if isinstance(draft.secrets, str) or any(not secret for secret in draft.secrets):
        raise OutboxError(f"{draft.key}: 'secrets' must be a list of non-empty texts.")
    if redact(draft.subject, secrets=draft.secrets) != draft.subject:
        raise OutboxError(f"{draft.key}: a secret must not be in the subject.")
    for attachment in draft.attachments:
        if (attachment.content is None) == (not attachment.path):
            raise OutboxError(
                f"{draft.key}: attachment '{attachment.filename}' needs content or a path."
            )
        if attachment.path.startswith(("/", "\\")) or ".." in attachment.path.split("/"):
            raise OutboxError(
                f"{draft.key}: attachment path '{attachment.path}' must be a name in the "
                "document storage (like documents/2026/12/x.pdf), not a file-system path."
            )


def _message(draft: MessageDraft, *, now: dt.datetime, domain: str) -> OutboxMessage:
    sealed_body = seal(text=draft.text, html=draft.html) if draft.secrets else ""
    return OutboxMessage(
        idempotency_key=draft.key,
        category=draft.category,
        from_email=draft.from_email or settings.DEFAULT_FROM_EMAIL,
        to=list(draft.to),
        cc=list(draft.cc),
        bcc=list(draft.bcc),
        reply_to=list(draft.reply_to),
        subject=draft.subject,
        text_body=redact(draft.text, secrets=draft.secrets),
        html_body=redact(draft.html, secrets=draft.secrets),
        sensitive=bool(draft.secrets),
        sealed_body=sealed_body,
        language=draft.language,
        message_id=f"<outbox.{uuid.uuid4().hex}@{domain}>",
        status=OutboxStatus.PENDING,
        next_attempt_at=draft.send_after or now,
        created_at=now,
    )


def _store_attachments(messages: list[OutboxMessage], drafts: dict[str, MessageDraft]) -> None:
    OutboxAttachment.objects.bulk_create(
        OutboxAttachment(
            message=message,
            filename=attachment.filename,
            mimetype=attachment.mimetype
            or mimetypes.guess_type(attachment.filename)[0]
            or "application/octet-stream",
            content=attachment.content,
            path=attachment.path,
        )
        for message in messages
        for attachment in drafts[message.idempotency_key].attachments
    )


# --- Staff decisions ------------------------------------------------------------------------


@transaction.atomic
def outbox_release(
    *,
    message: OutboxMessage,
    actor: Actor = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> OutboxMessage:
    """Send a message in review or failed again: staff judged that it did not arrive.

    The attempt count starts afresh, so a message that failed after all its retries gets all
    of them again. A message released from review may arrive twice if it had arrived after
    all; that is the decision staff take here, and the event records who took it.
    """
    locked = _review(message, allowed=RELEASABLE_STATUSES, action="released")
    now = now or timezone.now()
    detail = f"Released from {locked.status} after {locked.attempts} attempt(s). {note}".strip()
    before = locked.status
    locked.status = OutboxStatus.PENDING
    locked.attempts = 0
    locked.next_attempt_at = now
    _clear_claim(locked)
    locked.save(update_fields=[*_CLAIM_FIELDS, "status", "attempts", "next_attempt_at"])
    _event(message=locked, kind=OutboxEventKind.RELEASED, at=now, actor=actor, detail=detail)
    _review.audit("outbox.release", locked, before=before, actor=actor, note=note)
    return locked


@transaction.atomic
def outbox_dismiss(
    *,
    message: OutboxMessage,
    reason: str,
    actor: Actor = None,
    now: dt.datetime | None = None,
) -> OutboxMessage:
    """Close a message without sending it (again), e.g. it arrived after all, or it is moot.

    Pending and retrying messages may be dismissed too, so a caller whose occasion went away
    (a contract renewed while its reminder waited for a retry) can stop it.
    """
    if not reason.strip():
        raise OutboxError("Say why the message is dismissed.")
    locked = _review(message, allowed=DISMISSABLE_STATUSES, action="dismissed")
    now = now or timezone.now()
    detail = f"Dismissed from {locked.status}: {reason.strip()}"
    before = locked.status
    locked.status = OutboxStatus.DISMISSED
    _clear_claim(locked)
    locked.save(update_fields=[*_CLAIM_FIELDS, "status"])
    _event(message=locked, kind=OutboxEventKind.DISMISSED, at=now, actor=actor, detail=detail)
    review_audit(
        "outbox.dismiss", locked, before=before, actor=actor, details={"reason": reason.strip()}
    )
    return locked


@transaction.atomic
def outbox_dismiss_many(
    *,
    keys: Collection[str],
    reason: str,
    actor: Actor = None,
    now: dt.datetime | None = None,
) -> list[OutboxMessage]:
    """Withdraw the messages of `keys` that have not been handed to the server, set-based.

    For a caller whose occasion went away (a contract renewed or cancelled while its
    reminders' e-mails wait in the outbox), in the caller's transaction. Unlike
    `outbox_dismiss` it takes claimed messages too: their dispatcher marks a message
    `sending` only while it still holds its claim, so a withdrawn message is never sent;
    one already `sending` or `sent` is left alone (it is on its way), as are unknown keys.
    Rows are locked in id order, the order the dispatcher's updates take them. Returns the
    dismissed messages.
    """
    if not reason.strip():
        raise OutboxError("Say why the messages are dismissed.")
    now = now or timezone.now()
    messages = list(
        OutboxMessage.objects.select_for_update()
        .filter(idempotency_key__in=list(keys), status__in=WITHDRAWABLE_STATUSES)
        .order_by("id")
        .only("pk", "idempotency_key", "status", "attempts")
    )
    OutboxMessage.objects.filter(pk__in=[message.pk for message in messages]).update(
        status=OutboxStatus.DISMISSED, claim_token=None, claimed_by="", lease_expires_at=None
    )
    outbox_events_add(
        messages,
        kind=OutboxEventKind.DISMISSED,
        at=now,
        actor=actor,
        detail=lambda message: f"Dismissed from {message.status}: {reason.strip()}",
    )
    if messages:
        audit_record(
            action="outbox.dismiss_many",
            target=OutboxMessage,
            actor=actor,
            counts={"messages": len(messages)},
            details={"reason": reason.strip()},
        )
    for message in messages:
        message.status = OutboxStatus.DISMISSED
    return messages


_CLAIM_FIELDS = ("claim_token", "claimed_by", "lease_expires_at")


# How a staff decision locks the row (if its status allows the action) and is recorded.
_review = ReviewLock[OutboxMessage](
    noun="messages", name=lambda message: message.idempotency_key, refusal=OutboxError
)


def _clear_claim(message: OutboxMessage) -> None:
    """Forget the last dispatcher, so a late report of it no longer changes the message."""
    message.claim_token = None
    message.claimed_by = ""
    message.lease_expires_at = None


def _event(
    *,
    message: OutboxMessage,
    kind: OutboxEventKind,
    at: dt.datetime,
    actor: Actor,
    detail: str,
) -> None:
    outbox_events_add([message], kind=kind, at=at, actor=actor, detail=lambda _message: detail)


def outbox_events_add(
    messages: Iterable[OutboxMessage],
    *,
    kind: OutboxEventKind,
    at: dt.datetime,
    detail: Callable[[OutboxMessage], str],
    actor: Actor = None,
    by_claimant: bool = False,
) -> None:
    """One event per message at its current attempt, in one insert.

    The event names the staff `actor`, or with `by_claimant` the dispatcher that held the
    message's claim (`claimed_by`).
    """
    OutboxEvent.objects.bulk_create(
        OutboxEvent(
            message=message,
            kind=kind,
            at=at,
            attempt=message.attempts,
            worker=message.claimed_by if by_claimant else "",
            actor=actor_user(actor),
            detail=detail(message),
        )
        for message in messages
    )


# How staff review outbox messages, in the admin, the back office and `channeldesk outbox`.
OUTBOX_REVIEW: Reviewable[OutboxMessage] = Reviewable(
    release=lambda message, **decision: outbox_release(message=message, **decision),
    dismiss=lambda message, **decision: outbox_dismiss(message=message, **decision),
    get=lambda key: outbox_get(key=key),
    reference=lambda message: {"key": message.idempotency_key},
    name=lambda message: message.idempotency_key,
    refusals=(OutboxError, MessageNotFound),
)
