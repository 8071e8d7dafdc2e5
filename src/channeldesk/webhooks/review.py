"""Staff decisions on webhook deliveries: send again, or dismiss (docs/webhooks.md).

- **Send again** (`webhook_delivery_release`): a failed, dismissed or even delivered delivery
  goes back to the queue with its attempts counted afresh: the receiver lost it, or its
  endpoint works again. It is sent with the same `webhook-id`, so a receiver that had it after
  all drops the copy. A delivery of a paused subscription waits until it is resumed.
- **Dismiss** (`webhook_delivery_dismiss`): a pending, retrying or failed delivery is closed
  without sending (again), with a reason.

Each decision locks the row (a dispatcher holding it is not overruled: claimed or sending
deliveries are refused), is a `WebhookAttempt` with its actor, and an audit entry filed under
the subscription's partner.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from channeldesk.audit.services import actor_user
from channeldesk.core.errors import DomainError, NotFound
from channeldesk.notifications.leases import CLAIM_CLEARED
from channeldesk.notifications.review import Actor, Reviewable, ReviewLock
from channeldesk.webhooks.models import (
    AttemptKind,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

RELEASABLE_STATUSES = (DeliveryStatus.FAILED, DeliveryStatus.DISMISSED, DeliveryStatus.DELIVERED)
DISMISSABLE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRY, DeliveryStatus.FAILED)


class WebhookDeliveryError(DomainError):
    """A staff decision the delivery's status does not allow; the message says why."""

    code = "webhook_delivery_refused"


class WebhookDeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"


def _partner_of(delivery: WebhookDelivery) -> int | None:
    return (
        WebhookSubscription.objects.filter(pk=delivery.subscription_id)
        .values_list("partner_id", flat=True)
        .first()
    )


# How a staff decision locks the row (if its status allows the action) and is recorded.
_review = ReviewLock[WebhookDelivery](
    noun="deliveries",
    name=lambda delivery: f"Webhook delivery {delivery.pk}",
    refusal=WebhookDeliveryError,
    partner=_partner_of,
)


def webhook_delivery_get(*, delivery_id: int) -> WebhookDelivery:
    """The delivery by its id; WebhookDeliveryNotFound if there is none."""
    try:
        return WebhookDelivery.objects.get(pk=delivery_id)
    except WebhookDelivery.DoesNotExist:
        raise WebhookDeliveryNotFound(f"There is no webhook delivery {delivery_id}.") from None


@transaction.atomic
def webhook_delivery_release(
    *, delivery_id: int, actor: Actor, note: str = "", now: dt.datetime | None = None
) -> WebhookDelivery:
    """Send a failed, dismissed or delivered delivery again, attempts counted afresh."""
    locked = _review(
        webhook_delivery_get(delivery_id=delivery_id),
        allowed=RELEASABLE_STATUSES,
        action="sent again",
    )
    now = now or timezone.now()
    before = locked.status
    detail = f"Sent again from {before} after {locked.attempts} attempt(s). {note}".strip()
    locked.status = DeliveryStatus.PENDING
    locked.attempts = 0
    locked.next_attempt_at = now
    _clear_claim(locked)
    locked.save(update_fields=[*CLAIM_CLEARED, "status", "attempts", "next_attempt_at"])
    _history(locked, kind=AttemptKind.RELEASED, actor=actor, detail=detail, now=now)
    _review.audit("webhooks.delivery_release", locked, before=before, actor=actor, note=note)
    return locked


@transaction.atomic
def webhook_delivery_dismiss(
    *, delivery_id: int, actor: Actor, reason: str, now: dt.datetime | None = None
) -> WebhookDelivery:
    """Close a pending, retrying or failed delivery without sending it (again)."""
    if not reason.strip():
        raise WebhookDeliveryError("Say why the delivery is dismissed.")
    locked = _review(
        webhook_delivery_get(delivery_id=delivery_id),
        allowed=DISMISSABLE_STATUSES,
        action="dismissed",
    )
    now = now or timezone.now()
    before = locked.status
    locked.status = DeliveryStatus.DISMISSED
    _clear_claim(locked)
    locked.save(update_fields=[*CLAIM_CLEARED, "status"])
    detail = f"Dismissed from {before}: {reason.strip()}"
    _history(locked, kind=AttemptKind.DISMISSED, actor=actor, detail=detail, now=now)
    _review.audit(
        "webhooks.delivery_dismiss", locked, before=before, actor=actor, note=reason.strip()
    )
    return locked


def _clear_claim(delivery: WebhookDelivery) -> None:
    """Forget the last dispatcher, so a late report of it no longer changes the delivery."""
    delivery.claim_token = None
    delivery.claimed_by = ""
    delivery.lease_expires_at = None


def _history(
    delivery: WebhookDelivery, *, kind: AttemptKind, actor: Actor, detail: str, now: dt.datetime
) -> None:
    WebhookAttempt.objects.create(
        delivery=delivery,
        kind=kind,
        attempt=delivery.attempts,
        at=now,
        actor=actor_user(actor),
        detail=detail,
    )


# How staff review webhook deliveries, in the admin, the back office, the portal and
# `channeldesk webhooks`.
WEBHOOK_REVIEW: Reviewable[WebhookDelivery] = Reviewable(
    release=lambda delivery, **decision: webhook_delivery_release(
        delivery_id=delivery.pk, **decision
    ),
    dismiss=lambda delivery, **decision: webhook_delivery_dismiss(
        delivery_id=delivery.pk, **decision
    ),
    get=lambda reference: webhook_delivery_get(delivery_id=int(reference)),
    reference=lambda delivery: {"id": delivery.pk},
    name=lambda delivery: f"Webhook delivery {delivery.pk}",
    refusals=(WebhookDeliveryError, WebhookDeliveryNotFound),
)
