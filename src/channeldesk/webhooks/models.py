"""Webhooks: who wants which events (subscriptions), the events, and each event's delivery to
each subscription with its history (docs/webhooks.md).

An event is written in the transaction of the business change that caused it (the outbox
pattern: it exists if and only if the change committed), once per idempotency key; its
deliveries are the rows the delivery engine sends (`notifications.leases`, docs/delivery.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.core.fields import actor_field
from channeldesk.notifications.leases import LeaseMixin
from channeldesk.notifications.models import DeliveryEvent
from channeldesk.partners.models import Partner


class SubscriptionStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    PAUSED = "paused", _("paused")


class WebhookSubscription(models.Model):
    """An endpoint of another system (a CRM, ERP or PSA tool) and the event types it wants.

    Without a partner it is the vendor's and receives every partner's events; with one it was
    made by that partner's admin in the portal and receives only that partner's events (and the
    programme events every partner may see). The signing secret is stored sealed and shown once,
    when it is made.
    """

    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=2000)
    event_types = models.JSONField(_("event types"), default=list)
    secret_sealed = models.TextField(_("sealed signing secret"), editable=False)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=SubscriptionStatus.choices,
        default=SubscriptionStatus.ACTIVE,
    )
    paused_reason = models.TextField(_("why paused"), blank=True)
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_subscriptions",
    )
    notify_email = models.EmailField(
        _("notify e-mail"),
        help_text=_("Told when the subscription is paused because its deliveries keep failing."),
    )
    language = models.CharField(_("language"), max_length=8, default=settings.LANGUAGE_CODE)
    created_by = actor_field(_("created by"))
    created_at = models.DateTimeField(_("created at"))
    updated_at = models.DateTimeField(_("updated at"))

    class Meta:
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class WebhookEvent(models.Model):
    """One thing that happened, once per idempotency key, with its versioned JSON payload.

    `event_id` is the stable id receivers see (the `webhook-id` header and the payload's `id`);
    the primary key orders events as they were written.
    """

    event_id = models.CharField(_("event id"), max_length=64, editable=False)
    idempotency_key = models.CharField(_("idempotency key"), max_length=200)
    type = models.CharField(_("type"), max_length=64)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    occurred_at = models.DateTimeField(_("occurred at"))
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    data = models.JSONField(_("data"))
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["event_id"], name="webhook_event_unique_event_id"),
            models.UniqueConstraint(
                fields=["idempotency_key"], name="webhook_event_unique_idempotency_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    CLAIMED = "claimed", _("claimed")
    SENDING = "sending", _("sending")
    DELIVERED = "delivered", _("delivered")
    RETRY = "retry", _("retry")
    FAILED = "failed", _("failed")
    DISMISSED = "dismissed", _("dismissed")


# A dispatcher may pick these up once their next attempt is due (and the subscription is active).
DUE_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.RETRY)
# A dispatcher holds these under a lease.
HELD_STATUSES = (DeliveryStatus.CLAIMED, DeliveryStatus.SENDING)


class WebhookDelivery(LeaseMixin):
    """One event to one subscription: sent until the receiver answers 2xx, retried with
    backoff, at least once (a receiver dedupes by the event's `webhook-id`)."""

    event = models.ForeignKey(
        WebhookEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="deliveries"
    )
    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    created_at = models.DateTimeField(_("created at"))
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(
        _("last HTTP status"), null=True, blank=True
    )
    last_latency_ms = models.PositiveIntegerField(_("last latency (ms)"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "subscription"], name="webhook_delivery_unique_event_subscription"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at", "id"],
                condition=models.Q(status__in=DUE_STATUSES),
                name="webhook_delivery_due",
            ),
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status__in=HELD_STATUSES),
                name="webhook_delivery_held",
            ),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_by_sub"),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} → {self.subscription_id} ({self.status})"


class AttemptKind(models.TextChoices):
    DELIVERED = "delivered", _("delivered")
    RETRY = "retry", _("failed, will retry")
    FAILED = "failed", _("failed for good")
    EXPIRED = "expired", _("worker lost, will retry")
    RELEASED = "released", _("sent again by staff")
    DISMISSED = "dismissed", _("dismissed")
    LATE = "late", _("late report ignored")


class WebhookAttempt(DeliveryEvent):
    """One step in a delivery's history: an attempt (status, latency, the start of the
    response), or a decision (sent again, dismissed)."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempts_made",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=AttemptKind.choices)
    attempt = models.PositiveIntegerField(_("attempt"), default=0)
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    response_excerpt = models.TextField(_("response excerpt"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["delivery", "at", "id"]
