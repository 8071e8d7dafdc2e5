"""The audit trail for channel managers: who changed what, when and from where, filtered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods

from channeldesk.audit.models import AuditEntry
from channeldesk.audit.selectors import AuditFilters, audit_entries, audit_kinds
from channeldesk.backoffice.access import manager_view
from channeldesk.partners.models import Partner

# The actions the services record, by name; model edits are named after their model.
ACTION_NAMES = {
    "tiers.policy.publish": _lazy("Tier policy published"),
    "tiers.policy.draft": _lazy("Tier policy draft created"),
    "tiers.calibrate": _lazy("Tier policy calibrated"),
    "tiers.apply": _lazy("Tiers applied"),
    "contracts.customer.partner_change": _lazy("Customer's partner changed"),
    "contracts.expire": _lazy("Contracts expired"),
    "reminder.release": _lazy("Reminder released"),
    "reminder.dismiss": _lazy("Reminder dismissed"),
    "outbox.release": _lazy("E-mail released"),
    "outbox.dismiss": _lazy("E-mail dismissed"),
    "outbox.dismiss_many": _lazy("E-mails withdrawn"),
    "keycode.reveal": _lazy("Keycode revealed"),
    "keycode.revoke": _lazy("Keycode revoked"),
    "keycode.rotate": _lazy("Keycode rotated"),
    "installation.retire": _lazy("Installation retired"),
    "usage.statements.close": _lazy("Month closed, statements issued"),
}
EDIT_NAMES = {
    "create": _lazy("%(model)s created"),
    "update": _lazy("%(model)s changed"),
    "delete": _lazy("%(model)s deleted"),
    "access": _lazy("%(model)s viewed"),
}


def kind_name(kind: str) -> str:
    """A kind in the reader's language: `Tiers applied`, `Partner changed`; unknown as is."""
    if kind in ACTION_NAMES:
        return str(ACTION_NAMES[kind])
    app_label, _dot, rest = kind.partition(".")
    model_name, _dot, operation = rest.rpartition(".")
    try:
        model = apps.get_model(app_label, model_name)
    except (LookupError, ValueError):
        return kind
    if operation not in EDIT_NAMES:
        return kind
    return str(EDIT_NAMES[operation]) % {"model": str(model._meta.verbose_name).capitalize()}


class AuditFilterForm(forms.Form):
    """The trail's filters; a partner number that names no partner, or a date range that ends
    before it starts, is an error (400), not an empty list."""

    partner = forms.CharField(label=_lazy("Partner number"), required=False, max_length=32)
    user = forms.CharField(label=_lazy("User name"), required=False, max_length=150)
    kind = forms.ChoiceField(label=_lazy("What"), required=False)
    since = forms.DateField(label=_lazy("From"), required=False)
    until = forms.DateField(label=_lazy("Until"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        choices = sorted(((code, kind_name(code)) for code in audit_kinds()), key=lambda c: c[1])
        kind.choices = [("", _lazy("everything")), *choices]

    def clean_partner(self) -> Partner | None:
        number = self.cleaned_data["partner"].strip()
        if not number:
            return None
        partner = Partner.objects.filter(partner_number__iexact=number).first()
        if partner is None:
            raise forms.ValidationError(
                _("No partner has the number %(number)s."), "unknown", {"number": number}
            )
        return partner

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            raise forms.ValidationError(_("The end date is before the start date."))
        return cleaned

    def filters(self) -> AuditFilters:
        data = self.cleaned_data
        partner = data.get("partner")
        return AuditFilters(
            partner_id=partner.pk if partner is not None else None,
            actor=data.get("user", "").strip(),
            kind=data.get("kind", ""),
            since=data.get("since"),
            until=data.get("until"),
        )


@dataclass(frozen=True)
class EntryRow:
    """One entry as the page shows it."""

    entry: AuditEntry
    what: str
    partner: str
    changes: list[tuple[str, str, str]]
    counts: list[tuple[str, Any]]
    details: list[tuple[str, Any]]


@manager_view
@require_http_methods(["GET", "HEAD"])
def audit_trail(request: HttpRequest) -> HttpResponse:
    """Newest first, paged in SQL; a bad filter answers 400 with the form's errors."""
    form = AuditFilterForm(request.GET or None)
    status = 200
    if request.GET and not form.is_valid():
        status = 400
        entries = AuditEntry.objects.none()
    else:
        entries = audit_entries(filters=form.filters() if form.is_bound else AuditFilters())
    page = Paginator(entries, settings.AUDIT_PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "rows": _rows(list(page)), "section": "audit"}
    return render(request, "backoffice/audit.html", context, status=status)


def _rows(entries: list[AuditEntry]) -> list[EntryRow]:
    partner_ids = {entry.partner_id for entry in entries if entry.partner_id is not None}
    partners = {
        pk: f"{number} · {name}"
        for pk, number, name in Partner.objects.filter(pk__in=partner_ids).values_list(
            "pk", "partner_number", "name"
        )
    }
    return [
        EntryRow(
            entry=entry,
            what=kind_name(entry.kind),
            partner=partners.get(entry.partner_id, "") if entry.partner_id else "",
            changes=_changes(entry.changes),
            counts=list((entry.counts or {}).items()),
            details=list((entry.additional_data or {}).items()),
        )
        for entry in entries
    ]


def _changes(changes: Any) -> list[tuple[str, str, str]]:
    """(field, before, after) per changed field; a many-to-many change as (field, added or
    removed, the objects)."""
    rows = []
    for name, value in (changes or {}).items():
        if isinstance(value, dict) and value.get("type") == "m2m":
            operation = _("added") if value.get("operation") == "add" else _("removed")
            rows.append((name, operation, ", ".join(map(str, value.get("objects", [])))))
        elif isinstance(value, list) and len(value) == 2:
            rows.append((name, _shown(value[0]), _shown(value[1])))
    return rows


def _shown(value: Any) -> str:
    return "—" if value in (None, "", "None") else str(value)
