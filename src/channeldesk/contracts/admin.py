"""Admin for customers, who looks after them, and their contracts.

The admin is for raw data, but it must not bypass the rules the reminder flow relies on:

- The partner who looks after a customer is a field of the customer's form; saving it goes
  through `customer_partner_change`, which keeps the history (the spans themselves are
  read-only here).
- A contract's status, renewal link, cancellation and end date change only through the
  services (API `renew`, `cancel`, `end-date`), which plan and cancel reminders in the same
  transaction; so they are read-only on an existing contract's page.
- Reminder schedules and rules are data vendor staff edit here; reminders themselves are
  written by planning and the dispatcher only, and staff act on them through the release and
  dismiss actions, which go through the services and are recorded in the history.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect
from django.utils.translation import gettext_lazy as _

from channeldesk.contracts.models import (
    CONTRACT_TERMS,
    CUSTOMER_MASTER_DATA,
    Contract,
    Customer,
    CustomerAssignment,
)

# The reminder flow's admin lives beside its code (`contracts.reminders.admin`); importing it
# here registers it, since Django looks only for each app's `admin` module.
from channeldesk.contracts.reminders import admin as reminders_admin  # noqa: F401
from channeldesk.core.admin import LargeTablePaginator, ReadOnlyAdmin, ReadOnlyInline
from channeldesk.partners.models import Partner


class CustomerAssignmentInline(ReadOnlyInline):
    """The customer's history of partners, newest first; changed through the partner field."""

    model = CustomerAssignment
    fields = readonly_fields = ("partner", "valid_from", "valid_to", "created_at")
    ordering = ["-valid_from"]


class CustomerAdminForm(forms.ModelForm):
    """The customer's master data plus the partner who looks after it from today on."""

    partner = forms.ModelChoiceField(
        label=_("looked after by"),
        queryset=Partner.objects.all(),
        widget=AutocompleteSelect(CustomerAssignment._meta.get_field("partner"), admin.site),
        help_text=_("A change takes effect today; the previous partner stays in the history."),
    )

    class Meta:
        model = Customer
        fields = list(CUSTOMER_MASTER_DATA)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from channeldesk.contracts.selectors import customer_partner_current  # noqa: PLC0415 - admin modules load at every start

        if self.instance.pk is not None:
            self.fields["partner"].initial = customer_partner_current(customer=self.instance)


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    form = CustomerAdminForm
    list_display = ["customer_number", "name", "city", "country", "sector", "looked_after_by"]
    list_filter = ["sector", "language", "country"]
    search_fields = ["customer_number", "name", "city", "contact_email"]
    search_help_text = _("Customer number, name, city or contact e-mail.")
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["customer_number", "name", "sector", "partner"]}),
        (_("Address"), {"fields": ["street", "postal_code", "city", "country", "language"]}),
        (_("Contact"), {"fields": ["contact_name", "contact_email"]}),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]
    inlines = [CustomerAssignmentInline]
    show_full_result_count = False

    def get_queryset(self, request):
        from channeldesk.contracts.selectors import customers_with_partner  # noqa: PLC0415 - admin modules load at every start

        return customers_with_partner(customers=super().get_queryset(request))

    @admin.display(description=_("looked after by"))
    def looked_after_by(self, customer: Customer) -> str:
        from channeldesk.contracts.selectors import customer_partner_current  # noqa: PLC0415 - admin modules load at every start

        partner = customer_partner_current(customer=customer)
        return str(partner) if partner is not None else "-"

    def save_model(self, request, obj, form, change):
        """Saves the master data, then moves the customer to the chosen partner (if it changed)
        through the service, in the admin's transaction."""
        from channeldesk.contracts.services import customer_partner_change  # noqa: PLC0415 - admin modules load at every start

        super().save_model(request, obj, form, change)
        customer_partner_change(customer=obj, partner=form.cleaned_data["partner"])


@admin.register(CustomerAssignment)
class CustomerAssignmentAdmin(ReadOnlyAdmin):
    """The history of who looked after which customer; written only by the service."""

    list_display = ["customer", "partner", "valid_from", "valid_to"]
    list_select_related = ["customer", "partner"]
    list_filter = ["valid_from"]
    search_fields = ["=customer__customer_number", "=partner__partner_number"]
    search_help_text = _("Exact customer number or partner number.")
    show_full_result_count = False


# Changed on an existing contract only through the services (see the module docstring).
SERVICE_FIELDS = ["status", "end_date", "renews", "cancelled_at", "cancellation_reason"]
# A contract's columns in the list, and the first fields of its page.
CONTRACT_COLUMNS = CONTRACT_TERMS


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = CONTRACT_COLUMNS
    list_filter = ["status", "end_date"]
    list_select_related = ["customer", "partner", "product"]
    search_fields = ["=contract_number", "=customer__customer_number", "=partner__partner_number"]
    search_help_text = _("Exact contract number, customer number or partner number.")
    autocomplete_fields = ["customer", "partner", "product"]
    show_full_result_count = False
    paginator = LargeTablePaginator
    fields = [
        *CONTRACT_COLUMNS,
        "renews",
        "cancelled_at",
        "cancellation_reason",
        "created_at",
        "updated_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        """New contracts start active and unlinked (renewals go through the service); an
        existing contract's state fields change only through the services."""
        if obj is None:
            return ["status", "renews", "cancelled_at", "cancellation_reason"]
        return [*SERVICE_FIELDS, "created_at", "updated_at"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return [name for name in self.fields if name not in ("created_at", "updated_at")]
        return self.fields
