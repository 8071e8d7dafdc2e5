"""Webhook subscriptions in the back office: the list (status, failing deliveries), create (the
secret shown once), the detail with its delivery history and "send again", change, pause,
resume, rotate the secret, delete. For channel managers, as the outbox (docs/backoffice.md).
The page bodies are the portal's too (`webhooks.faces`); the access rule is this module's."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_http_methods, require_POST

from channeldesk.backoffice.access import manager_view
from channeldesk.webhooks.faces import SubscriptionAction, WebhookFace
from channeldesk.webhooks.forms import PauseForm, StaffSubscriptionForm
from channeldesk.webhooks.models import SubscriptionStatus
from channeldesk.webhooks.selectors import (
    subscriptions_filter,
    subscriptions_visible_to,
    subscriptions_with_health,
)
from channeldesk.webhooks.subscriptions import webhook_subscription_create

FACE = WebhookFace(name="backoffice", page_size=50, note="back office")


def _context(**more: Any) -> dict[str, Any]:
    return {"section": "webhooks", "face": FACE.name, "may_manage": True, **more}


def _form_without_partner(form: StaffSubscriptionForm) -> StaffSubscriptionForm:
    """A subscription's partner is chosen when it is created, never changed."""
    form.fields.pop("partner")
    return form


@manager_view
@require_http_methods(["GET", "HEAD"])
def subscription_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in SubscriptionStatus.values:
        status = ""
    visible = subscriptions_with_health(subscriptions=subscriptions_visible_to(user=request.user))
    rows = subscriptions_filter(subscriptions=visible, status=status or None)
    context = _context(
        page=FACE.page(request, rows), status=status, statuses=SubscriptionStatus.choices
    )
    return render(request, FACE.template("list"), context)


@manager_view
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_create(request: HttpRequest) -> HttpResponse:
    form = StaffSubscriptionForm(request.POST or None, initial={"language": "de"})
    return FACE.create(
        request,
        form,
        _context(),
        lambda data: webhook_subscription_create(
            actor=request.user,
            name=data["name"],
            url=data["url"],
            event_types=data["event_types"],
            partner=data["partner"],
            notify_email=data["notify_email"],
            language=data["language"],
        ),
    )


@manager_view
@require_http_methods(["GET", "HEAD"])
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = FACE.subscription(request, subscription_id)
    return FACE.detail(request, subscription, _context(pause_form=PauseForm()))


@manager_view
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = FACE.subscription(request, subscription_id)
    if request.method == "POST":
        form = StaffSubscriptionForm(request.POST)
    else:
        form = StaffSubscriptionForm.for_subscription(subscription)
    return FACE.edit(request, subscription, _form_without_partner(form), _context())


@manager_view
@require_POST
def subscription_rotate(request: HttpRequest, subscription_id: int) -> HttpResponse:
    return FACE.rotate(request, FACE.subscription(request, subscription_id), _context())


@manager_view
@require_POST
def delivery_send_again(request: HttpRequest, delivery_id: int) -> HttpResponse:
    return FACE.send_again(request, delivery_id)


def _subscription_action(act: SubscriptionAction) -> Callable[..., HttpResponseBase]:
    """A POST view for channel managers: `act` on one subscription."""

    @manager_view
    @require_POST
    def view(request: HttpRequest, subscription_id: int) -> HttpResponse:
        return act(request, FACE.subscription(request, subscription_id))

    return view


subscription_pause = _subscription_action(FACE.pause)
subscription_resume = _subscription_action(FACE.resume)
subscription_delete = _subscription_action(FACE.delete)
