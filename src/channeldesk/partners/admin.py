"""Admin for the partner register: vendor staff look partners up and correct master data."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from channeldesk.partners.models import Contact, Partner, PartnerMembership


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "role", "email", "phone"]


class PartnerMembershipInline(admin.TabularInline):
    """A partner's users by name and role. Without the row's own text (`bob @ B-2000 (user)`:
    the role's code above the row that names it), and every field of a row labelled for
    assistive technology: the tabular inline shows the labels only as column headings."""

    model = PartnerMembership
    extra = 0
    fields = ["user", "role"]
    autocomplete_fields = ["user"]
    template = "admin/edit_inline/tabular_without_row_text.html"

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        return labelled_formset(super().get_formset(request, obj, **kwargs))


def labelled_formset(formset: Any) -> Any:
    """The formset with an `aria-label` on each row's fields (the column's heading) and on
    its delete box."""

    class LabelledFormSet(formset):  # type: ignore[misc, valid-type]
        def add_fields(self, form: Any, index: Any) -> None:
            super().add_fields(form, index)
            for name, field in form.fields.items():
                label = _("Delete") if name == "DELETE" else (field.label or name)
                field.widget.attrs.setdefault("aria-label", str(label))

    return LabelledFormSet


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["partner_number", "name", "city", "country", "status", "account_manager"]
    list_filter = ["status", "country", "language"]
    list_select_related = ["account_manager"]
    search_fields = ["partner_number", "name", "vat_id", "email", "city"]
    search_help_text = _("Partner number, legal name, VAT ID, e-mail or city.")
    autocomplete_fields = ["account_manager"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["partner_number", "name", "status", "partner_since"]}),
        (_("Address"), {"fields": ["street", "postal_code", "city", "country"]}),
        (_("Contact details"), {"fields": ["email", "phone", "language", "vat_id"]}),
        (_("Vendor"), {"fields": ["account_manager", "created_at", "updated_at"]}),
    ]
    inlines = [ContactInline, PartnerMembershipInline]


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "partner", "role", "email", "phone"]
    list_select_related = ["partner"]
    search_fields = ["name", "email", "partner__partner_number", "partner__name"]
    autocomplete_fields = ["partner"]


@admin.register(PartnerMembership)
class PartnerMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "partner", "role"]
    list_filter = ["role"]
    list_select_related = ["user", "partner"]
    search_fields = ["user__username", "user__email", "partner__partner_number", "partner__name"]
    autocomplete_fields = ["user", "partner"]
