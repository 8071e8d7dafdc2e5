"""Admin of the usage domain. Billing terms and subscriptions are set up here; events,
ratings, periods and statements are machine-written records and read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from channeldesk.contracts.models import Contract
from channeldesk.core.admin import ReadOnlyAdmin, ReadOnlyInline
from channeldesk.usage.models import (
    RatingResult,
    RerateRequest,
    ServiceTerms,
    Statement,
    StatementLine,
    Subscription,
    SubscriptionSender,
    UsageEvent,
    UsagePeriod,
)


class UsageRecordAdmin(ReadOnlyAdmin):
    """Records written by the services only, in numbers that make counting a whole list slow."""

    show_full_result_count = False


@admin.register(ServiceTerms)
class ServiceTermsAdmin(admin.ModelAdmin):
    list_display = ["product", "billing_unit", "prorate"]
    list_filter = ["billing_unit"]
    autocomplete_fields = ["product"]


class SubscriptionSenderInline(admin.TabularInline):
    model = SubscriptionSender
    extra = 0
    verbose_name = _("service token that may send usage")
    verbose_name_plural = _("service tokens that may send usage")


class SubscriptionForm(forms.ModelForm):
    """The same checks as `services.subscription_create`: a metered contract, a real zone."""

    class Meta:
        model = Subscription
        fields = ["contract", "subscription_key", "time_zone", "minimum_units"]

    def clean_time_zone(self) -> str:
        from channeldesk.usage.services import UsageError, time_zone_check  # noqa: PLC0415 - admin modules load at every start

        name: str = self.cleaned_data["time_zone"]
        try:
            time_zone_check(name)
        except UsageError as error:
            raise forms.ValidationError(str(error)) from error
        return name

    def clean_contract(self) -> Contract:
        contract: Contract = self.cleaned_data["contract"]
        if not ServiceTerms.objects.filter(product_id=contract.product_id).exists():
            raise forms.ValidationError(
                _("This contract is not for a metered managed service (no billing terms).")
            )
        return contract


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ["subscription_key", "contract", "time_zone", "minimum_units"]
    search_fields = ["subscription_key", "contract__contract_number"]
    search_help_text = _("Subscription key or contract number.")
    raw_id_fields = ["contract"]
    inlines = [SubscriptionSenderInline]


@admin.register(UsageEvent)
class UsageEventAdmin(UsageRecordAdmin):
    list_display = [
        "event_id",
        "subscription",
        "kind",
        "user_key",
        "occurred_at",
        "usage_date",
        "target_event_id",
    ]
    list_select_related = ["subscription"]
    list_filter = ["kind"]
    search_fields = ["=event_id", "=subscription__subscription_key"]
    search_help_text = _("Exact event id or subscription key.")
    ordering = ["-id"]


@admin.register(RatingResult)
class RatingResultAdmin(UsageRecordAdmin):
    list_display = ["month", "subscription", "partner", "tier_code", "units", "net_amount"]
    list_select_related = ["subscription", "partner"]
    list_filter = ["month"]


@admin.register(UsagePeriod)
class UsagePeriodAdmin(UsageRecordAdmin):
    list_display = ["month", "status", "closing_started_at", "closed_at"]


@admin.register(RerateRequest)
class RerateRequestAdmin(UsageRecordAdmin):
    list_display = ["subscription", "month", "version", "rated_version"]
    list_select_related = ["subscription"]


class StatementLineInline(ReadOnlyInline):
    model = StatementLine
    fields = readonly_fields = (
        "position",
        "customer",
        "contract",
        "usage_month",
        "is_adjustment",
        "line_kind",
        "units",
        "unit_price",
        "tier_code",
        "discount_percent",
        "net_amount",
    )


@admin.register(Statement)
class StatementAdmin(UsageRecordAdmin):
    list_display = ["number", "partner", "period", "net_total", "issued_at"]
    list_select_related = ["partner"]
    list_filter = ["period"]
    search_fields = ["=number", "=partner__partner_number"]
    search_help_text = _("Exact statement number or partner number.")
    inlines = [StatementLineInline]
