"""Subscriptions and events for the delivery tests, made the way production makes them: the
secret generated and sealed, events emitted in a transaction by `webhook_events_emit`."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from channeldesk.partners.models import Partner
from channeldesk.webhooks.emit import EventDraft, webhook_events_emit
from channeldesk.webhooks.events import EVENT_TYPES
from channeldesk.webhooks.models import WebhookDelivery, WebhookSubscription
from channeldesk.webhooks.secrets import webhook_secret_generate, webhook_secret_seal


def subscription_make(
    *,
    url: str = "https://hooks.example.com/channeldesk",
    secret: str = "",
    partner: Partner | None = None,
    event_types: list[str] | None = None,
    status: str = "active",
    language: str = "en",
    name: str = "CRM",
) -> tuple[WebhookSubscription, str]:
    """A subscription and its secret (in clear, as shown once to whoever made it)."""
    secret = secret or webhook_secret_generate()
    now = timezone.now()
    subscription = WebhookSubscription.objects.create(
        name=name,
        url=url,
        event_types=event_types if event_types is not None else list(EVENT_TYPES),
        secret_sealed=webhook_secret_seal(secret),
        status=status,
        partner=partner,
        notify_email="integrations@example.com",
        language=language,
        created_at=now,
        updated_at=now,
    )
    return subscription, secret


def events_emit(count: int, *, partner_id: int | None = None, prefix: str = "t") -> None:
    """`count` tier changes of one partner, each its own event."""
    drafts = [
        EventDraft(
            type="partner.tier_changed",
            key=f"{prefix}:{number}",
            data={"partner": {"id": partner_id, "number": f"P{number:06d}"}, "tier": "gold"},
            partner_id=partner_id,
        )
        for number in range(count)
    ]
    with transaction.atomic():
        webhook_events_emit(drafts)


def deliveries() -> list[WebhookDelivery]:
    return list(WebhookDelivery.objects.select_related("event").order_by("id"))
