"""Admin for the licensing domain: read-only views of what the services write.

Keycodes are issued, revoked and rotated through the services (CLI, API, the actions here), never
edited: the code itself is not stored, and a changed serial would silently invalidate a code in
the field. Installations, certificates, compliance records and episodes are written by check-ins,
the scan and the services; staff read them here. The licensing policies (the ladder of steps per
product) are the one thing staff edit.

Who may act: each action asks for the real permission on its model (`core.admin.
permission_check`), so the support desk (view permissions only) sees the keycodes masked and no
action. The whole code is shown on its own page ("Show the full keycode") to staff with
`licensing.reveal_keycode`, and every such reveal is recorded as a `KeycodeReveal`.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from channeldesk.core.admin import (
    LargeTablePaginator,
    ReadOnlyAdmin,
    action_refusals,
    permission_check,
)
from channeldesk.licensing.models import (
    KEYCODE_REVEAL_PERMISSION,
    ComplianceEpisode,
    ComplianceRecord,
    Installation,
    InstallationState,
    Keycode,
    KeycodeReveal,
    KeycodeStatus,
    LicenceCertificate,
    LicensingPolicy,
    RevealChannel,
)


@admin.display(description=_("contract"), ordering="contract__contract_number")
def contract_number(obj: Any) -> str:
    """The contract by its number: a contract's own text carries its end date in ISO form
    (`V-1 (C-1, until 2027-03-31)`), which the lists showed to German readers."""
    return str(obj.contract.contract_number)


def keycode_reveal_allowed(request: HttpRequest) -> bool:
    """Whether the user may see whole keycodes in the admin (superusers, channel managers)."""
    return bool(request.user.has_perm(KEYCODE_REVEAL_PERMISSION))


@admin.register(Keycode)
class KeycodeAdmin(ReadOnlyAdmin):
    list_display = ["masked_code", contract_number, "key_id", "status", "issued_at", "revoked_at"]
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
        "reveals",
    ]
    actions = ["revoke", "rotate"]
    paginator = LargeTablePaginator
    show_full_result_count = False

    @admin.display(description=_("keycode"))
    def masked_code(self, obj: Keycode) -> str:
        from channeldesk.licensing.keycodes import keycode_mask  # noqa: PLC0415 - admin modules load at every start
        from channeldesk.licensing.services import keycode_text  # noqa: PLC0415 - admin modules load at every start

        return keycode_mask(keycode_text(keycode=obj))

    @admin.display(description=_("keycode"))
    def code(self, obj: Keycode) -> str:
        """Masked, with a link to the page that shows it whole and records who saw it."""
        from channeldesk.licensing.keycodes import keycode_mask  # noqa: PLC0415 - admin modules load at every start
        from channeldesk.licensing.services import keycode_text  # noqa: PLC0415 - admin modules load at every start

        url = reverse("admin:licensing_keycode_reveal", args=[obj.pk])
        return format_html(
            '{} <a href="{}">{}</a>',
            keycode_mask(keycode_text(keycode=obj)),
            url,
            _("Show the full keycode"),
        )

    @admin.display(description=_("times seen in full"))
    def reveals(self, obj: Keycode) -> str:
        """How often the whole code was shown, linked to the record of each time."""
        url = reverse("admin:licensing_keycodereveal_changelist")
        return format_html(
            '<a href="{}?keycode__id__exact={}">{}</a>', url, obj.pk, obj.reveals.count()
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        """The support desk gets the masked code without the link to the whole one."""
        fields = list(self.readonly_fields)
        if not keycode_reveal_allowed(request):
            fields[fields.index("code")] = "masked_code"
        return fields

    def get_urls(self):
        view = self.admin_site.admin_view(self.reveal_view)
        return [
            path("<int:pk>/reveal/", view, name="licensing_keycode_reveal"),
            *super().get_urls(),
        ]

    def reveal_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """GET asks to confirm; POST records the reveal, then shows the whole code.

        Only staff with `licensing.reveal_keycode` get here (superusers, channel managers);
        the support desk is refused before anything is read.
        """
        from channeldesk.licensing.services import LicensingError, keycode_reveal  # noqa: PLC0415 - admin modules load at every start

        if not keycode_reveal_allowed(request):
            raise PermissionDenied
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        keycode = get_object_or_404(Keycode.objects.select_related("contract"), pk=pk)
        code = ""
        if request.method == "POST":
            try:
                code = keycode_reveal(
                    keycode=keycode, actor=request.user, channel=RevealChannel.ADMIN
                )
            except LicensingError as error:
                raise Http404(str(error)) from error
        context = {
            **self.admin_site.each_context(request),
            "title": _("Keycode of contract %(contract)s")
            % {"contract": keycode.contract.contract_number},
            "opts": self.opts,
            "original": keycode,
            "keycode": keycode,
            "code": code,
        }
        response = TemplateResponse(request, "admin/licensing/keycode_reveal.html", context)
        response["Cache-Control"] = "no-store"
        return response

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return permission_check(request, Keycode, "change")

    def has_rotate_permission(self, request: HttpRequest) -> bool:
        return permission_check(request, Keycode, "change", "add")

    @admin.action(description=_("Revoke the selected keycodes"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[Keycode]) -> None:
        from channeldesk.licensing.services import keycode_revoke  # noqa: PLC0415 - admin modules load at every start

        done = 0
        for keycode in queryset.filter(status=KeycodeStatus.ACTIVE):
            keycode_revoke(
                keycode=keycode, reason=str(_("Revoked in the admin")), actor=request.user
            )
            done += 1
        self.message_user(request, _("%(count)d keycodes revoked.") % {"count": done})

    @admin.action(
        description=_("Rotate the selected keycodes (revoke and issue a new one)"),
        permissions=["rotate"],
    )
    def rotate(self, request: HttpRequest, queryset: QuerySet[Keycode]) -> None:
        from channeldesk.licensing.services import keycode_rotate  # noqa: PLC0415 - admin modules load at every start

        done = 0
        for keycode in queryset.filter(status=KeycodeStatus.ACTIVE):
            with action_refusals(request):
                keycode_rotate(
                    keycode=keycode, reason=str(_("Rotated in the admin")), actor=request.user
                )
                done += 1
        self.message_user(request, _("%(count)d keycodes rotated.") % {"count": done})


@admin.register(KeycodeReveal)
class KeycodeRevealAdmin(ReadOnlyAdmin):
    """Who saw which keycode in full, when and through what (portal, admin, API, CLI)."""

    list_display = ["revealed_at", "keycode", "contract", "channel", "actor", "partner", "detail"]
    list_filter = ["channel", "revealed_at"]
    list_select_related = ["keycode__contract", "actor", "partner"]
    search_fields = [
        "=keycode__contract__contract_number",
        "actor__username",
        "=partner__partner_number",
    ]
    search_help_text = _("Exact contract number, user name, or exact partner number.")
    fields = readonly_fields = ("revealed_at", "keycode", "channel", "actor", "partner", "detail")
    show_full_result_count = False

    @admin.display(description=_("contract"))
    def contract(self, reveal: KeycodeReveal) -> Any:
        return reveal.keycode.contract.contract_number


@admin.register(LicenceCertificate)
class LicenceCertificateAdmin(ReadOnlyAdmin):
    list_display = [
        "pk",
        contract_number,
        "valid_from",
        "valid_until",
        "signing_key_id",
        "issued_at",
    ]
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

    def has_retire_permission(self, request: HttpRequest) -> bool:
        return permission_check(request, Installation, "change")

    @admin.action(
        description=_("Retire the selected installations (uninstalled)"), permissions=["retire"]
    )
    def retire(self, request: HttpRequest, queryset: QuerySet[Installation]) -> None:
        from channeldesk.licensing.services import installation_retire  # noqa: PLC0415 - admin modules load at every start

        done = 0
        for installation in queryset.exclude(state=InstallationState.RETIRED):
            installation_retire(installation=installation)
            done += 1
        self.message_user(request, _("%(count)d installations retired.") % {"count": done})


# A day's compliance record beside its contract, in the list and on its page.
COMPLIANCE_RECORD_FIGURES = [
    "day",
    "seats",
    "active_installations",
    "peak_installations",
    "tolerance",
    "status",
    "over_since",
]


@admin.register(ComplianceRecord)
class ComplianceRecordAdmin(ReadOnlyAdmin):
    list_display = [contract_number, *COMPLIANCE_RECORD_FIGURES]
    list_filter = ["status", "day"]
    search_fields = ["contract__contract_number"]
    list_select_related = ["contract"]
    readonly_fields = ["contract", *COMPLIANCE_RECORD_FIGURES]
    paginator = LargeTablePaginator
    show_full_result_count = False


@admin.register(ComplianceEpisode)
class ComplianceEpisodeAdmin(ReadOnlyAdmin):
    list_display = [
        contract_number,
        "started_on",
        "ended_on",
        "seats",
        "active_installations",
        "notice",
    ]
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
