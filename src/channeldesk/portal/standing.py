"""A partner's standing in the programme, written for the partner: its tier, why, and what is
missing for the next tier (R2, R3).

Everything here reads the tiers domain and turns its verdicts into lines a person understands:

1. The tier in force comes from the partner's assignment, with the reasons recorded when it was
   decided (each criterion's measured value against its threshold).
2. The outlook evaluates the partner alone under the policy in force as of the end of the
   running evaluation period: that is what the next re-tiering will measure, with the orders
   placed so far in this period. The tier above the current one names the criteria still not
   met and by how much ("2 more orders this half-year").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channeldesk.core.formatting import format_money, format_number
from channeldesk.core.periods import MONTHS_PER_KIND, Period, PeriodKind, add_months
from channeldesk.partners.models import Partner
from channeldesk.tiers.criteria import KINDS, CriterionKind
from channeldesk.tiers.evaluation import CriterionResult, tiers_evaluate
from channeldesk.tiers.models import Tier, TierPolicy
from channeldesk.tiers.selectors import CompiledTier, CurrentTier, policy_in_force, tier_current

ZERO = Decimal(0)


@dataclass(frozen=True)
class CriterionLine:
    """One criterion of one tier: what was measured, what it takes, and whether it holds."""

    tier: str
    kind: str
    label: str
    measured: str
    threshold: str
    holds: bool
    missing: str  # what is still needed, as a sentence; empty when the criterion holds
    tier_name: str = ""


@dataclass(frozen=True)
class Outlook:
    """Where the partner stands in the running period under the policy in force."""

    policy: TierPolicy
    period: Period
    projected: CompiledTier
    current: CompiledTier | None
    next_tier: CompiledTier | None
    next_lines: list[CriterionLine]

    @property
    def is_top(self) -> bool:
        return self.next_tier is None


@dataclass(frozen=True)
class Standing:
    current: CurrentTier | None
    reasons: list[CriterionLine]
    override_reason: str
    outlook: Outlook | None


def running_period(*, today: dt.date, kind: str) -> Period:
    """The calendar period (half-year by default) that contains `today`."""
    size = MONTHS_PER_KIND[PeriodKind(kind)]
    month_index = today.year * 12 + today.month - 1
    start_index = month_index - (month_index % 12) % size
    start = dt.date(start_index // 12, start_index % 12 + 1, 1)
    return Period(start=start, end=add_months(start, size))


def partner_standing(*, partner: Partner, today: dt.date, language: str) -> Standing:
    current = tier_current(partner=partner, on=today)
    reasons, override = _recorded_reasons(current, language=language)
    return Standing(
        current=current,
        reasons=reasons,
        override_reason=override,
        outlook=partner_outlook(partner=partner, today=today, current=current, language=language),
    )


def partner_outlook(
    *, partner: Partner, today: dt.date, current: CurrentTier | None, language: str
) -> Outlook | None:
    """The next re-tiering as it looks today; None without a policy in force."""
    policy = policy_in_force(on=today)
    if policy is None:
        return None
    period = running_period(today=today, kind=policy.evaluation_period)
    evaluation = tiers_evaluate(policy=policy, as_of=period.end, partner_ids=[partner.pk])
    decision = next((d for d in evaluation.decisions if d.partner_id == partner.pk), None)
    if decision is None:  # not authorised: the programme does not tier it
        return None
    compiled = evaluation.compiled
    projected = compiled.tier(decision.tier)
    assert projected is not None
    held = compiled.tier(current.tier_code) if current is not None else None
    base = held or projected
    better = [tier for tier in compiled.tiers if tier.rank > base.rank]
    next_tier = better[-1] if better else None
    lines = []
    names = tier_names(compiled.tiers, language=language)
    if next_tier is not None:
        lines = [
            criterion_line(reason, language=language, names=names)
            for reason in decision.reasons
            if reason.tier == next_tier.code
        ]
    return Outlook(
        policy=policy,
        period=period,
        projected=projected,
        current=held,
        next_tier=next_tier,
        next_lines=lines,
    )


def tier_names(tiers: Iterable[Any], *, language: str) -> dict[str, str]:
    """Tier code → name in the language, from tiers or compiled tiers."""
    german = language.startswith("de")
    return {tier.code: tier.name_de if german else tier.name_en for tier in tiers}


def criterion_line(
    reason: CriterionResult, *, language: str, names: dict[str, str] | None = None
) -> CriterionLine:
    kind = KINDS.get(reason.kind)
    unit = kind.unit if kind else ""
    return CriterionLine(
        tier=reason.tier,
        tier_name=(names or {}).get(reason.tier, reason.tier),
        kind=reason.kind,
        label=str(kind.label) if kind else reason.kind,
        measured=_figure(reason.measured, unit=unit, language=language),
        threshold=_threshold(reason, unit=unit, language=language),
        holds=reason.holds,
        missing="" if reason.holds else _missing(reason, unit=unit, language=language),
    )


def _recorded_reasons(
    current: CurrentTier | None, *, language: str
) -> tuple[list[CriterionLine], str]:
    """The reasons stored with the assignment (JSON written by the tiers services)."""
    if current is None or not current.reasons:
        return [], ""
    names = tier_names(Tier.objects.filter(policy_id=current.policy_id), language=language)
    lines, override = [], ""
    for reason in current.reasons:
        if "override" in reason:
            override = str(reason["override"])
            continue
        result = _result_from_json(reason)
        if result is not None:
            lines.append(criterion_line(result, language=language, names=names))
    return lines, override


REASON_KEYS = {"tier", "criterion", "measured", "threshold", "comparison", "holds"}


def _result_from_json(reason: dict[str, Any]) -> CriterionResult | None:
    try:
        threshold = reason.get("threshold")
        result = CriterionResult(
            tier=str(reason["tier"]),
            kind=str(reason["criterion"]),
            measured=Decimal(str(reason.get("measured", 0))),
            threshold=None if threshold is None else Decimal(str(threshold)),
            comparison=str(reason.get("comparison", "at_least")),
            holds=bool(reason.get("holds")),
        )
        details = {key: value for key, value in reason.items() if key not in REASON_KEYS}
        if details and "details" in CriterionResult._fields:
            result = result._replace(details=details)
        return result
    except (KeyError, ArithmeticError, ValueError):
        # Older assignments (initial status) may carry reasons in another shape: not shown.
        return None


def _requirement(kind: CriterionKind, reason: CriterionResult, language: str) -> str:
    """A requirement (a training course, say) described by its own domain when it can."""
    details = getattr(reason, "details", None) or {}
    if kind.describe is not None:
        try:
            return kind.describe(details, reason.threshold, language)
        except (KeyError, TypeError, ValueError):
            pass
    extra = ", ".join(str(value) for value in details.values())
    return f"{kind.label} ({extra})" if extra else str(kind.label)


def _figure(value: Decimal | int, *, unit: str, language: str) -> str:
    if unit == "EUR":
        return format_money(Decimal(value), language=language)
    return format_number(value, language=language)


def _threshold(reason: CriterionResult, *, unit: str, language: str) -> str:
    if reason.comparison == "yes" or reason.threshold is None:
        return _("yes")
    figure = _figure(reason.threshold, unit=unit, language=language)
    if reason.comparison == "at_most":
        return _("at most %(figure)s") % {"figure": figure}
    return _("at least %(figure)s") % {"figure": figure}


def _missing(reason: CriterionResult, *, unit: str, language: str) -> str:
    """What it takes to meet the criterion, in words."""
    kind = KINDS.get(reason.kind)
    if kind is not None and kind.is_requirement:
        return _("Still required: %(what)s.") % {"what": _requirement(kind, reason, language)}
    if reason.comparison == "yes" or reason.threshold is None:
        return _("Order at least one product beyond retail (enterprise or service) this period.")
    gap = Decimal(reason.threshold) - Decimal(reason.measured)
    if reason.comparison == "at_most":
        return _("%(figure)s above the limit.") % {
            "figure": _figure(-gap, unit=unit, language=language)
        }
    if unit == "EUR":
        return _("%(amount)s more net revenue.") % {"amount": format_money(gap, language=language)}
    return _more_of(reason.kind, gap, language=language)


def _more_of(kind: str, gap: Decimal, *, language: str) -> str:
    """ "2 more orders this period" and the like: a count still missing."""
    count = int(gap.to_integral_value(rounding="ROUND_CEILING"))
    shown = format_number(count, language=language)
    if kind == "orders":
        return ngettext(
            "%(count)s more order this period.", "%(count)s more orders this period.", count
        ) % {"count": shown}
    if kind == "distinct_products":
        return ngettext(
            "%(count)s more distinct product this period.",
            "%(count)s more distinct products this period.",
            count,
        ) % {"count": shown}
    return _("%(count)s more.") % {"count": shown}
