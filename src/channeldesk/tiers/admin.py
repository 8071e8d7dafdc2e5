"""Admin for tier policies and the partners' tier history.

A published policy is never edited, only superseded (R3, docs/tiers.md): its page, its tiers
and their criteria are read-only here, and only drafts can be changed. Publishing is not a field
to tick but a step of the tiers commands, which check the policy first; so `status` is read-only
everywhere in the admin. The tier history (assignments) is never edited either; a manual
decision is a tier override.
"""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.options import BaseModelAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from channeldesk.core.admin import LargeTablePaginator, ReadOnlyAdmin, ReadOnlyInline
from channeldesk.core.formatting import format_figure
from channeldesk.core.periods import PeriodKind
from channeldesk.notifications.review import AdminTexts, review_action_form, review_admin_actions
from channeldesk.partners.admin import PartnerAdmin
from channeldesk.partners.models import Partner
from channeldesk.tiers.criteria import KINDS
from channeldesk.tiers.hotlines import partners_calling_from
from channeldesk.tiers.models import (
    PolicyStatus,
    Tier,
    TierAssignment,
    TierCriterion,
    TierNotice,
    TierOverride,
    TierPolicy,
)


def _policy_of(*, obj: object | None, path: str) -> TierPolicy | None:
    """Follows `path` (dotted attribute names, empty for the object itself) to a policy."""
    for name in filter(None, path.split(".")):
        obj = getattr(obj, name) if obj is not None else None
    return obj if isinstance(obj, TierPolicy) else None


def _is_draft_or_new(*, obj: object | None, path: str) -> bool:
    policy = _policy_of(obj=obj, path=path)
    return policy is None or not policy.is_published


class DraftOnlyPermissions(BaseModelAdmin):
    """Objects that can be changed and deleted, by those whose permissions allow it, while they
    belong to a draft policy.

    `policy_path` leads from the object (an inline's: from its parent) to its policy ("" when
    that is the policy itself).
    """

    policy_path = ""

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and _is_draft_or_new(obj=obj, path=self.policy_path)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and _is_draft_or_new(obj=obj, path=self.policy_path)


class DraftOnlyInline(DraftOnlyPermissions, admin.TabularInline):
    """An inline that can be changed while its parent belongs to a draft policy."""

    extra = 0

    def has_add_permission(self, request, obj=None):
        allowed = super().has_add_permission(request, obj)
        return allowed and _is_draft_or_new(obj=obj, path=self.policy_path)


class DraftOnlyAdmin(DraftOnlyPermissions, admin.ModelAdmin):
    """A model admin whose objects can be changed while they belong to a draft policy; a new
    one may only be attached to a draft (the first step of `policy_path` offers drafts only)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        steps = self.policy_path.split(".") if self.policy_path else []
        if steps and db_field.name == steps[0]:
            # Seen from the related model: "policy__status" for a tier, "status" for a policy.
            draft = {"__".join([*steps[1:], "status"]): PolicyStatus.DRAFT}
            kwargs["queryset"] = db_field.related_model.objects.filter(**draft)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# What a tier is, beside its code: its rank, its names, its discount and its target band.
TIER_TERMS = ["rank", "name_de", "name_en", "discount_percent", "target_min", "target_max"]


class TierInline(DraftOnlyInline):
    model = Tier
    fields = ["code", *TIER_TERMS, "criteria_summary"]
    readonly_fields = ["criteria_summary"]
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("criteria")

    @admin.display(description=_("criteria"))
    def criteria_summary(self, tier: Tier) -> str:
        """The tier's criteria in one line; they are edited on the tier's own page."""
        if tier.pk is None:
            return "-"
        return (
            "; ".join(_criterion_text(criterion=criterion) for criterion in tier.criteria.all())
            or "-"
        )


def _criterion_text(*, criterion: TierCriterion) -> str:
    kind = KINDS.get(criterion.kind)
    parts = [str(kind.label) if kind is not None else criterion.kind]
    if criterion.threshold is not None:
        parts.append(str(criterion.threshold))
    if criterion.parameters:
        parts.append(json.dumps(criterion.parameters, sort_keys=True))
    return " ".join(parts)


def _language() -> str:
    return translation.get_language() or "de"


def programme_label(policy: TierPolicy) -> str:
    """A programme version as a person reads it: its name in the reader's language, and the
    version from the second one on ("Partnerprogramm mit drei Stufen (version 2)")."""
    name = policy.name_for(_language())
    if policy.version > 1:
        return gettext("%(name)s (version %(version)s)") % {
            "name": name,
            "version": policy.version,
        }
    return name


# The evaluation period's kind in words; the stored value is a code (`half_year`).
PERIOD_KIND_LABELS: dict[str, Promise] = {
    PeriodKind.QUARTER: pgettext_lazy("evaluation period", "quarter"),
    PeriodKind.HALF_YEAR: pgettext_lazy("evaluation period", "half-year"),
    PeriodKind.YEAR: pgettext_lazy("evaluation period", "year"),
}


class ProgrammeFilter(admin.SimpleListFilter):
    """Filters by programme (every version of a policy code), offered by the programme's name
    in the reader's language instead of its code."""

    title = _("programme")
    parameter_name = "programme"
    code_path = "code"

    def lookups(self, request, model_admin):
        newest: dict[str, TierPolicy] = {}
        for policy in TierPolicy.objects.order_by("code", "-version"):
            newest.setdefault(policy.code, policy)
        return [(code, policy.name_for(_language())) for code, policy in newest.items()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(**{self.code_path: self.value()})
        return queryset


class AssignmentProgrammeFilter(admin.SimpleListFilter):
    """Filters the tier history by programme version, each by its name (never `default@1`)."""

    title = _("programme")
    parameter_name = "policy"

    def lookups(self, request, model_admin):
        return [
            (str(policy.pk), programme_label(policy))
            for policy in TierPolicy.objects.order_by("code", "version")
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(policy_id=int(value))
        return queryset


@admin.register(TierPolicy)
class TierPolicyAdmin(DraftOnlyAdmin):
    # The code is not shown in the list (a person reads the programme's name); it stays
    # searchable and on the policy's own page.
    list_display = [
        "programme",
        "version",
        "status",
        "effective_from",
        "period",
        "is_open_for_feedback",
        "published_at",
    ]
    list_display_links = ["programme"]
    list_filter = ["status", ProgrammeFilter, "is_open_for_feedback"]
    search_fields = ["code", "name", "name_de", "name_en"]
    readonly_fields = ["status", "published_at", "created_at"]
    fields = [
        "code",
        "version",
        "name",
        "name_de",
        "name_en",
        "description",
        "status",
        "effective_from",
        "evaluation_period",
        "is_open_for_feedback",
        "based_on",
        "notes",
        "published_at",
        "created_at",
    ]
    inlines = [TierInline]

    @admin.display(description=_("programme"), ordering="name")
    def programme(self, policy: TierPolicy) -> str:
        return policy.name_for(_language())

    @admin.display(description=_("evaluation period"), ordering="evaluation_period")
    def period(self, policy: TierPolicy) -> str:
        label = PERIOD_KIND_LABELS.get(policy.evaluation_period)
        return str(label) if label is not None else policy.evaluation_period


def _criterion_kinds() -> list[tuple[str, str]]:
    return [(code, str(kind.label)) for code, kind in KINDS.items()]


class TierCriterionForm(forms.ModelForm):
    """Offers the criterion kinds of the registry instead of a free text field."""

    # A callable, so that a kind registered later is offered without restarting anything.
    kind = forms.ChoiceField(label=_("kind"), choices=_criterion_kinds)

    class Meta:
        model = TierCriterion
        fields = ["kind", "threshold", "parameters", "is_calibrated", "position"]


class TierCriterionInline(DraftOnlyInline):
    model = TierCriterion
    form = TierCriterionForm
    fields = ["kind", "threshold", "parameters", "is_calibrated", "position"]

    policy_path = "policy"


@admin.register(Tier)
class TierAdmin(DraftOnlyAdmin):
    list_display = ["code", "policy", *TIER_TERMS, "hotline_phone", "support_priority"]
    list_filter = ["policy__status", "policy"]
    list_select_related = ["policy"]
    search_fields = ["code", "name_de", "name_en", "policy__code"]
    inlines = [TierCriterionInline]

    policy_path = "policy"


@admin.register(TierCriterion)
class TierCriterionAdmin(DraftOnlyAdmin):
    form = TierCriterionForm
    fields = ["tier", "kind", "threshold", "parameters", "is_calibrated", "position"]
    list_display = ["tier", "kind", "threshold", "parameters", "is_calibrated", "position"]
    list_filter = ["kind", "is_calibrated", "tier__policy"]
    list_select_related = ["tier__policy"]
    search_fields = ["tier__code", "tier__policy__code", "kind"]

    policy_path = "tier.policy"


@admin.register(TierAssignment)
class TierAssignmentAdmin(ReadOnlyAdmin):
    """The tier history, to look at: it is written by `tiers apply` and never edited."""

    list_display = [
        "partner",
        "tier_name",
        "programme",
        "valid_from",
        "valid_to",
        "source",
        "created_at",
    ]
    list_filter = ["source", AssignmentProgrammeFilter, "valid_from"]
    list_select_related = ["partner", "tier__policy", "policy", "created_by"]
    search_fields = ["=partner__partner_number", "partner__name"]
    search_help_text = _("Exact partner number, or part of the legal name.")
    show_full_result_count = False
    paginator = LargeTablePaginator

    @admin.display(description=_("tier"), ordering="tier__rank")
    def tier_name(self, assignment: TierAssignment) -> str:
        return assignment.tier.name_for(_language())

    @admin.display(description=_("programme"), ordering="policy__code")
    def programme(self, assignment: TierAssignment) -> str:
        return programme_label(assignment.policy)


NOTICE_REVIEW_TEXTS = AdminTexts(
    release=_("Send again (release tier notices in review)"),
    reason_help=_("Needed to dismiss tier notices."),
    reason_missing=_("Give a reason to dismiss tier notices."),
    updated=_("%(count)d tier notice(s) updated."),
)


@admin.register(TierNotice)
class TierNoticeAdmin(admin.ModelAdmin):
    """Tier-change notices, to look at: planned by `tiers apply`, sent by the notice job."""

    list_display = [
        "partner",
        "previous_tier",
        "tier",
        "direction",
        "effective_from",
        "send_on",
        "status",
        "sent_at",
    ]
    list_filter = ["status", "direction", "effective_from"]
    list_select_related = ["partner", "previous_tier__policy", "tier__policy"]
    search_fields = ["=partner__partner_number", "partner__name"]
    search_help_text = _("Exact partner number, or part of the legal name.")
    readonly_fields = [
        "partner",
        "assignment",
        "previous_tier",
        "tier",
        "effective_from",
        "direction",
        "missing",
        "send_on",
        "status",
        "decision",
        "claimed_by",
        "lease_expires_at",
        "sent_at",
        "document",
        "email_key",
        "created_at",
    ]
    # Staff settle a notice whose outcome is unknown: send it again or dismiss it, through the
    # delivery engine's review (docs/delivery.md); the notice itself is never edited here.
    action_form = review_action_form(NOTICE_REVIEW_TEXTS)
    actions = review_admin_actions(
        "channeldesk.tiers.notices.TIER_NOTICE_REVIEW", NOTICE_REVIEW_TEXTS
    )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TierOverride)
class TierOverrideAdmin(admin.ModelAdmin):
    list_display = [
        "partner",
        "tier_code",
        "valid_from",
        "valid_until",
        "revoked_at",
        "created_by",
        "created_at",
    ]
    list_filter = ["tier_code", "valid_from"]
    list_select_related = ["partner", "created_by"]
    search_fields = ["=partner__partner_number", "partner__name", "reason"]
    autocomplete_fields = ["partner"]
    readonly_fields = ["created_by", "created_at"]
    fields = [
        "partner",
        "tier_code",
        "reason",
        "valid_from",
        "valid_until",
        "revoked_at",
        "created_by",
        "created_at",
    ]

    def save_model(self, request, obj, form, change):
        """Records who decided: an override is a person's decision, and says whose."""
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class TierHistoryInline(ReadOnlyInline):
    """A partner's tiers over time, newest first, with the reasons (read-only: history)."""

    model = TierAssignment
    verbose_name_plural = _("tier history (the open row is the tier in force)")
    # Django's table prints each row's model text (`2: gold from 2020-01-01`) above it.
    template = "admin/edit_inline/tabular_without_row_text.html"
    # The tier and the programme by their names in the reader's language: the models' own
    # texts are codes (`gold (default@1)`, `default@1 (draft)`).
    fields = readonly_fields = (
        "valid_from",
        "valid_to",
        "tier_name",
        "discount",
        "programme",
        "source",
        "reasons_text",
    )
    ordering = ["-valid_from"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[TierAssignment]:
        return (
            super()
            .get_queryset(request)
            .select_related("tier", "policy")
            .prefetch_related("policy__tiers")
        )

    @admin.display(description=_("discount %"))
    def discount(self, assignment: TierAssignment) -> object:
        return assignment.tier.discount_percent

    @admin.display(description=_("tier"))
    def tier_name(self, assignment: TierAssignment) -> str:
        return assignment.tier.name_for(_language())

    @admin.display(description=_("programme"))
    def programme(self, assignment: TierAssignment) -> str:
        return assignment.policy.title_for(_language())

    @admin.display(description=_("reasons"))
    def reasons_text(self, assignment: TierAssignment) -> str:
        """Each recorded reason on a line of its own, in words: `Gold-Partner · net revenue
        over the last months: 128.063,16 € / 25.000,00 € ✔` (never the stored JSON)."""
        language = _language()
        names = {tier.code: tier.name_for(language) for tier in assignment.policy.tiers.all()}
        lines = [
            reason_line(reason, names=names, language=language) for reason in assignment.reasons
        ]
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in lines if line))


def reason_line(reason: dict[str, Any], *, names: dict[str, str], language: str) -> str:
    """One recorded reason of an assignment as a line for people (an unknown shape: empty)."""
    if reason.get("override"):
        return f"{gettext('override')}: {reason['override']}"
    # Rows recorded before the evaluation's shape settled say `kind`, `value` and `held`.
    kind = KINDS.get(str(reason.get("criterion") or reason.get("kind") or ""))
    if kind is None:
        return ""
    mark = "✔" if reason.get("holds", reason.get("held")) else "✘"
    measured = reason.get("measured", reason.get("value"))
    figures = " / ".join(
        format_figure(value, unit=kind.unit, language=language)
        for value in (measured, reason.get("threshold"))
        if value not in (None, "")
    )
    tier = names.get(str(reason.get("tier", "")), "")
    return f"{tier} · {kind.label}: {figures} {mark}".strip(" ·")


# A search with this many digits may be a telephone number (shorter ones are partner numbers).


class PartnerWithTiersAdmin(PartnerAdmin):
    """The partner page with its tier history, and a search that finds telephone numbers.
    Registered here because `partners` sits below `tiers` and may not import it."""

    inlines = [*PartnerAdmin.inlines, TierHistoryInline]
    search_fields = [*PartnerAdmin.search_fields, "phone"]
    search_help_text = _(
        "Partner number, legal name, VAT ID, e-mail, city, or a telephone number of the partner "
        "or one of its contacts in any format."
    )

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Partner], search_term: str
    ) -> tuple[QuerySet[Partner], bool]:
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        callers = partners_calling_from(search_term.strip())
        if callers is not None:
            found = found | queryset.filter(pk__in=callers)
        return found, may_have_duplicates


admin.site.unregister(Partner)
admin.site.register(Partner, PartnerWithTiersAdmin)
