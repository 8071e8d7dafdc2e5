"""Helpers of the emitted-events tests: subscriptions made with the ORM, the events stored, and
each event's `data` checked against its payload model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.utils import timezone

from channeldesk.partners.models import Partner
from channeldesk.webhooks.models import WebhookDelivery, WebhookEvent, WebhookSubscription
from channeldesk.webhooks.payloads import PAYLOADS


class Rollback(Exception):
    """Raised inside a business change's transaction to undo it."""


def rolled_back(change: Callable[[], object]) -> int:
    """Make `change` in a transaction that is then rolled back (an error after the change);
    returns how many events it had emitted before the rollback."""
    emitted = 0
    try:
        with transaction.atomic():
            change()
            emitted = WebhookEvent.objects.count()
            raise Rollback
    except Rollback:
        pass
    return emitted


def subscribe(
    *types: str, partner: Partner | None = None, name: str = "CRM"
) -> WebhookSubscription:
    now = timezone.now()
    return WebhookSubscription.objects.create(
        name=name,
        url="https://hooks.example.com/channeldesk",
        event_types=list(types),
        secret_sealed="x",
        partner=partner,
        notify_email="integrations@example.com",
        created_at=now,
        updated_at=now,
    )


def events(type: str) -> list[WebhookEvent]:
    return list(WebhookEvent.objects.filter(type=type).order_by("id"))


def the_event(type: str) -> WebhookEvent:
    """The one event of `type`, its `data` valid under the type's payload model."""
    found = events(type)
    assert len(found) == 1, [event.idempotency_key for event in found]
    valid(found[0])
    return found[0]


def valid(event: WebhookEvent) -> dict[str, Any]:
    """The event's data, validated (strictly: no field the model does not name)."""
    PAYLOADS[event.type].model_validate(event.data)
    assert event.version == 1
    return event.data


def receivers(event: WebhookEvent) -> set[int]:
    """The subscriptions the event is delivered to."""
    return set(
        WebhookDelivery.objects.filter(event=event).values_list("subscription_id", flat=True)
    )
