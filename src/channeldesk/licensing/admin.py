"""Admin for the licensing domain: read-only views of what the services write.

Keycodes are issued, revoked and rotated through the services (CLI, API, the actions here), never
edited: the code itself is not stored, and a changed serial would silently invalidate a code in
the field. Installations, certificates, compliance records and episodes are written by check-ins,
the scan and the services; staff read them here. The licensing policies (the ladder of steps per
product) are the one thing staff edit.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from channeldesk.core.admin import LargeTablePaginator
from channeldesk.licensing.keycodes import keycode_mask
from channeldesk.licensing.models import (
    ComplianceEpisode,
    ComplianceRecord,
    Installation,
    InstallationState,
    Keycode,
    KeycodeStatus,
    LicenceCertificate,
    LicensingPolicy,
)
from channeldesk.licensing.services import (
    LicensingError,
    installation_retire,
    keycode_revoke,
    keycode_rotate,
    keycode_text,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Keycode)
class KeycodeAdmin(ReadOnlyAdmin):
    list_display = ["masked_code", "contract", "key_id", "status", "issued_at", "revoked_at"]
    list_filter = ["status", "key_id"]
    search_fields = ["contract__contract_number", "contract__customer__customer_number"]
    list_select_related = ["contract"]
    readonly_fields = [
        "code",
        "contract",
        "key_id",
        "status",
        "issued_at",
        "issued_by",
        "revoked_at",
        "revocation_reason",
        "replaces",
    ]
    actions = ["revoke", "rotate"]
    paginator = LargeTablePaginator
    show_full_result_count = False

    @admin.display(description=_("keycode"))
    def masked_code(self, obj: Keycode) -> str:
        return keycode_mask(keycode_text(keycode=obj))

    @admin.display(description=_("keycode"))
    def code(self, obj: Keycode) -> str:
        return keycode_text(keycode=obj)

    def has_change_permission(self, request, obj=None):
        # The actions need the change permission; the form itself has only read-only fields.
        return bool(request.user.is_active and request.user.is_staff)

    @admin.action(description=_("Revoke the selected keycodes"))
    def revoke(self, request, queryset):
        done = 0
        for keycode in queryset.filter(status=KeycodeStatus.ACTIVE):
            keycode_revoke(keycode=keycode, reason=str(_("Revoked in the admin")), by=request.user)
            done += 1
        self.message_user(request, _("%(count)d keycodes revoked.") % {"count": done})

    @admin.action(description=_("Rotate the selected keycodes (revoke and issue a new one)"))
    def rotate(self, request, queryset):
        done = 0
        for keycode in queryset.filter(status=KeycodeStatus.ACTIVE):
            try:
                keycode_rotate(
                    keycode=keycode, reason=str(_("Rotated in the admin")), by=request.user
                )
            except LicensingError as error:
                self.message_user(request, str(error), level=messages.ERROR)
                continue
            done += 1
        self.message_user(request, _("%(count)d keycodes rotated.") % {"count": done})


@admin.register(LicenceCertificate)
class LicenceCertificateAdmin(ReadOnlyAdmin):
    list_display = ["pk", "contract", "valid_from", "valid_until", "signing_key_id", "issued_at"]
    search_fields = ["contract__contract_number"]
    list_select_related = ["contract"]
    readonly_fields = [
        "contract",
        "keycode",
        "valid_from",
        "valid_until",
        "signing_key_id",
        "issued_at",
        "issued_by",
        "body",
        "token",
    ]


@admin.register(Installation)
class InstallationAdmin(ReadOnlyAdmin):
    list_display = [
        "fingerprint",
        "keycode",
        "state",
        "product_version",
        "first_seen_on",
        "last_seen_on",
    ]
    list_filter = ["state"]
    search_fields = ["fingerprint", "keycode__contract__contract_number"]
    list_select_related = ["keycode"]
    readonly_fields = [
        "keycode",
        "fingerprint",
        "installation_uuid",
        "hostname_hash",
        "product_version",
        "state",
        "first_seen_on",
        "last_seen_on",
        "last_seen_at",
        "activated_at",
        "retired_at",
    ]
    actions = ["retire"]
    paginator = LargeTablePaginator
    show_full_result_count = False

    def has_change_permission(self, request, obj=None):
        return bool(request.user.is_active and request.user.is_staff)

    @admin.action(description=_("Retire the selected installations (uninstalled)"))
    def retire(self, request, queryset):
        done = 0
        for installation in queryset.exclude(state=InstallationState.RETIRED):
            installation_retire(installation=installation)
            done += 1
        self.message_user(request, _("%(count)d installations retired.") % {"count": done})


@admin.register(ComplianceRecord)
class ComplianceRecordAdmin(ReadOnlyAdmin):
    list_display = [
        "contract",
        "day",
        "seats",
        "active_installations",
        "peak_installations",
        "tolerance",
        "status",
        "over_since",
    ]
    list_filter = ["status", "day"]
    search_fields = ["contract__contract_number"]
    list_select_related = ["contract"]
    readonly_fields = [
        "contract",
        "day",
        "seats",
        "active_installations",
        "peak_installations",
        "tolerance",
        "status",
        "over_since",
    ]
    paginator = LargeTablePaginator
    show_full_result_count = False


@admin.register(ComplianceEpisode)
class ComplianceEpisodeAdmin(ReadOnlyAdmin):
    list_display = ["contract", "started_on", "ended_on", "seats", "active_installations", "notice"]
    list_filter = ["started_on"]
    search_fields = ["contract__contract_number"]
    list_select_related = ["contract", "notice"]
    readonly_fields = [
        "contract",
        "started_on",
        "ended_on",
        "seats",
        "active_installations",
        "quote",
        "notice",
    ]


@admin.register(LicensingPolicy)
class LicensingPolicyAdmin(admin.ModelAdmin):
    list_display = ["product", "notify_partner", "include_quote", "block_new_activations"]
    list_select_related = ["product"]
    autocomplete_fields = ["product"]
