"""Reads of the outbox for staff: lists by status, one message by key, its history, counts."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import QuerySet

from channeldesk.core.errors import NotFound
from channeldesk.core.querysets import queryset_narrow, status_counts
from channeldesk.notifications.models import OutboxEvent, OutboxMessage, OutboxStatus


class MessageNotFound(NotFound):
    """No outbox message has the given idempotency key."""

    code = "message_not_found"


def outbox_list(*, statuses: Sequence[str] = (), limit: int = 100) -> list[OutboxMessage]:
    """The newest messages, optionally only those in the given statuses."""
    unknown = set(statuses) - set(OutboxStatus.values)
    if unknown:
        raise ValueError(f"Unknown status(es): {', '.join(sorted(unknown))}.")
    messages: QuerySet[OutboxMessage] = OutboxMessage.objects.order_by("-created_at", "-id")
    return list(queryset_narrow(messages, status__in=statuses)[:limit])


def outbox_get(*, key: str) -> OutboxMessage:
    try:
        return OutboxMessage.objects.get(idempotency_key=key)
    except OutboxMessage.DoesNotExist:
        raise MessageNotFound(f"No outbox message has the key '{key}'.") from None


def outbox_history(*, message: OutboxMessage) -> list[OutboxEvent]:
    """Everything that happened to a message, oldest first, with who did it."""
    return list(message.events.select_related("actor").order_by("at", "id"))


def outbox_counts() -> dict[str, int]:
    """Messages per status, every status present (zero when none)."""
    return status_counts(OutboxMessage.objects.all(), statuses=OutboxStatus.values)
