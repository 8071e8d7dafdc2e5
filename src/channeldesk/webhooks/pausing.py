"""Pausing a subscription whose deliveries keep failing, and telling its owner by e-mail.

A delivery that failed for good (every retry over about three days used up, or a permanent
failure: 410 Gone, a refused address) pauses its subscription: the endpoint has been failing
for days, or never can work, and more events would only pile up failures. Its other
deliveries wait (a paused subscription's deliveries are not claimed); resuming it
(`webhooks.subscriptions`) makes them due again. The pause is a conditional update, so when
several deliveries fail at once, the first one pauses and only it sends the e-mail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from channeldesk.notifications.services import outbox_enqueue
from channeldesk.webhooks.models import SubscriptionStatus, WebhookSubscription

LANGUAGES = ("de", "en")


@dataclass(frozen=True)
class Pause:
    """Delivery `delivery_id` of subscription `subscription_id` failed for good; `reason`."""

    subscription_id: int
    delivery_id: int
    reason: str


def subscriptions_pause(pauses: Sequence[Pause], *, now: dt.datetime) -> int:
    """Pause the active subscriptions of `pauses` and e-mail their `notify_email` (in the
    caller's transaction); returns how many were paused now."""
    first: dict[int, Pause] = {}
    for pause in pauses:
        first.setdefault(pause.subscription_id, pause)
    paused = 0
    for pause in first.values():
        reason = _paused_reason(pause)
        changed = WebhookSubscription.objects.filter(
            pk=pause.subscription_id, status=SubscriptionStatus.ACTIVE
        ).update(status=SubscriptionStatus.PAUSED, paused_reason=reason, updated_at=now)
        if changed:
            paused += 1
            _tell_owner(WebhookSubscription.objects.get(pk=pause.subscription_id), pause, now=now)
    return paused


def _paused_reason(pause: Pause) -> str:
    return f"Delivery {pause.delivery_id} failed for good: {pause.reason}"[:2000]


def _tell_owner(subscription: WebhookSubscription, pause: Pause, *, now: dt.datetime) -> None:
    if not subscription.notify_email:
        return
    language = subscription.language[:2]
    if language not in LANGUAGES:
        language = str(settings.LANGUAGE_CODE)[:2]
    with translation.override(language):
        subject = _("Webhook paused: %(name)s") % {"name": subscription.name}
        text = _(
            "Hello,\n\n"
            "ChannelDesk paused the webhook subscription “%(name)s” to %(url)s, because a "
            "delivery to it failed for good:\n\n%(reason)s\n\n"
            "No events are sent to it while it is paused; they are kept and wait. Once the "
            "endpoint works again, resume the subscription in ChannelDesk (Webhooks) and the "
            "waiting events are delivered, each with its original webhook-id.\n\n"
            "Your ChannelDesk\n"
        ) % {"name": subscription.name, "url": subscription.url, "reason": pause.reason}
    outbox_enqueue(
        key=f"webhooks:paused:{subscription.pk}:{pause.delivery_id}:{int(now.timestamp())}",
        to=[subscription.notify_email],
        subject=subject,
        text=text,
        language=language,
        category="webhooks:paused",
        now=now,
    )
