"""Calibration: finding thresholds that put the target number of partners in each tier (R2, R3).

The vendor's plan is a range of partner counts per tier (Gold 80 → 60–75, Silver 860 → 200–250).
For each tier above the entry tier, best first, one criterion is calibrated (the one marked
`is_calibrated`, else the first numeric "at least" criterion):

1. The candidates are the partners not placed in a better tier and not held by an override,
   who meet all the tier's *other* criteria.
2. Their figures are sorted from high to low. Cutting after the k-th partner gives k partners in
   the tier; a cut is only possible between two different figures (ties cannot be split).
3. Of the possible cuts inside the target range, the one nearest the middle of the range wins;
   the threshold is the roundest number between the two figures either side of the cut.
4. When no cut lies inside the range (too few candidates, or ties at the boundary), the nearest
   possible cut is taken and the reason is reported.
5. The whole policy is then re-decided with the new thresholds, so the counts shown are the
   counts the policy will produce; with `save`, the result becomes a new draft version, which
   takes over the feedback round of the draft it came from (if that one was open for it).

Everything after the one measuring query happens in memory, so calibration of 100,000 partners
takes well under a second once they are measured.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal

from django.db import transaction
from django.utils import timezone

from channeldesk.audit.services import audit_record
from channeldesk.core.errors import DomainError
from channeldesk.core.periods import Period
from channeldesk.tiers.criteria import criterion_holds
from channeldesk.tiers.evaluation import Evaluation, decide
from channeldesk.tiers.models import PolicyStatus, TierCriterion, TierPolicy
from channeldesk.tiers.selectors import (
    CompiledCriterion,
    CompiledPolicy,
    CompiledTier,
    Metrics,
    overrides_active,
    partners_in_programme,
    policy_compile,
    tiers_measure,
)
from channeldesk.tiers.services import tier_policy_draft_from

ZERO = Decimal(0)
NEAREST = 3


@dataclass(frozen=True)
class BoundaryPartner:
    partner_number: str
    value: Decimal
    side: str  # "in" (just made it) or "out" (just missed)


@dataclass(frozen=True)
class TierCalibration:
    """The outcome for one tier."""

    tier: str
    criterion: str | None
    threshold_before: Decimal | None
    threshold: Decimal | None
    target: tuple[int, int] | None
    count: int
    is_met: bool
    message: str
    nearest: list[BoundaryPartner]


@dataclass(frozen=True)
class Calibration:
    policy: TierPolicy
    as_of: dt.date
    period: Period
    tiers: list[TierCalibration]
    counts: dict[str, int]
    draft: TierPolicy | None
    # The business day the figures were measured on.
    today: dt.date = field(default_factory=timezone.localdate)

    @property
    def is_met(self) -> bool:
        return all(tier.is_met for tier in self.tiers)

    @property
    def period_is_partial(self) -> bool:
        """Whether the thresholds were found on a period that had not ended yet."""
        return self.period.end > self.today


@dataclass
class _State:
    compiled: CompiledPolicy
    metrics: dict[int, Metrics]
    numbers: dict[int, str]
    remaining: set[int]
    free: frozenset[int]
    fixed: Counter[str]


def tiers_calibrate(
    *,
    policy: TierPolicy,
    as_of: dt.date,
    targets: Mapping[str, tuple[int, int]] | None = None,
    save: bool = True,
    evaluation: Evaluation | None = None,
) -> Calibration:
    """Find thresholds for `targets` (tier code → (min, max) partners); see the module doc.

    Pass the `evaluation` of the same policy and date when there is one (the back office has
    just shown it): its measured figures are reused and nothing is queried again.
    """
    if evaluation is not None and (evaluation.policy != policy or evaluation.as_of != as_of):
        raise ValueError("The evaluation given is of another policy or date.")
    compiled = evaluation.compiled if evaluation else policy_compile(policy=policy, as_of=as_of)
    targets = dict(targets or {})
    unknown = set(targets) - {tier.code for tier in compiled.tiers[:-1]}
    if unknown:
        raise DomainError(
            f"No tier above the entry tier is called {', '.join(sorted(unknown))} in "
            f"{policy.reference}.",
            code="invalid_target",
        )
    state = _from_evaluation(evaluation) if evaluation else _measure(compiled, as_of)
    outcomes: list[TierCalibration] = []
    thresholds: dict[int, Decimal] = {}
    for tier in compiled.tiers[:-1]:
        target = targets.get(tier.code) or _tier_target(tier)
        outcome, criterion_id = _calibrate_tier(state, tier, target)
        outcomes.append(outcome)
        if criterion_id is not None and outcome.threshold is not None:
            thresholds[criterion_id] = outcome.threshold
    counts = _recount(state, thresholds)
    draft = None
    if save:
        with transaction.atomic():
            draft = tier_policy_draft_from(
                policy=policy,
                thresholds=thresholds,
                targets=dict(targets),
                notes=_notes(as_of, outcomes, counts),
            )
            _carry_feedback_round(source=policy, draft=draft)
            _calibration_audit(policy=policy, draft=draft, as_of=as_of, thresholds=thresholds)
    return Calibration(
        policy=policy,
        as_of=as_of,
        period=compiled.period,
        tiers=outcomes,
        counts=counts,
        draft=draft,
        today=evaluation.today if evaluation else timezone.localdate(),
    )


def _calibration_audit(
    *, policy: TierPolicy, draft: TierPolicy, as_of: dt.date, thresholds: Mapping[int, Decimal]
) -> None:
    """One audit entry for a saved calibration: each calibrated threshold before and after."""
    criteria = TierCriterion.objects.filter(pk__in=list(thresholds)).select_related("tier")
    audit_record(
        action="tiers.calibrate",
        target=draft,
        changes={
            f"{criterion.tier.code}.{criterion.kind}": (
                criterion.threshold,
                thresholds[criterion.pk],
            )
            for criterion in criteria
        },
        counts={"thresholds": len(thresholds)},
        details={"calibrated": policy.reference, "as_of": as_of},
    )


def _carry_feedback_round(*, source: TierPolicy, draft: TierPolicy) -> None:
    """A draft calibrated from the draft under partner feedback takes over its round: partners
    comment on the programme, and the newest version is the one they should see. The feedback
    given stays with the version it was given on."""
    locked = TierPolicy.objects.select_for_update().get(pk=source.pk)
    if locked.status != PolicyStatus.DRAFT or not locked.is_open_for_feedback:
        return
    TierPolicy.objects.filter(pk=locked.pk).update(is_open_for_feedback=False)
    TierPolicy.objects.filter(pk=draft.pk).update(is_open_for_feedback=True)
    source.is_open_for_feedback = False
    draft.is_open_for_feedback = True


def _from_evaluation(evaluation: Evaluation) -> _State:
    fixed: Counter[str] = Counter(
        d.tier for d in evaluation.decisions if d.override_reason is not None
    )
    free = frozenset(d.partner_id for d in evaluation.decisions if d.override_reason is None)
    return _State(
        compiled=evaluation.compiled,
        metrics=evaluation.metrics,
        numbers={d.partner_id: d.partner_number for d in evaluation.decisions},
        remaining=set(free),
        free=free,
        fixed=fixed,
    )


def _measure(compiled: CompiledPolicy, as_of: dt.date) -> _State:
    partners = [(pid, number) for pid, number, _tier in partners_in_programme(on=as_of)]
    overrides = overrides_active(on=as_of)
    fixed: Counter[str] = Counter()
    remaining = set()
    for partner_id, _number in partners:
        override = overrides.get(partner_id)
        if override is not None and compiled.tier(override.tier_code) is not None:
            fixed[override.tier_code] += 1
        else:
            remaining.add(partner_id)
    return _State(
        compiled=compiled,
        metrics=tiers_measure(compiled=compiled),
        numbers=dict(partners),
        remaining=remaining,
        free=frozenset(remaining),
        fixed=fixed,
    )


def _tier_target(tier: CompiledTier) -> tuple[int, int] | None:
    if tier.target_min is None and tier.target_max is None:
        return None
    return (tier.target_min or 0, tier.target_max if tier.target_max is not None else 10**9)


def _calibrated_criterion(tier: CompiledTier) -> CompiledCriterion | None:
    numeric = [c for c in tier.criteria if c.kind.is_numeric and c.comparison == "at_least"]
    return next((c for c in numeric if c.is_calibrated), numeric[0] if numeric else None)


def _holds(criterion: CompiledCriterion, figures: Metrics | None) -> bool:
    measured = (figures or {}).get(criterion.metric, ZERO)
    return criterion_holds(criterion.kind, measured, criterion.threshold, criterion.comparison)


def _calibrate_tier(
    state: _State, tier: CompiledTier, target: tuple[int, int] | None
) -> tuple[TierCalibration, int | None]:
    criterion = _calibrated_criterion(tier)
    if target is None or criterion is None:
        placed = {
            pid
            for pid in state.remaining
            if all(_holds(c, state.metrics.get(pid)) for c in tier.criteria)
        }
        state.remaining -= placed
        why = "no target set" if target is None else "no numeric criterion to calibrate"
        outcome = TierCalibration(
            tier=tier.code,
            criterion=criterion.kind.code if criterion else None,
            threshold_before=criterion.threshold if criterion else None,
            threshold=criterion.threshold if criterion else None,
            target=target,
            count=len(placed) + state.fixed[tier.code],
            is_met=target is None,
            message=f"Thresholds kept: {why}.",
            nearest=[],
        )
        return outcome, None
    others = [c for c in tier.criteria if c is not criterion]
    candidates = sorted(
        (
            (
                Decimal(state.metrics.get(pid, {}).get(criterion.metric, ZERO)),
                state.numbers[pid],
                pid,
            )
            for pid in state.remaining
            if all(_holds(c, state.metrics.get(pid)) for c in others)
        ),
        reverse=True,
    )
    fixed = state.fixed[tier.code]
    low, high = max(0, target[0] - fixed), max(0, target[1] - fixed)
    values = [value for value, _number, _pid in candidates]
    cut, message = choose_cut(values, low, high, tier.code, len(candidates))
    threshold = threshold_for_cut(values, cut)
    state.remaining -= {pid for _value, _number, pid in candidates[:cut]}
    nearest = [
        BoundaryPartner(partner_number=number, value=value, side="in")
        for value, number, _pid in candidates[max(0, cut - NEAREST) : cut]
    ] + [
        BoundaryPartner(partner_number=number, value=value, side="out")
        for value, number, _pid in candidates[cut : cut + NEAREST]
    ]
    outcome = TierCalibration(
        tier=tier.code,
        criterion=criterion.kind.code,
        threshold_before=criterion.threshold,
        threshold=threshold,
        target=target,
        count=cut + fixed,
        is_met=target[0] <= cut + fixed <= target[1],
        message=message,
        nearest=nearest,
    )
    return outcome, criterion.id


def choose_cut(
    values: list[Decimal], low: int, high: int, tier_code: str, available: int
) -> tuple[int, str]:
    """How many of the sorted (high to low) values go into the tier, and why.

    A cut after k values is possible when k is 0, k is all of them, or the k-th value is greater
    than the next one (ties cannot be split).
    """
    possible = [k for k in range(len(values) + 1) if _is_cut(values, k)]
    inside = [k for k in possible if low <= k <= high]
    middle = (low + high) / 2
    if inside:
        cut = min(inside, key=lambda k: (abs(k - middle), k))
        return cut, f"{cut} partners qualify for {tier_code} (target {low}–{high})."
    # Equally near cuts: take the larger tier rather than an emptier one.
    cut = min(possible, key=lambda k: (_distance(k, low, high), -k))
    if available < low:
        reason = (
            f"Only {available} partners meet the other criteria of {tier_code}, fewer than the "
            f"target's {low}: all of them qualify."
        )
    else:
        tied = values[min(low, len(values) - 1)] if values else ZERO
        reason = (
            f"No threshold gives {low}–{high} partners in {tier_code}: partners tie at "
            f"{_plain(tied)} across the boundary. Closest result: {cut}."
        )
    return cut, reason


def _is_cut(values: list[Decimal], k: int) -> bool:
    return k in (0, len(values)) or values[k - 1] > values[k]


def _distance(k: int, low: int, high: int) -> int:
    return low - k if k < low else max(0, k - high)


def threshold_for_cut(values: list[Decimal], cut: int) -> Decimal:
    """The roundest threshold that the cut-th value meets and the next one misses."""
    if not values:
        return ZERO
    if cut == 0:
        return nice_between(values[0], values[0] * 2 + 1)
    if cut == len(values):
        return nice_between(values[-1] - 1, values[-1])
    return nice_between(values[cut], values[cut - 1])


def nice_between(low: Decimal, high: Decimal) -> Decimal:
    """The roundest number t with low < t <= high (steps of 1, 2.5 and 5 times a power of ten,
    down to a cent)."""
    step = Decimal(10) ** max(len(str(int(abs(high)))), 1)
    cent = Decimal("0.01")
    while step >= cent:
        for factor in (Decimal(1), Decimal("0.5"), Decimal("0.25")):
            size = step * factor
            candidate = (high / size).to_integral_value(rounding=ROUND_FLOOR) * size
            if low < candidate <= high:
                return candidate.quantize(cent)
        step /= 10
    return high


def _recount(state: _State, thresholds: dict[int, Decimal]) -> dict[str, int]:
    """Decide every partner again with the new thresholds: the counts the draft will produce."""
    tiers = tuple(
        dataclasses.replace(
            tier,
            criteria=tuple(
                dataclasses.replace(c, threshold=thresholds.get(c.id, c.threshold))
                for c in tier.criteria
            ),
        )
        for tier in state.compiled.tiers
    )
    compiled = dataclasses.replace(state.compiled, tiers=tiers, decisions_cache={})
    counts: Counter[str] = Counter(state.fixed)
    for partner_id in state.free:
        counts[decide(compiled, state.metrics.get(partner_id)).code] += 1
    return {tier.code: counts.get(tier.code, 0) for tier in tiers}


def _notes(as_of: dt.date, outcomes: list[TierCalibration], counts: dict[str, int]) -> str:
    lines = [f"Calibrated as of {as_of}."]
    for outcome in outcomes:
        lines.append(
            f"{outcome.tier}: {outcome.criterion} {_plain(outcome.threshold_before)} → "
            f"{_plain(outcome.threshold)}; {outcome.message}"
        )
    lines.append("Counts: " + ", ".join(f"{code} {count}" for code, count in counts.items()))
    return "\n".join(lines)


def _plain(value: Decimal | None) -> str:
    if value is None:
        return "–"
    return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{int(value):,}"
