"""Admin for the partner register: vendor staff look partners up and correct master data."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from channeldesk.partners.models import Contact, Partner, PartnerMembership


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "role", "email", "phone"]


class PartnerMembershipInline(admin.TabularInline):
    model = PartnerMembership
    extra = 0
    fields = ["user", "role"]
    autocomplete_fields = ["user"]


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
