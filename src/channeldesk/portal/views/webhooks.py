"""Webhook subscriptions of the partner's own systems (its CRM, PSA tool) in the portal.

Every partner user reads its partner's subscriptions and their delivery history; the partner's
admins create, change, pause, resume, rotate, delete and send deliveries again. The partner is
always the login's own (never chosen, never from the URL): another partner's subscription or
delivery is not found (404), whatever its id (docs/portal.md). The page bodies are the back
office's too (`webhooks.faces`); the access rules are this module's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from channeldesk.partners.models import MembershipRole, PartnerMembership
from channeldesk.portal.access import partner_admin_view, partner_page
from channeldesk.webhooks.faces import SubscriptionAction, WebhookFace
from channeldesk.webhooks.forms import SubscriptionForm
from channeldesk.webhooks.selectors import subscriptions_visible_to, subscriptions_with_health
from channeldesk.webhooks.subscriptions import webhook_subscription_create

FACE = WebhookFace(name="portal", page_size=25, note="portal")


def _context(membership: PartnerMembership, **more: Any) -> dict[str, Any]:
    return {
        "section": "webhooks",
        "face": FACE.name,
        "membership": membership,
        "may_manage": membership.role == MembershipRole.ADMIN,
        **more,
    }


@partner_page
def subscription_list(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    rows = subscriptions_with_health(subscriptions=subscriptions_visible_to(user=request.user))
    context = _context(membership, page=FACE.page(request, rows))
    return render(request, FACE.template("list"), context)


@partner_admin_view
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_create(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    form = SubscriptionForm(request.POST or None, initial={"language": membership.partner.language})
    return FACE.create(
        request,
        form,
        _context(membership),
        lambda data: webhook_subscription_create(actor=request.user, **data),
    )


@partner_page
def subscription_detail(
    request: HttpRequest, membership: PartnerMembership, subscription_id: int
) -> HttpResponse:
    subscription = FACE.subscription(request, subscription_id)
    return FACE.detail(request, subscription, _context(membership))


@partner_admin_view
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_edit(
    request: HttpRequest, membership: PartnerMembership, subscription_id: int
) -> HttpResponse:
    subscription = FACE.subscription(request, subscription_id)
    if request.method == "POST":
        form = SubscriptionForm(request.POST)
    else:
        form = SubscriptionForm.for_subscription(subscription)
    return FACE.edit(request, subscription, form, _context(membership))


@partner_admin_view
@require_POST
def subscription_rotate(
    request: HttpRequest, membership: PartnerMembership, subscription_id: int
) -> HttpResponse:
    subscription = FACE.subscription(request, subscription_id)
    return FACE.rotate(request, subscription, _context(membership))


@partner_admin_view
@require_POST
def delivery_send_again(
    request: HttpRequest, membership: PartnerMembership, delivery_id: int
) -> HttpResponse:
    return FACE.send_again(request, delivery_id)


def _subscription_action(act: SubscriptionAction) -> Callable[..., HttpResponseBase]:
    """A POST view for the partner's admins: `act` on one of the partner's subscriptions."""

    @partner_admin_view
    @require_POST
    def view(
        request: HttpRequest, membership: PartnerMembership, subscription_id: int
    ) -> HttpResponse:
        return act(request, FACE.subscription(request, subscription_id))

    return view


subscription_pause = _subscription_action(FACE.pause)
subscription_resume = _subscription_action(FACE.resume)
subscription_delete = _subscription_action(FACE.delete)
