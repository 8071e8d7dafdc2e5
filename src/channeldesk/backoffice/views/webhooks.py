"""Webhook subscriptions in the back office: the list (status, failing deliveries), create (the
secret shown once), the detail with its delivery history and "send again", change, pause,
resume, rotate the secret, delete. For channel managers, as the outbox (docs/backoffice.md)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from channeldesk.backoffice.access import manager_view
from channeldesk.core.admin import action_refusals
from channeldesk.core.errors import DomainError
from channeldesk.webhooks.forms import PauseForm, StaffSubscriptionForm
from channeldesk.webhooks.models import (
    DeliveryStatus,
    SubscriptionStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from channeldesk.webhooks.review import RELEASABLE_STATUSES, webhook_delivery_release
from channeldesk.webhooks.selectors import (
    deliveries_filter,
    deliveries_visible_to,
    deliveries_with_attempts,
    subscriptions_filter,
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

PAGE_SIZE = 50
FACE = "backoffice"


def _subscription(request: HttpRequest, subscription_id: int) -> WebhookSubscription:
    found = subscriptions_visible_to(user=request.user).filter(pk=subscription_id).first()
    if found is None:
        raise Http404("No such webhook subscription.")
    return found


def _context(**more: Any) -> dict[str, Any]:
    return {"section": "webhooks", "face": FACE, "may_manage": True, **more}


@manager_view
@require_http_methods(["GET", "HEAD"])
def subscription_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in SubscriptionStatus.values:
        status = ""
    visible = subscriptions_with_health(subscriptions=subscriptions_visible_to(user=request.user))
    rows = subscriptions_filter(subscriptions=visible, status=status or None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    context = _context(page=page, status=status, statuses=SubscriptionStatus.choices)
    return render(request, "backoffice/webhooks/list.html", context)


@manager_view
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_create(request: HttpRequest) -> HttpResponse:
    form = StaffSubscriptionForm(request.POST or None, initial={"language": "de"})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = webhook_subscription_create(
                actor=request.user,
                name=data["name"],
                url=data["url"],
                event_types=data["event_types"],
                partner=data["partner"],
                notify_email=data["notify_email"],
                language=data["language"],
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            context = _context(subscription=created.subscription, secret=created.secret)
            return render(request, "backoffice/webhooks/secret.html", context)
    status = 400 if request.method == "POST" else 200
    return render(request, "backoffice/webhooks/form.html", _context(form=form), status=status)


@manager_view
@require_http_methods(["GET", "HEAD"])
def subscription_detail(request: HttpRequest, subscription_id: int) -> HttpResponse:
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
        subscription=subscription,
        page=page,
        status=status,
        statuses=DeliveryStatus.choices,
        resendable=[str(value) for value in RELEASABLE_STATUSES],
        pause_form=PauseForm(),
    )
    return render(request, "backoffice/webhooks/detail.html", context)


@manager_view
@require_http_methods(["GET", "HEAD", "POST"])
def subscription_edit(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    if request.method != "POST":
        form = StaffSubscriptionForm.for_subscription(subscription)
        form.fields.pop("partner")
        context = _context(form=form, subscription=subscription)
        return render(request, "backoffice/webhooks/form.html", context)
    form = StaffSubscriptionForm(request.POST)
    form.fields.pop("partner")
    if form.is_valid():
        try:
            webhook_subscription_update(
                actor=request.user, subscription=subscription, **form.cleaned_data
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The subscription has been changed."))
            return redirect("backoffice:webhook", subscription.pk)
    context = _context(form=form, subscription=subscription)
    return render(request, "backoffice/webhooks/form.html", context, status=400)


@manager_view
@require_POST
def subscription_pause(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    form = PauseForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    with action_refusals(request):
        webhook_subscription_pause(actor=request.user, subscription=subscription, reason=reason)
        messages.success(request, _("The subscription is paused."))
    return redirect("backoffice:webhook", subscription.pk)


@manager_view
@require_POST
def subscription_resume(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    with action_refusals(request):
        webhook_subscription_resume(actor=request.user, subscription=subscription)
        messages.success(request, _("The subscription is active again."))
    return redirect("backoffice:webhook", subscription.pk)


@manager_view
@require_POST
def subscription_rotate(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    rotated = webhook_subscription_rotate_secret(actor=request.user, subscription=subscription)
    context = _context(subscription=rotated.subscription, secret=rotated.secret, rotated=True)
    return render(request, "backoffice/webhooks/secret.html", context)


@manager_view
@require_POST
def subscription_delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    subscription = _subscription(request, subscription_id)
    webhook_subscription_delete(actor=request.user, subscription=subscription)
    messages.success(request, _("The subscription has been deleted."))
    return redirect("backoffice:webhooks")


@manager_view
@require_POST
def delivery_send_again(request: HttpRequest, delivery_id: int) -> HttpResponse:
    delivery: WebhookDelivery | None = (
        deliveries_visible_to(user=request.user).filter(pk=delivery_id).first()
    )
    if delivery is None:
        raise Http404("No such webhook delivery.")
    with action_refusals(request):
        webhook_delivery_release(delivery_id=delivery.pk, actor=request.user, note="back office")
        messages.success(request, _("The delivery will be sent again shortly."))
    return redirect("backoffice:webhook", delivery.subscription_id)
