"""Reads of webhook subscriptions, events and deliveries, scoped to who may see them, and who
may manage them.

Scoping goes through the one place that scopes partner data (`partners.selectors`):

1. Vendor staff see every subscription (the vendor's own and every partner's), every delivery
   and every event.
2. A partner user sees its own partner's subscriptions and their deliveries, and the events
   that concern its partner or every partner (programme events); never the vendor's
   subscriptions or another partner's.
3. Anyone else sees nothing.

Managing (create, change, pause, resume, rotate the secret, delete, send a delivery again) is
for channel managers (and superusers) and for a partner's admins, the latter for their own
partner's subscriptions only; the support desk and other partner users only read
(docs/security.md).
"""

from __future__ import annotations

from django.db.models import Count, Max, Prefetch, Q, QuerySet

from channeldesk.partners.models import MembershipRole
from channeldesk.partners.selectors import (
    AnyUser,
    membership_for_user,
    partner_scope_filter,
    user_is_channel_manager,
)
from channeldesk.webhooks.events import EVENT_TYPES, Audience
from channeldesk.webhooks.models import (
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)

# Deliveries that did not get through (yet): shown as "failing" beside a subscription.
FAILING_STATUSES = (DeliveryStatus.RETRY, DeliveryStatus.FAILED)
PROGRAMME_EVENT_TYPES = tuple(
    name for name, event in EVENT_TYPES.items() if event.audience is Audience.PROGRAMME
)


def user_is_partner_admin(*, user: AnyUser) -> bool:
    membership = membership_for_user(user=user)
    return membership is not None and membership.role == MembershipRole.ADMIN


def user_may_manage_webhooks(*, user: AnyUser) -> bool:
    """Whether the login may manage any subscription at all: channel managers (all of them),
    partner admins (their own partner's)."""
    return user_is_channel_manager(user=user) or user_is_partner_admin(user=user)


def subscriptions_visible_to(*, user: AnyUser) -> QuerySet[WebhookSubscription]:
    """The subscriptions the user may read."""
    return WebhookSubscription.objects.filter(partner_scope_filter(user=user)).select_related(
        "partner"
    )


def subscriptions_manageable_by(*, user: AnyUser) -> QuerySet[WebhookSubscription]:
    """The subscriptions the user may change: those it sees, if it may manage at all."""
    if not user_may_manage_webhooks(user=user):
        return WebhookSubscription.objects.none()
    return subscriptions_visible_to(user=user)


def subscription_may_be_managed(*, user: AnyUser, subscription: WebhookSubscription) -> bool:
    """Whether the user may change this subscription."""
    if user_is_channel_manager(user=user):
        return True
    membership = membership_for_user(user=user)
    return (
        membership is not None
        and membership.role == MembershipRole.ADMIN
        and subscription.partner_id == membership.partner_id
    )


def subscriptions_with_health(
    *, subscriptions: QuerySet[WebhookSubscription]
) -> QuerySet[WebhookSubscription]:
    """The subscriptions with `failing_count` (deliveries retrying or failed), `waiting_count`
    (pending or retrying) and `last_delivered_at`, in one query."""
    return subscriptions.annotate(
        failing_count=Count("deliveries", filter=Q(deliveries__status__in=FAILING_STATUSES)),
        waiting_count=Count(
            "deliveries",
            filter=Q(deliveries__status__in=(DeliveryStatus.PENDING, DeliveryStatus.RETRY)),
        ),
        last_delivered_at=Max("deliveries__delivered_at"),
    )


def subscriptions_filter(
    *,
    subscriptions: QuerySet[WebhookSubscription],
    status: str | None = None,
    partner_number: str | None = None,
) -> QuerySet[WebhookSubscription]:
    if status:
        subscriptions = subscriptions.filter(status=status)
    if partner_number:
        subscriptions = subscriptions.filter(partner__partner_number=partner_number)
    return subscriptions


def deliveries_visible_to(*, user: AnyUser) -> QuerySet[WebhookDelivery]:
    """The deliveries the user may read: those of the subscriptions it sees."""
    scope = partner_scope_filter(user=user, lookup="subscription__partner")
    return WebhookDelivery.objects.filter(scope).select_related("event", "subscription")


def deliveries_filter(
    *,
    deliveries: QuerySet[WebhookDelivery],
    subscription: int | None = None,
    status: str | None = None,
    event_type: str | None = None,
) -> QuerySet[WebhookDelivery]:
    if subscription is not None:
        deliveries = deliveries.filter(subscription_id=subscription)
    if status:
        deliveries = deliveries.filter(status=status)
    if event_type:
        deliveries = deliveries.filter(event__type=event_type)
    return deliveries


def deliveries_with_attempts(*, deliveries: QuerySet[WebhookDelivery]) -> QuerySet[WebhookDelivery]:
    """The deliveries with their history (attempts and decisions, oldest first) prefetched as
    `history`, one query for a whole page."""
    attempts = WebhookAttempt.objects.select_related("actor").order_by("at", "id")
    return deliveries.prefetch_related(
        Prefetch("attempts_made", queryset=attempts, to_attr="history")
    )


def events_visible_to(*, user: AnyUser) -> QuerySet[WebhookEvent]:
    """The events the user may read: all for staff; for a partner user those of its partner
    and the programme events every partner receives."""
    scope = partner_scope_filter(user=user)
    if membership_for_user(user=user) is not None:
        scope |= Q(partner__isnull=True, type__in=PROGRAMME_EVENT_TYPES)
    return WebhookEvent.objects.filter(scope)
