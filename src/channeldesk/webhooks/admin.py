"""Admin for webhooks: subscriptions, events and deliveries with their history.

Everything here is written by the services only. Subscriptions are created and changed in the
back office, the portal or the API (the secret is shown there once, and never here; its sealed
form is not a field of this admin); the admin pauses and resumes them. Deliveries are acted on
with "send again" and "dismiss" (with a reason typed beside the action list), both through the
review services (`webhooks.review.WEBHOOK_REVIEW`), recorded in the history with their name.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from channeldesk.core.admin import (
    EventHistoryInline,
    ReadOnlyAdmin,
    ReadOnlyInline,
    action_refusals,
    permission_check,
)
from channeldesk.notifications.review import (
    AdminTexts,
    review_action_form,
    review_admin_actions,
)
from channeldesk.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from channeldesk.webhooks.subscriptions import (
    webhook_subscription_pause,
    webhook_subscription_resume,
)

REVIEW_TEXTS = AdminTexts(
    release=_("Send again (failed, dismissed or delivered deliveries)"),
    reason_help=_("Needed to dismiss deliveries."),
    reason_missing=_("Give a reason to dismiss deliveries."),
    updated=_("%(count)d delivery(s) updated."),
)


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ["name", "partner", "url", "status", "notify_email", "created_at"]
    list_filter = ["status"]
    list_select_related = ["partner"]
    search_fields = ["name", "url", "partner__partner_number"]
    fields = readonly_fields = (
        "name",
        "url",
        "event_types",
        "status",
        "paused_reason",
        "partner",
        "notify_email",
        "language",
        "created_by",
        "created_at",
        "updated_at",
    )
    actions = ["pause", "resume"]

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return permission_check(request, WebhookSubscription, "change")

    @admin.action(description=_("Pause the selected subscriptions"), permissions=["manage"])
    def pause(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        self._each(request, queryset, webhook_subscription_pause, reason=str(_("In the admin.")))

    @admin.action(description=_("Resume the selected subscriptions"), permissions=["manage"])
    def resume(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        self._each(request, queryset, webhook_subscription_resume)

    def _each(
        self,
        request: HttpRequest,
        queryset: QuerySet[WebhookSubscription],
        service: Any,
        **more: Any,
    ) -> None:
        done = 0
        for subscription in queryset:
            with action_refusals(request):
                service(actor=request.user, subscription=subscription, **more)
                done += 1
        if done:
            self.message_user(
                request, _("%(count)d subscription(s) updated.") % {"count": done}, messages.INFO
            )


class WebhookDeliveryInline(ReadOnlyInline):
    model = WebhookDelivery
    fields = readonly_fields = ("subscription", "status", "attempts", "delivered_at")
    show_change_link = True


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "partner", "occurred_at"]
    list_filter = ["type"]
    list_select_related = ["partner"]
    search_fields = ["=event_id", "=idempotency_key"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False
    fields = readonly_fields = (
        "event_id",
        "type",
        "version",
        "idempotency_key",
        "partner",
        "occurred_at",
        "created_at",
        "data",
    )
    inlines = [WebhookDeliveryInline]


class WebhookAttemptInline(EventHistoryInline):
    model = WebhookAttempt
    fields = readonly_fields = (
        "at",
        "kind",
        "attempt",
        "status_code",
        "latency_ms",
        "response_excerpt",
        "worker",
        "actor",
        "detail",
    )
    verbose_name_plural = _("history")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "last_latency_ms",
    ]
    list_filter = ["status", "event__type"]
    list_select_related = ["event", "subscription"]
    search_fields = ["=event__event_id", "subscription__name"]
    show_full_result_count = False
    action_form = review_action_form(REVIEW_TEXTS)
    actions = review_admin_actions("channeldesk.webhooks.review.WEBHOOK_REVIEW", REVIEW_TEXTS)
    inlines = [WebhookAttemptInline]
    fields = readonly_fields = (
        "event",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "created_at",
        "delivered_at",
        "last_status_code",
        "last_latency_ms",
        "last_error",
        "claimed_by",
        "lease_expires_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
