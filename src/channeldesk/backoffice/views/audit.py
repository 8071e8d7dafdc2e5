"""The audit trail for channel managers: who changed what, when and from where, filtered."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from channeldesk.audit.models import AuditEntry
from channeldesk.audit.selectors import AuditFilters, audit_entries, audit_kinds
from channeldesk.backoffice.access import manager_view
from channeldesk.core.formatting import format_date, format_datetime
from channeldesk.partners.models import Partner
from channeldesk.tiers.admin import PERIOD_KIND_LABELS
from channeldesk.tiers.criteria import KINDS
from channeldesk.tiers.models import Tier, TierCriterion, TierPolicy

# The actions the services record, by name; model edits are named after their model.
ACTION_NAMES = {
    "import.partners": gettext_lazy("Partners imported"),
    "import.products": gettext_lazy("Products imported"),
    "import.orders": gettext_lazy("Orders imported"),
    "import.customers": gettext_lazy("End customers imported"),
    "import.contracts": gettext_lazy("Contracts imported"),
    "import.training": gettext_lazy("Training records imported"),
    "tiers.policy.publish": gettext_lazy("Tier policy published"),
    "tiers.policy.draft": gettext_lazy("Tier policy draft created"),
    "tiers.calibrate": gettext_lazy("Tier policy calibrated"),
    "tiers.apply": gettext_lazy("Tiers applied"),
    "contracts.customer.partner_change": gettext_lazy("Customer's partner changed"),
    "contracts.expire": gettext_lazy("Contracts expired"),
    "reminder.release": gettext_lazy("Reminder released"),
    "reminder.dismiss": gettext_lazy("Reminder dismissed"),
    "outbox.release": gettext_lazy("E-mail released"),
    "outbox.dismiss": gettext_lazy("E-mail dismissed"),
    "outbox.dismiss_many": gettext_lazy("E-mails withdrawn"),
    "keycode.reveal": gettext_lazy("Keycode revealed"),
    "keycode.revoke": gettext_lazy("Keycode revoked"),
    "keycode.rotate": gettext_lazy("Keycode rotated"),
    "installation.retire": gettext_lazy("Installation retired"),
    "usage.statements.close": gettext_lazy("Month closed, statements issued"),
}
EDIT_NAMES = {
    "create": gettext_lazy("%(model)s created"),
    "update": gettext_lazy("%(model)s changed"),
    "delete": gettext_lazy("%(model)s deleted"),
    "access": gettext_lazy("%(model)s viewed"),
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

    partner = forms.CharField(label=gettext_lazy("Partner number"), required=False, max_length=32)
    user = forms.CharField(label=gettext_lazy("User name"), required=False, max_length=150)
    kind = forms.ChoiceField(label=gettext_lazy("What"), required=False)
    since = forms.DateField(label=gettext_lazy("From"), required=False)
    until = forms.DateField(label=gettext_lazy("Until"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        choices = sorted(((code, kind_name(code)) for code in audit_kinds()), key=lambda c: c[1])
        kind.choices = [("", gettext_lazy("everything")), *choices]

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
    object_name: str
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
    names = programme_code_names()
    rows = []
    for entry in entries:
        model = entry.content_type.model_class() if entry.content_type_id else None
        codes = code_labels(model, names)
        rows.append(
            EntryRow(
                entry=entry,
                what=kind_name(entry.kind),
                object_name=readable(entry.object_repr, model, codes),
                partner=partners.get(entry.partner_id, "") if entry.partner_id else "",
                changes=_changes(entry.changes, model, codes),
                counts=[(_name(key, None), value) for key, value in (entry.counts or {}).items()],
                details=[
                    (_name(key, None), readable(str(value), model, codes))
                    for key, value in (entry.additional_data or {}).items()
                ],
            )
        )
    return rows


def _changes(
    changes: Any, model: type[models.Model] | None, codes: dict[str, str]
) -> list[tuple[str, str, str]]:
    """(field, before, after) per changed field by the field's name and the values as the
    reader writes them; a many-to-many change as (field, added or removed, the objects).
    Reverse relations and the primary key, which auditlog lists on a create, say nothing."""
    rows = []
    for name, value in (changes or {}).items():
        field = _field(model, name)
        if field is not None and (field.auto_created or getattr(field, "primary_key", False)):
            continue
        if model in (Tier, TierPolicy) and name == "code":
            continue  # the names in both languages, listed beside it, say it without the code
        label = _name(name, field)
        if isinstance(value, dict) and value.get("type") == "m2m":
            operation = _("added") if value.get("operation") == "add" else _("removed")
            rows.append((label, operation, ", ".join(map(str, value.get("objects", [])))))
        elif isinstance(value, list) and len(value) == 2:
            before, after = (_value(side, field, model, codes) for side in value)
            rows.append((label, before, after))
    return rows


def _field(model: type[models.Model] | None, name: str) -> Any:
    if model is None:
        return None
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:
        return None


def _name(name: str, field: Any) -> str:
    """A field by its verbose name, a stored key (`net_total`) in words."""
    if field is not None and getattr(field, "verbose_name", None):
        return str(capfirst(field.verbose_name))
    return capfirst(name.replace("_", " "))


def _value(value: Any, field: Any, model: type[models.Model] | None, codes: dict[str, str]) -> str:
    """A stored value (auditlog keeps text) as the reader writes it: a choice by its label,
    yes or no, dates and instants in words."""
    if value in (None, "", "None"):
        return "—"
    text = str(value)
    choices = {**dict(getattr(field, "flatchoices", None) or ()), **codes}
    if text in choices:
        return str(choices[text])
    if isinstance(field, models.BooleanField) and text in ("True", "False"):
        return _("Yes") if text == "True" else _("No")
    if isinstance(field, models.DateTimeField):
        return _instant(text)
    return readable(text, model, codes)


def _instant(text: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if timezone.is_naive(moment):
        moment = moment.replace(tzinfo=dt.UTC)
    return format_datetime(moment, language=_language())


ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
POLICY_REFERENCE = re.compile(r"\b([a-z][a-z0-9_]*)@(\d+)\b")
CODE_IN_PARENTHESES = re.compile(r"\(([a-z][a-z_]*)\)")
CODE_WORD = re.compile(r"(?<![\w@./-])[a-z][a-z_]+(?![\w@/-])")


def readable(text: str, model: type[models.Model] | None, codes: dict[str, str]) -> str:
    """A stored text (an object's name when it was written, a detail) without codes: ISO
    dates in words, `code@version` by the programme's name, a status in parentheses by its
    label. The names are stored as the models printed them, so they are read, not changed."""
    language = _language()
    text = ISO_DATE.sub(lambda found: _date(found, language), text)
    text = POLICY_REFERENCE.sub(_programme, text)
    labels: dict[str, str] = {}
    for field in model._meta.get_fields() if model is not None else ():
        labels.update((str(k), str(v)) for k, v in getattr(field, "flatchoices", None) or ())
    text = CODE_IN_PARENTHESES.sub(
        lambda found: f"({labels.get(found.group(1), found.group(1))})", text
    )
    return CODE_WORD.sub(lambda found: codes.get(found.group(0), found.group(0)), text)


def code_labels(model: type[models.Model] | None, names: dict[str, str]) -> dict[str, str]:
    """Codes a model stores without choices that name them, by name: a tier's or programme's
    code (`names`), a criterion's kind (the tiers registry), an evaluation period (its choices
    are the codes themselves)."""
    if model is TierCriterion:
        return {**names, **{code: str(kind.label) for code, kind in KINDS.items()}}
    if model is TierPolicy:
        return {**names, **{str(code): str(label) for code, label in PERIOD_KIND_LABELS.items()}}
    if model is Tier:
        return names
    return {}


def programme_code_names() -> dict[str, str]:
    """The tiers' and programmes' codes by their names in the reader's language (a code names
    the same tier in every programme: `gold` is Gold)."""
    language = _language()
    names = {policy.code: policy.name_for(language) for policy in TierPolicy.objects.all()}
    names.update((tier.code, tier.name_for(language)) for tier in Tier.objects.all())
    return names


def _date(found: re.Match[str], language: str) -> str:
    try:
        day = dt.date(*map(int, found.groups()))
    except ValueError:
        return found.group(0)
    return format_date(day, language=language)


def _programme(found: re.Match[str]) -> str:
    policy = TierPolicy.objects.filter(code=found.group(1), version=int(found.group(2))).first()
    return policy.title_for(_language()) if policy is not None else found.group(0)


def _language() -> str:
    return "de" if (translation.get_language() or "de").startswith("de") else "en"
