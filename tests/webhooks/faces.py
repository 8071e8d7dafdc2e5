"""Subscriptions, events and deliveries for the tests of the faces (pages, API, admin): rows as
the services and the dispatcher leave them, made directly so the tests need no receiver."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from channeldesk.partners.models import Partner
from channeldesk.webhooks.models import (
    AttemptKind,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from channeldesk.webhooks.secrets import webhook_secret_generate, webhook_secret_seal


def subscription_of(
    partner: Partner | None,
    *,
    name: str = "",
    url: str = "https://crm.example.com/hooks",
    status: str = "active",
    event_types: list[str] | None = None,
) -> WebhookSubscription:
    now = timezone.now()
    return WebhookSubscription.objects.create(
        name=name or f"CRM of {partner.partner_number if partner else 'the vendor'}",
        url=url,
        event_types=event_types or ["partner.tier_changed", "contract.renewed"],
        secret_sealed=webhook_secret_seal(webhook_secret_generate()),
        status=status,
        partner=partner,
        notify_email="it@example.com",
        language="en",
        created_at=now,
        updated_at=now,
    )


def delivery_of(
    subscription: WebhookSubscription,
    *,
    status: str = DeliveryStatus.FAILED,
    event_type: str = "partner.tier_changed",
    next_attempt_at: dt.datetime | None = None,
    response: str = "upstream says no",
) -> WebhookDelivery:
    """A delivery of a new event to `subscription`, with one attempt in its history."""
    now = timezone.now()
    event = WebhookEvent.objects.create(
        event_id=f"evt_{uuid.uuid4().hex}",
        idempotency_key=f"test:{uuid.uuid4().hex}",
        type=event_type,
        occurred_at=now,
        partner=subscription.partner,
        data={"partner": {"id": subscription.partner_id}},
        created_at=now,
    )
    delivered = status == DeliveryStatus.DELIVERED
    delivery = WebhookDelivery.objects.create(
        event=event,
        subscription=subscription,
        status=status,
        next_attempt_at=next_attempt_at or now,
        created_at=now,
        delivered_at=now if delivered else None,
        attempts=1,
        last_status_code=200 if delivered else 503,
        last_latency_ms=42,
        last_error="" if delivered else "HTTP 503",
    )
    WebhookAttempt.objects.create(
        delivery=delivery,
        kind=AttemptKind.DELIVERED if delivered else AttemptKind.FAILED,
        attempt=1,
        at=now,
        status_code=delivery.last_status_code,
        latency_ms=42,
        response_excerpt=response,
    )
    return delivery
