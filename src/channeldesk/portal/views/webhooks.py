"""Webhook subscriptions of the partner's own systems (its CRM, PSA tool) in the portal.

Every partner user reads its partner's subscriptions and their delivery history; the partner's
admins create, change, pause, resume, rotate, delete and send deliveries again. The partner is
always the login's own (never chosen, never from the URL): another partner's subscription or
delivery is not found (404), whatever its id (docs/portal.md).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from channeldesk.core.admin import action_refusals
from channeldesk.core.errors import DomainError
from channeldesk.partners.models import MembershipRole, PartnerMembership
from channeldesk.portal.access import partner_admin_view, partner_page
from channeldesk.portal.views.common import selected_or_404
from channeldesk.webhooks.forms import PauseForm, SubscriptionForm
from channeldesk.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from channeldesk.webhooks.review import RELEASABLE_STATUSES, webhook_delivery_release
from channeldesk.webhooks.selectors import (
    deliveries_filter,
    deliveries_visible_to,
    deliveries_with_attempts,
    subscriptions_visible_to,
    subscriptions_with_health,
)
from channeldesk.webhooks.subscriptions import (
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_pause,
    webhook_subscription_resume,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)

PAGE_SIZE = 25
FACE = "portal"


def _subscription(request: HttpRequest, subscription_id: int) -> WebhookSubscription:
    return selected_or_404(
        lambda pk: subscriptions_visible_to(user=request.user).get(pk=pk),
        WebhookSubscription.DoesNotExist,
        "No such webhook subscription.",
        pk=subscription_id,
    )


def _context(membership: PartnerMembership, **more: Any) -> dict[str, Any]:
    return {
        "section": "webhooks",
        "face": FACE,
        "membership": membership,
        "may_manage": membership.role == MembershipRole.ADMIN,
        **more,
    }


@partner_page
def subscription_list(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    rows = subscriptions_with_health(subscriptions=subscriptions_visible_to(user=request.user))
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "portal/webhooks/list.html", _context(membership, page=page))


@partner_admin_view
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_create(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    form = SubscriptionForm(request.POST or None, initial={"language": membership.partner.language})
    if request.method == "POST" and form.is_valid():
        try:
            created = webhook_subscription_create(actor=request.user, **form.cleaned_data)
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            context = _context(membership, subscription=created.subscription, secret=created.secret)
            return render(request, "portal/webhooks/secret.html", context)
    status = 400 if request.method == "POST" else 200
    context = _context(membership, form=form)
    return render(request, "portal/webhooks/form.html", context, status=status)


@partner_page
def subscription_detail(
    request: HttpRequest, membership: PartnerMembership, subscription_id: int
) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    status = request.GET.get("status", "")
    if status not in DeliveryStatus.values:
        status = ""
    deliveries = deliveries_filter(
        deliveries=deliveries_visible_to(user=request.user),
        subscription=subscription.pk,
        status=status or None,
    )
    page = Paginator(deliveries_with_attempts(deliveries=deliveries), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = _context(
        membership,
        subscription=subscription,
        page=page,
        status=status,
        statuses=DeliveryStatus.choices,
        resendable=[str(value) for value in RELEASABLE_STATUSES],
    )
    return render(request, "portal/webhooks/detail.html", context)


@partner_admin_view
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_edit(
    request: HttpRequest, membership: PartnerMembership, subscription_id: int
) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    if request.method != "POST":
        form = SubscriptionForm.for_subscription(subscription)
        context = _context(membership, form=form, subscription=subscription)
        return render(request, "portal/webhooks/form.html", context)
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        try:
            webhook_subscription_update(
                actor=request.user, subscription=subscription, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The subscription has been changed."))
            return redirect("portal:webhook", subscription.pk)
    context = _context(membership, form=form, subscription=subscription)
    return render(request, "portal/webhooks/form.html", context, status=400)


@partner_admin_view
@require_POST
def subscription_pause(
    request: HttpRequest, membership: PartnerMembership, subscription_id: int
) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    form = PauseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    with action_refusals(request):
        webhook_subscription_pause(actor=request.user, subscription=subscription, reason=reason)
        messages.success(request, _("The subscription is paused."))
    return redirect("portal:webhook", subscription.pk)


@partner_admin_view
@require_POST
def subscription_resume(
    request: HttpRequest, membership: PartnerMembership, subscription_id: int
) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    with action_refusals(request):
        webhook_subscription_resume(actor=request.user, subscription=subscription)
        messages.success(request, _("The subscription is active again."))
    return redirect("portal:webhook", subscription.pk)


@partner_admin_view
@require_POST
def subscription_rotate(
    request: HttpRequest, membership: PartnerMembership, subscription_id: int
) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    rotated = webhook_subscription_rotate_secret(actor=request.user, subscription=subscription)
    context = _context(
        membership, subscription=rotated.subscription, secret=rotated.secret, rotated=True
    )
    return render(request, "portal/webhooks/secret.html", context)


@partner_admin_view
@require_POST
def subscription_delete(
    request: HttpRequest, membership: PartnerMembership, subscription_id: int
) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    webhook_subscription_delete(actor=request.user, subscription=subscription)
    messages.success(request, _("The subscription has been deleted."))
    return redirect("portal:webhooks")


@partner_admin_view
@require_POST
def delivery_send_again(
    request: HttpRequest, membership: PartnerMembership, delivery_id: int
) -> HttpResponse:
    delivery = selected_or_404(
        lambda pk: deliveries_visible_to(user=request.user).get(pk=pk),
        WebhookDelivery.DoesNotExist,
        "No such webhook delivery.",
        pk=delivery_id,
    )
    with action_refusals(request):
        webhook_delivery_release(delivery_id=delivery.pk, actor=request.user, note="portal")
        messages.success(request, _("The delivery will be sent again shortly."))
    return redirect("portal:webhook", delivery.subscription_id)
