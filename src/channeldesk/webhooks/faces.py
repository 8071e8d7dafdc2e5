"""What the back office's and the portal's webhook pages share: the page bodies behind the
faces' own access rules.

Each face keeps its views (and so its decorators: channel managers in the back office; partner
admins manage and other partner users read in the portal, the partner fixed to the login's) and
calls a `WebhookFace` for the work after the access check. Rows are always found through
`subscriptions_visible_to`/`deliveries_visible_to`, so a row the user may not see answers 404.
`webhook_routes(views)` is the one list of the webhook URLs both faces include.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _

from channeldesk.core.admin import action_refusals
from channeldesk.core.errors import DomainError
from channeldesk.webhooks.forms import PauseForm, SubscriptionForm
from channeldesk.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from channeldesk.webhooks.review import RELEASABLE_STATUSES, webhook_delivery_release
from channeldesk.webhooks.selectors import (
    deliveries_filter,
    deliveries_visible_to,
    deliveries_with_attempts,
    subscriptions_visible_to,
)
from channeldesk.webhooks.subscriptions import (
    SubscriptionWithSecret,
    webhook_subscription_delete,
    webhook_subscription_pause,
    webhook_subscription_resume,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)

# What a face does with one subscription on a POST (pause, resume, delete): the response.
type SubscriptionAction = Callable[[HttpRequest, WebhookSubscription], HttpResponse]


def webhook_routes(views: ModuleType) -> list[URLPattern]:
    """The webhook pages of a face whose views module is `views` (same names in both faces)."""
    return [
        path("webhooks/", views.subscription_list, name="webhooks"),
        path("webhooks/new/", views.subscription_create, name="webhook-create"),
        path("webhooks/<int:subscription_id>/", views.subscription_detail, name="webhook"),
        path("webhooks/<int:subscription_id>/edit/", views.subscription_edit, name="webhook-edit"),
        path(
            "webhooks/<int:subscription_id>/pause/", views.subscription_pause, name="webhook-pause"
        ),
        path(
            "webhooks/<int:subscription_id>/resume/",
            views.subscription_resume,
            name="webhook-resume",
        ),
        path(
            "webhooks/<int:subscription_id>/rotate-secret/",
            views.subscription_rotate,
            name="webhook-rotate",
        ),
        path(
            "webhooks/<int:subscription_id>/delete/",
            views.subscription_delete,
            name="webhook-delete",
        ),
        path(
            "webhooks/deliveries/<int:delivery_id>/send-again/",
            views.delivery_send_again,
            name="webhook-send-again",
        ),
    ]


@dataclass(frozen=True)
class WebhookFace:
    """One face's webhook pages. `name` is its URL namespace and template folder
    (`<name>/webhooks/<page>.html`); `note` is recorded when a delivery is sent again."""

    name: str
    page_size: int
    note: str

    def template(self, page: str) -> str:
        return f"{self.name}/webhooks/{page}.html"

    def to_subscription(self, subscription_id: int) -> HttpResponse:
        return redirect(f"{self.name}:webhook", subscription_id)

    def page(self, request: HttpRequest, rows: Any) -> Any:
        """The requested page of `rows`."""
        return Paginator(rows, self.page_size).get_page(request.GET.get("page"))

    def subscription(self, request: HttpRequest, subscription_id: int) -> WebhookSubscription:
        """The subscription the user may see, or 404."""
        found = subscriptions_visible_to(user=request.user).filter(pk=subscription_id).first()
        if found is None:
            raise Http404("No such webhook subscription.")
        return found

    def create(
        self,
        request: HttpRequest,
        form: SubscriptionForm,
        context: Mapping[str, Any],
        create: Callable[[dict[str, Any]], SubscriptionWithSecret],
    ) -> HttpResponse:
        """The create page: on a valid POST `create(cleaned_data)` and the secret shown once."""
        if request.method == "POST" and form.is_valid():
            try:
                created = create(form.cleaned_data)
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                shown = {**context, "subscription": created.subscription, "secret": created.secret}
                return render(request, self.template("secret"), shown)
        status = 400 if request.method == "POST" else 200
        return render(request, self.template("form"), {**context, "form": form}, status=status)

    def detail(
        self, request: HttpRequest, subscription: WebhookSubscription, context: Mapping[str, Any]
    ) -> HttpResponse:
        """The subscription with its deliveries, filtered by the requested status."""
        status = request.GET.get("status", "")
        if status not in DeliveryStatus.values:
            status = ""
        deliveries = deliveries_filter(
            deliveries=deliveries_visible_to(user=request.user),
            subscription=subscription.pk,
            status=status or None,
        )
        shown = {
            **context,
            "subscription": subscription,
            "page": self.page(request, deliveries_with_attempts(deliveries=deliveries)),
            "status": status,
            "statuses": DeliveryStatus.choices,
            "resendable": [str(value) for value in RELEASABLE_STATUSES],
        }
        return render(request, self.template("detail"), shown)

    def edit(
        self,
        request: HttpRequest,
        subscription: WebhookSubscription,
        form: SubscriptionForm,
        context: Mapping[str, Any],
    ) -> HttpResponse:
        """The change page: `form` is the filled form on GET, the posted one on POST."""
        if request.method == "POST" and form.is_valid():
            try:
                webhook_subscription_update(
                    actor=request.user, subscription=subscription, **form.cleaned_data
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The subscription has been changed."))
                return self.to_subscription(subscription.pk)
        status = 400 if request.method == "POST" else 200
        shown = {**context, "form": form, "subscription": subscription}
        return render(request, self.template("form"), shown, status=status)

    def pause(self, request: HttpRequest, subscription: WebhookSubscription) -> HttpResponse:
        form = PauseForm(request.POST)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        with action_refusals(request):
            webhook_subscription_pause(actor=request.user, subscription=subscription, reason=reason)
            messages.success(request, _("The subscription is paused."))
        return self.to_subscription(subscription.pk)

    def resume(self, request: HttpRequest, subscription: WebhookSubscription) -> HttpResponse:
        with action_refusals(request):
            webhook_subscription_resume(actor=request.user, subscription=subscription)
            messages.success(request, _("The subscription is active again."))
        return self.to_subscription(subscription.pk)

    def rotate(
        self, request: HttpRequest, subscription: WebhookSubscription, context: Mapping[str, Any]
    ) -> HttpResponse:
        """A new secret, shown once."""
        rotated = webhook_subscription_rotate_secret(actor=request.user, subscription=subscription)
        shown = {
            **context,
            "subscription": rotated.subscription,
            "secret": rotated.secret,
            "rotated": True,
        }
        return render(request, self.template("secret"), shown)

    def delete(self, request: HttpRequest, subscription: WebhookSubscription) -> HttpResponse:
        webhook_subscription_delete(actor=request.user, subscription=subscription)
        messages.success(request, _("The subscription has been deleted."))
        return redirect(f"{self.name}:webhooks")

    def send_again(self, request: HttpRequest, delivery_id: int) -> HttpResponse:
        """Release a delivery the user may see (or 404) to be sent again."""
        delivery: WebhookDelivery | None = (
            deliveries_visible_to(user=request.user).filter(pk=delivery_id).first()
        )
        if delivery is None:
            raise Http404("No such webhook delivery.")
        with action_refusals(request):
            webhook_delivery_release(delivery_id=delivery.pk, actor=request.user, note=self.note)
            messages.success(request, _("The delivery will be sent again shortly."))
        return self.to_subscription(delivery.subscription_id)
