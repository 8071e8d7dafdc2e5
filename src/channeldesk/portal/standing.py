"""A partner's standing in the programme, written for the partner: its tier, why, and what is
missing for the next tier (R2, R3).

Everything here reads the tiers domain and turns its verdicts into lines a person understands:

1. The tier in force comes from the partner's assignment, with the reasons recorded when it was
   decided (each criterion's measured value against its threshold).
2. The outlook evaluates the partner alone under the policy in force as of the end of the
   running evaluation period: that is what the next re-tiering will measure, with the orders
   placed so far in this period. The tier above the current one names the criteria still not
   met and by how much ("2 more orders this half-year").
3. The page never contradicts itself: a partner whose figures so far would place it below its
   tier is told so (`Outlook.falls_back`) instead of being praised for the best tier; a partner
   meeting every criterion of the next tier is told that only the next re-tiering, after the
   period ends, moves it (`next_met`, `decided_from`); every figure names the dates it was
   measured over (`CriterionLine.window`), so the revenue recorded at the last re-tiering and
   the revenue so far are not two amounts under one label; a tier carried over without recorded
   reasons shows its criteria as measured so far (`held_lines`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from channeldesk.core.formatting import (
    format_date_range,
    format_money,
    format_number,
)
from channeldesk.core.periods import (
    MONTHS_PER_KIND,
    Period,
    PeriodKind,
    add_months,
    months_ending,
)
from channeldesk.partners.models import Partner
from channeldesk.tiers.criteria import KINDS, CriterionKind
from channeldesk.tiers.evaluation import CriterionResult, tiers_evaluate
from channeldesk.tiers.models import PolicyStatus, Tier, TierPolicy
from channeldesk.tiers.selectors import (
    CompiledTier,
    CurrentTier,
    evaluation_period,
    policy_in_force,
    tier_current,
)

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
    # The dates the figure was measured over ("1. Juli – 31. Dezember 2026"), so two figures
    # of one criterion on one page (as decided, and so far) are told apart; empty for
    # requirements such as a training, which hold on a day rather than over a window.
    window: str = ""


@dataclass(frozen=True)
class Outlook:
    """Where the partner stands in the running period under the policy in force."""

    policy: TierPolicy
    period: Period
    projected: CompiledTier
    current: CompiledTier | None
    next_tier: CompiledTier | None
    next_lines: list[CriterionLine]
    # The held tier's own criteria, measured so far in the running period.
    held_lines: list[CriterionLine]

    @property
    def is_top(self) -> bool:
        return self.next_tier is None

    @property
    def falls_back(self) -> bool:
        """Measured so far, the next re-tiering would put the partner below its tier."""
        return self.current is not None and self.projected.rank < self.current.rank

    @property
    def next_met(self) -> bool:
        """Every criterion of the next tier holds so far: the next re-tiering would promote."""
        return bool(self.next_lines) and all(line.holds for line in self.next_lines)

    @property
    def decided_from(self) -> dt.date:
        """The first day a re-tiering measuring the running period can take effect."""
        return self.period.end


@dataclass(frozen=True)
class ComingTier:
    """The partner's tier under a published programme that has not taken effect yet, as its
    evaluation period measures so far (`partial` until that period has ended)."""

    policy: TierPolicy
    effective_from: dt.date
    tier: CompiledTier
    period: Period
    partial: bool
    lines: list[CriterionLine]


@dataclass(frozen=True)
class Standing:
    current: CurrentTier | None
    reasons: list[CriterionLine]
    override_reason: str
    outlook: Outlook | None
    coming: ComingTier | None = None


def running_period(*, today: dt.date, kind: str) -> Period:
    """The calendar period (half-year by default) that contains `today`."""
    size = MONTHS_PER_KIND[PeriodKind(kind)]
    month_index = today.year * 12 + today.month - 1
    start_index = month_index - (month_index % 12) % size
    start = dt.date(start_index // 12, start_index % 12 + 1, 1)
    return Period(start=start, end=add_months(start, size))


def partner_standing(*, partner: Partner, today: dt.date, language: str) -> Standing:
    current = tier_current(partner=partner, on=today)
    in_force, coming = published_around(today=today)
    reasons, override = _recorded_reasons(current, language=language)
    return Standing(
        current=current,
        reasons=reasons,
        override_reason=override,
        outlook=partner_outlook(
            partner=partner, today=today, current=current, language=language, policy=in_force
        ),
        coming=partner_coming_tier(partner=partner, today=today, language=language, policy=coming),
    )


def published_around(*, today: dt.date) -> tuple[TierPolicy | None, TierPolicy | None]:
    """The policy in force on `today` (as `tiers.selectors.policy_in_force` picks it) and the
    next one published to take effect after it, in one query: there are a handful of them."""
    in_force = coming = None
    for policy in TierPolicy.objects.filter(
        status=PolicyStatus.PUBLISHED, effective_from__isnull=False
    ).order_by("effective_from", "version"):
        assert policy.effective_from is not None
        if policy.effective_from <= today:
            in_force = policy  # the latest effective date wins, then the highest version
        elif coming is None or policy.effective_from == coming.effective_from:
            coming = policy
    return in_force, coming


def partner_coming_tier(
    *, partner: Partner, today: dt.date, language: str, policy: TierPolicy | None
) -> ComingTier | None:
    """The partner's tier under `policy`, published to take effect after `today`, as of its
    effective date; None without one (or when it does not tier the partner). Its reasons are
    the criteria of the tier it gets and of the tiers above."""
    if policy is None or policy.effective_from is None:
        return None
    evaluation = tiers_evaluate(
        policy=policy, as_of=policy.effective_from, partner_ids=[partner.pk], today=today
    )
    decision = next((d for d in evaluation.decisions if d.partner_id == partner.pk), None)
    if decision is None:
        return None
    compiled = evaluation.compiled
    tier = compiled.tier(decision.tier)
    assert tier is not None  # a decision always names a tier of its policy
    names = tier_names(compiled.tiers, language=language)
    windows = criterion_windows(compiled.tiers, period=compiled.period, language=language)
    return ComingTier(
        policy=policy,
        effective_from=policy.effective_from,
        tier=tier,
        period=compiled.period,
        partial=evaluation.period_is_partial,
        lines=[
            criterion_line(reason, language=language, names=names, windows=windows)
            for reason in decision.reasons
        ],
    )


def partner_outlook(
    *,
    partner: Partner,
    today: dt.date,
    current: CurrentTier | None,
    language: str,
    policy: TierPolicy | None = None,
) -> Outlook | None:
    """The next re-tiering as it looks today under `policy` (default: the policy in force);
    None without a policy in force."""
    policy = policy or policy_in_force(on=today)
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
    names = tier_names(compiled.tiers, language=language)
    windows = criterion_windows(compiled.tiers, period=compiled.period, language=language)

    def lines_of(tier: CompiledTier | None) -> list[CriterionLine]:
        if tier is None:
            return []
        return [
            criterion_line(reason, language=language, names=names, windows=windows)
            for reason in decision.reasons
            if reason.tier == tier.code
        ]

    return Outlook(
        policy=policy,
        period=period,
        projected=projected,
        current=held,
        next_tier=next_tier,
        next_lines=lines_of(next_tier),
        held_lines=lines_of(held),
    )


# The revenue criterion's window when its parameters name none (`tiers.criteria._revenue`).
REVENUE_DEFAULT_MONTHS = 12


def criterion_windows(
    tiers: Iterable[CompiledTier], *, period: Period, language: str
) -> dict[tuple[str, str], str]:
    """(tier code, criterion kind) → the dates its figure is measured over, in words."""
    return _windows(
        (
            (tier.code, criterion.kind.code, criterion.months)
            for tier in tiers
            for criterion in tier.criteria
        ),
        period=period,
        language=language,
    )


def _windows(
    criteria: Iterable[tuple[str, str, int | None]], *, period: Period, language: str
) -> dict[tuple[str, str], str]:
    """Per (tier code, kind, months) criterion: the evaluation period, or for revenue the
    months ending with it. Requirements (a training) hold on a day and have none."""
    windows = {}
    for tier_code, kind_code, months in criteria:
        kind = KINDS.get(kind_code)
        if kind is None or kind.is_requirement:
            continue
        window = period
        if kind_code == "revenue":
            window = months_ending(period.end, months or REVENUE_DEFAULT_MONTHS)
        windows[(tier_code, kind_code)] = date_range(
            window.start, window.last_day, language=language
        )
    return windows


def date_range(start: dt.date, last_day: dt.date, *, language: str) -> str:
    """`1. Juli – 31. Dezember 2026` / `1 July – 31 December 2026`."""
    return format_date_range(start, last_day, language=language)


def tier_names(tiers: Iterable[Any], *, language: str) -> dict[str, str]:
    """Tier code → name in the language, from tiers or compiled tiers."""
    german = language.startswith("de")
    return {tier.code: tier.name_de if german else tier.name_en for tier in tiers}


def criterion_line(
    reason: CriterionResult,
    *,
    language: str,
    names: dict[str, str] | None = None,
    windows: dict[tuple[str, str], str] | None = None,
) -> CriterionLine:
    kind = KINDS.get(reason.kind)
    unit = kind.unit if kind else ""
    return CriterionLine(
        tier=reason.tier,
        tier_name=(names or {}).get(reason.tier, reason.tier),
        window=(windows or {}).get((reason.tier, reason.kind), ""),
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
    tiers = list(
        Tier.objects.filter(policy_id=current.policy_id)
        .select_related("policy")
        .prefetch_related("criteria")
    )
    names = tier_names(tiers, language=language)
    windows: dict[tuple[str, str], str] = {}
    if tiers:
        # The figures were measured as of the assignment's first day (a re-tiering applies a
        # policy as of its effective date): over the evaluation period that ended by then.
        period = evaluation_period(policy=tiers[0].policy, as_of=current.valid_from)
        criteria = (
            (tier.code, criterion.kind, _months(criterion.parameters))
            for tier in tiers
            for criterion in tier.criteria.all()
        )
        windows = _windows(criteria, period=period, language=language)
    lines, override = [], ""
    for reason in current.reasons:
        if "override" in reason:
            override = str(reason["override"])
            continue
        result = CriterionResult.from_dict(reason)
        if result is not None:
            lines.append(criterion_line(result, language=language, names=names, windows=windows))
    return lines, override


def _months(parameters: dict[str, Any] | None) -> int | None:
    months = (parameters or {}).get("months")
    return int(months) if months else None


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
