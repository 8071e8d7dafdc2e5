"""Deciding every partner's tier under a policy, with the reasons (R2, R4, R5).

The algorithm:
1. Compile the policy for the as-of date: its tiers best first, the evaluation period, and the
   aggregate column each criterion needs.
2. Measure all partners in one aggregate query over the order lines (`tiers_measure`).
3. For each authorised partner, check every criterion of every tier against its figures. The
   partner gets the best tier whose criteria all hold; the entry tier has no criteria, so every
   authorised partner gets at least that (R4). An override in force wins over the evaluation.
4. Compare with the assignment in force on the as-of date to find the movers.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import repeat
from typing import Any, NamedTuple

from django.utils import timezone

from channeldesk.core.json_numbers import json_number
from channeldesk.core.periods import Period
from channeldesk.tiers.criteria import criterion_holds
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.selectors import (
    CompiledCriterion,
    CompiledPolicy,
    CompiledTier,
    Metrics,
    PreviousTier,
    overrides_active,
    partners_in_programme,
    policy_compile,
    tiers_measure,
)

ZERO = Decimal(0)
# The keys `CriterionResult.as_dict` names; any other key of a stored reason is a detail.
_REASON_KEYS = frozenset({"tier", "criterion", "measured", "threshold", "comparison", "holds"})


class CriterionResult(NamedTuple):
    """One criterion checked for one partner: what was measured, against what, and the verdict.

    A named tuple rather than a dataclass: an evaluation of 100,000 partners makes over half a
    million of them, and tuples are the cheapest immutable record Python has.
    """

    tier: str
    kind: str
    measured: Decimal | int
    threshold: Decimal | None
    comparison: str
    holds: bool
    # What exactly the criterion asks for beyond its kind, e.g. {"course": "G2D"}.
    details: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The reason as stored with a tier assignment and shown in the JSON documents; the
        details sit beside the named keys (`from_dict` reads it back)."""
        document = {
            "tier": self.tier,
            "criterion": self.kind,
            "measured": json_number(self.measured),
            "threshold": json_number(self.threshold),
            "comparison": self.comparison,
            "holds": self.holds,
        }
        if self.details:
            document.update(self.details)
        return document

    @classmethod
    def from_dict(cls, document: dict[str, Any]) -> CriterionResult | None:
        """A reason stored by `as_dict`, read back (measured figures as Decimal); None for a
        reason in another shape, such as those of assignments recorded before the evaluation's
        shape settled, which are not shown."""
        try:
            threshold = document.get("threshold")
            result = cls(
                tier=str(document["tier"]),
                kind=str(document["criterion"]),
                measured=Decimal(str(document.get("measured", 0))),
                threshold=None if threshold is None else Decimal(str(threshold)),
                comparison=str(document.get("comparison", "at_least")),
                holds=bool(document.get("holds")),
            )
        except (KeyError, ArithmeticError, ValueError):
            return None
        details = {key: value for key, value in document.items() if key not in _REASON_KEYS}
        return result._replace(details=details) if details else result


@dataclass(slots=True)
class TierDecision:
    """The tier a partner gets under a policy, why, and what it had before.

    The reasons are worked out from the partner's figures when asked for: deciding 100,000
    partners needs only the verdicts, and most callers look at the reasons of a few.
    """

    partner_id: int
    partner_number: str
    tier: str
    previous_tier: str | None
    figures: Metrics | None = field(repr=False)
    compiled: CompiledPolicy = field(repr=False)
    override_reason: str | None = None

    @property
    def reasons(self) -> tuple[CriterionResult, ...]:
        return explain(self.compiled, self.figures)

    @property
    def is_mover(self) -> bool:
        return self.tier != self.previous_tier

    def reasons_as_dicts(self) -> list[dict[str, Any]]:
        reasons = [reason.as_dict() for reason in self.reasons]
        if self.override_reason is not None:
            reasons.append({"override": self.override_reason})
        return reasons

    def as_dict(self) -> dict[str, Any]:
        return {
            "partner_number": self.partner_number,
            "tier": self.tier,
            "previous_tier": self.previous_tier,
            "reasons": self.reasons_as_dicts(),
        }


@dataclass
class Evaluation:
    """All decisions of one evaluation run; nothing is stored."""

    compiled: CompiledPolicy
    as_of: dt.date
    decisions: list[TierDecision]
    previous: dict[int, PreviousTier] = field(repr=False)
    metrics: dict[int, Metrics] = field(repr=False)
    # The business day the figures were measured on.
    today: dt.date = field(default_factory=timezone.localdate)

    @property
    def policy(self) -> TierPolicy:
        return self.compiled.policy

    @property
    def period(self) -> Period:
        return self.compiled.period

    @property
    def period_is_partial(self) -> bool:
        """Whether the evaluation period had not ended when measured (a preview of a running
        period: its figures are incomplete, and it cannot be applied)."""
        return self.period.end > self.today

    def counts(self) -> dict[str, int]:
        counted = Counter(decision.tier for decision in self.decisions)
        return {tier.code: counted.get(tier.code, 0) for tier in self.compiled.tiers}

    def previous_counts(self) -> dict[str, int]:
        return dict(Counter(d.previous_tier for d in self.decisions if d.previous_tier))

    def movers(self) -> list[TierDecision]:
        return [decision for decision in self.decisions if decision.is_mover]

    def direction(self, decision: TierDecision) -> str:
        """up, down, unchanged or new (no tier before)."""
        return move_direction(
            self.compiled,
            decision.previous_tier,
            decision.tier,
            self.previous.get(decision.partner_id),
        )

    def direction_counts(self) -> dict[str, int]:
        counted = Counter(self.direction(decision) for decision in self.decisions)
        return {key: counted.get(key, 0) for key in ("up", "down", "unchanged", "new")}


def move_direction(
    compiled: CompiledPolicy, previous: str | None, new: str, current: PreviousTier | None
) -> str:
    """Compare tiers across policies: by rank when both codes exist in the new policy, else by
    discount (a better tier is one with a higher discount)."""
    if previous is None:
        return "new"
    if previous == new:
        return "unchanged"
    new_tier = compiled.tier(new)
    old_tier = compiled.tier(previous)
    if new_tier is not None and old_tier is not None:
        return "up" if new_tier.rank > old_tier.rank else "down"
    old_discount = current.discount_percent if current is not None else ZERO
    new_discount = new_tier.discount_percent if new_tier is not None else ZERO
    return "up" if new_discount > old_discount else "down"


def decision_key(compiled: CompiledPolicy, figures: Metrics | None) -> tuple[int, ...]:
    """Where each checked figure lies among the policy's cuts (see `CompiledPolicy.cuts`):
    partners with the same key get the same tier, whatever their exact figures."""
    get = (figures or {}).get
    key: list[int] = []
    for metric, cuts, left, right in compiled.cuts:
        value = get(metric, 0)
        if left:
            key.append(bisect_left(cuts, value))
        if right:
            key.append(bisect_right(cuts, value))
    return tuple(key)


def decide(compiled: CompiledPolicy, figures: Metrics | None) -> CompiledTier:
    """The best tier whose criteria all hold for these figures (the entry tier at least).

    Partners whose figures lie between the same thresholds get the same answer, so answers are
    remembered per policy under their `decision_key`.
    """
    return _decide_keyed(compiled, figures, decision_key(compiled, figures))


def _decide_keyed(
    compiled: CompiledPolicy, figures: Metrics | None, key: tuple[int, ...]
) -> CompiledTier:
    cache = compiled.decisions_cache
    tier = cache.get(key)
    if tier is None:
        figures = figures or {}
        tier = cache[key] = next(
            (t for t in compiled.tiers if all(_holds(c, figures) for c in t.criteria)),
            compiled.entry_tier,
        )
    return tier


def _holds(criterion: CompiledCriterion, figures: Metrics) -> bool:
    measured = figures.get(criterion.metric, ZERO)
    return criterion_holds(criterion.kind, measured, criterion.threshold, criterion.comparison)


def explain(compiled: CompiledPolicy, figures: Metrics | None) -> tuple[CriterionResult, ...]:
    """Every criterion of every tier checked against the figures: measured, threshold, verdict."""
    figures = figures or {}
    results = []
    for tier in compiled.tiers:
        for criterion in tier.criteria:
            measured = figures.get(criterion.metric, ZERO)
            holds = criterion_holds(
                criterion.kind, measured, criterion.threshold, criterion.comparison
            )
            results.append(
                CriterionResult(
                    tier=tier.code,
                    kind=criterion.kind.code,
                    measured=measured,
                    threshold=criterion.threshold,
                    comparison=criterion.comparison if criterion.kind.is_numeric else "yes",
                    holds=holds,
                    details=criterion.details,
                )
            )
    return tuple(results)


def tiers_evaluate(
    *,
    policy: TierPolicy,
    as_of: dt.date,
    partner_ids: Collection[int] | None = None,
    today: dt.date | None = None,
) -> Evaluation:
    """Compute every authorised partner's tier under `policy` on `as_of`; change nothing.

    `today` (default: the business day) only tells whether the evaluation period has ended.
    """
    compiled = policy_compile(policy=policy, as_of=as_of)
    metrics = tiers_measure(compiled=compiled, partner_ids=partner_ids)
    partners = partners_in_programme(on=as_of, partner_ids=partner_ids)
    previous = {partner_id: tier for partner_id, _number, tier in partners if tier is not None}
    overrides = overrides_active(on=as_of, partner_ids=partner_ids)
    decisions = list(decide_all(compiled, partners=partners, metrics=metrics, overrides=overrides))
    return Evaluation(
        compiled=compiled,
        as_of=as_of,
        decisions=decisions,
        previous=previous,
        metrics=metrics,
        today=today or timezone.localdate(),
    )


def decide_all(
    compiled: CompiledPolicy,
    *,
    partners: list[tuple[int, str, PreviousTier | None]],
    metrics: dict[int, Metrics],
    overrides: dict[int, Any],
) -> Iterable[TierDecision]:
    """The decision for each of `partners` (id, number, previous tier), in their order: the tier
    `decide` gives its `metrics` (none: all zero), unless an override names a tier of the policy.
    Changes nothing; `tiers_evaluate` is this on the partners of the programme."""
    # The hot loop of an evaluation (100,000 partners). The decision keys are built column by
    # column (one list comprehension per metric, the tuples by zip), which costs a fraction of
    # building them partner by partner; most partners then find their tier in the cache.
    figures_of, override_of, cache = metrics.get, overrides.get, compiled.decisions_cache
    figures_list = [figures_of(partner_id) for partner_id, _number, _current in partners]
    columns: list[list[int]] = []
    for metric, cuts, left, right in compiled.cuts:
        values = [figures.get(metric, 0) if figures else 0 for figures in figures_list]
        if left:
            columns.append([bisect_left(cuts, value) for value in values])
        if right:
            columns.append([bisect_right(cuts, value) for value in values])
    keys: Iterable[tuple[int, ...]] = zip(*columns, strict=True) if columns else repeat(())
    tiers = {tier.code: tier for tier in compiled.tiers}
    for (partner_id, partner_number, current), figures, key in zip(
        partners, figures_list, keys, strict=False
    ):
        tier = cache.get(key) or _decide_keyed(compiled, figures, key)
        override = override_of(partner_id)
        override_reason = None
        if override is not None and override.tier_code in tiers:
            tier = tiers[override.tier_code]
            override_reason = override.reason
        yield TierDecision(
            partner_id,
            partner_number,
            tier.code,
            current.tier_code if current is not None else None,
            figures,
            compiled,
            override_reason,
        )
