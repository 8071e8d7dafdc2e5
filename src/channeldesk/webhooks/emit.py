"""Emitting webhook events: in the transaction of the business change (the outbox pattern).

A domain service that changes something other systems care about calls `webhook_events_emit`
inside its own `transaction.atomic()` block, with one `EventDraft` per change. The event and
its deliveries are written in that transaction, so an event exists if and only if the change
committed, and a repeated or raced call with the same idempotency key writes nothing more (the
key's unique constraint). Delivery happens later, in the webhook dispatcher.

An event no subscription asked for is not stored: the emitting sweep then costs one query.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from channeldesk.webhooks.events import EVENT_TYPES, PAYLOAD_VERSION, Audience
from channeldesk.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)


class EmitOutsideTransaction(RuntimeError):
    """An event emitted outside the business change's transaction (a programming error)."""


@dataclass(frozen=True)
class EventDraft:
    """One event to emit.

    `key` is the idempotency key (one event per key, ever: e.g. `contract.renewed:<id>:<new
    end>`); `data` the payload's `data` object, JSON-ready (Decimals as `core.json_numbers`);
    `partner_id` the partner it concerns (None only for programme events).
    """

    type: str
    key: str
    data: Mapping[str, Any]
    partner_id: int | None = None
    occurred_at: dt.datetime | None = None
    version: int = field(default=PAYLOAD_VERSION)


def _reaches(subscription: Mapping[str, Any], draft: EventDraft) -> bool:
    if draft.type not in subscription["event_types"]:
        return False
    if subscription["partner_id"] is None:
        return True
    if EVENT_TYPES[draft.type].audience is Audience.PROGRAMME:
        return True
    return bool(subscription["partner_id"] == draft.partner_id)


def webhook_events_emit(drafts: Sequence[EventDraft], *, now: dt.datetime | None = None) -> int:
    """Store the events of `drafts` that some subscription wants, with their deliveries.

    Must run inside the caller's transaction. Returns how many events were new (a key already
    stored is skipped). Paused subscriptions get their deliveries too; they wait until resumed.
    """
    if not drafts:
        return 0
    if not transaction.get_connection().in_atomic_block:
        raise EmitOutsideTransaction(
            "webhook_events_emit must run inside the business change's transaction.atomic()"
        )
    for draft in drafts:
        if draft.type not in EVENT_TYPES:
            raise ValueError(f"Unknown webhook event type {draft.type!r}")
        json.dumps(draft.data)  # JSON-ready, or a TypeError here rather than at send time
    types = {draft.type for draft in drafts}
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.values("id", "partner_id", "event_types")
        if types.intersection(subscription["event_types"])
    ]
    if not subscriptions:
        return 0
    now = now or timezone.now()
    wanted: dict[str, tuple[EventDraft, list[int]]] = {}
    for draft in drafts:
        reached = [sub["id"] for sub in subscriptions if _reaches(sub, draft)]
        if reached and draft.key not in wanted:
            wanted[draft.key] = (draft, reached)
    if not wanted:
        return 0
    events = [
        WebhookEvent(
            event_id=f"evt_{uuid.uuid4().hex}",
            idempotency_key=key,
            type=draft.type,
            version=draft.version,
            occurred_at=draft.occurred_at or now,
            partner_id=draft.partner_id,
            data=dict(draft.data),
            created_at=now,
        )
        for key, (draft, _reached) in wanted.items()
    ]
    with transaction.atomic():
        WebhookEvent.objects.bulk_create(events, ignore_conflicts=True, batch_size=1000)
        # Only the events written now carry the ids just made; a key stored earlier keeps its own.
        new = dict(
            WebhookEvent.objects.filter(
                event_id__in=[event.event_id for event in events]
            ).values_list("idempotency_key", "id")
        )
        WebhookDelivery.objects.bulk_create(
            [
                WebhookDelivery(
                    event_id=event_pk,
                    subscription_id=subscription_id,
                    status=DeliveryStatus.PENDING,
                    next_attempt_at=now,
                    created_at=now,
                )
                for key, event_pk in new.items()
                for subscription_id in wanted[key][1]
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
    return len(new)


def webhook_event_emit(
    *,
    type: str,
    key: str,
    data: Mapping[str, Any],
    partner_id: int | None = None,
    occurred_at: dt.datetime | None = None,
) -> int:
    """One event; see `webhook_events_emit`."""
    return webhook_events_emit(
        [EventDraft(type=type, key=key, data=data, partner_id=partner_id, occurred_at=occurred_at)]
    )
