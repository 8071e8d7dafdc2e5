"""Builders of the outbox tests: messages in the outbox, and their statuses read back."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from channeldesk.notifications.models import OutboxMessage
from channeldesk.notifications.services import MessageDraft, outbox_enqueue, outbox_enqueue_many

NOW = timezone.make_aware(dt.datetime(2026, 1, 15, 9, 0))


def enqueue(key: str = "reminder:1:partner", **fields: Any) -> OutboxMessage:
    values: dict[str, Any] = {
        "to": ["anna@alpha.example"],
        "subject": "Ihr Kunde erhält in 15 Tagen ein Verlängerungsschreiben",
        "text": "Guten Tag,\n\nbitte beachten Sie …",
        "now": NOW,
    }
    return outbox_enqueue(key=key, **{**values, **fields}).message


def enqueue_many(count: int, *, prefix: str = "bulk") -> list[OutboxMessage]:
    drafts = [
        MessageDraft(
            key=f"{prefix}:{number}",
            to=[f"partner{number}@example.com"],
            subject=f"Message {number}",
            text=f"Text {number}",
        )
        for number in range(count)
    ]
    return [result.message for result in outbox_enqueue_many(drafts=drafts, now=NOW)]


def statuses() -> dict[str, str]:
    return dict(OutboxMessage.objects.values_list("idempotency_key", "status"))
