"""Reads for the tier programme: policies, measured figures, current assignments."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from operator import itemgetter
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.db.models import FilteredRelation, Q
from django.utils.translation import gettext as _

from channeldesk.catalog.models import OrderLine
from channeldesk.core.database import transaction_settings
from channeldesk.core.errors import Conflict, NotFound
from channeldesk.core.money import money_round
from channeldesk.core.periods import Period, PeriodKind, last_complete_period, months_ending
from channeldesk.partners.models import Partner, PartnerStatus
from channeldesk.tiers.criteria import KINDS, CriterionKind, MeasureContext, SetMeasure
from channeldesk.tiers.models import (
    NoticeStatus,
    PolicyStatus,
    Tier,
    TierAssignment,
    TierCriterion,
    TierNotice,
    TierOverride,
    TierPolicy,
)


class PolicyNotFound(NotFound):
    """No policy matches the reference (`code` or `code@version`)."""

    code = "policy_not_found"


class PolicyIncomplete(Conflict):
    """The policy cannot be evaluated as it stands: it has no tiers yet, or a criterion of a kind
    this installation does not know (`code` says which). A draft being built, not a bug."""

    code = "policy_incomplete"


def policy_get(*, reference: str) -> TierPolicy:
    """The policy named by `code` (its latest version) or `code@version`."""
    code, _, version = reference.partition("@")
    policies = TierPolicy.objects.filter(code=code)
    if version:
        if not version.isdigit():
            raise PolicyNotFound(f"'{reference}': the version after '@' must be a number.")
        policies = policies.filter(version=int(version))
    policy = policies.order_by("-version").first()
    if policy is None:
        known = ", ".join(sorted(set(TierPolicy.objects.values_list("code", flat=True))))
        raise PolicyNotFound(f"No tier policy '{reference}'. Known policies: {known}.")
    return policy


def policy_in_force(*, on: dt.date) -> TierPolicy | None:
    """The published policy with the latest effective date on or before `on`."""
    return (
        TierPolicy.objects.filter(status=PolicyStatus.PUBLISHED, effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .first()
    )


def policy_uses_kind(*, policy: TierPolicy, kind: str) -> bool:
    """Whether any tier of the policy has a criterion of this kind."""
    return TierCriterion.objects.filter(tier__policy=policy, kind=kind).exists()


def evaluation_period(*, policy: TierPolicy, as_of: dt.date) -> Period:
    """The last complete calendar period (half-year by default) before the as-of date."""
    return last_complete_period(as_of, PeriodKind(policy.evaluation_period))


@dataclass(frozen=True, slots=True)
class CompiledCriterion:
    """A criterion ready to be checked against a partner's measured figures."""

    id: int
    tier_code: str
    kind: CriterionKind
    metric: str
    threshold: Decimal | None
    comparison: str
    months: int | None
    is_calibrated: bool
    parameters: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class CompiledTier:
    id: int
    code: str
    rank: int
    name_de: str
    name_en: str
    discount_percent: Decimal
    target_min: int | None
    target_max: int | None
    criteria: tuple[CompiledCriterion, ...]


class MetricCuts(NamedTuple):
    """The values a metric is compared with, and which bisections tell the verdicts."""

    metric: str
    cuts: tuple[Decimal | int, ...]
    left: bool  # some criterion asks "at most" or yes/no
    right: bool  # some criterion asks "at least"


@dataclass(frozen=True)
class CompiledPolicy:
    """A policy's tiers (best first) and the aggregate columns its criteria need.

    `decisions_cache` remembers the decision for each decision key (`cuts`): partners whose
    figures lie between the same thresholds are decided once.
    """

    policy: TierPolicy
    period: Period
    tiers: tuple[CompiledTier, ...]
    aggregates: dict[str, object]
    measured_since: dt.date
    decisions_cache: dict[tuple[object, ...], Any] = field(default_factory=dict, compare=False)
    # Metrics of kinds registered by other domains, each measured by its own set-based query.
    measures: dict[str, SetMeasure] = field(default_factory=dict, compare=False)

    @property
    def entry_tier(self) -> CompiledTier:
        return self.tiers[-1]

    @cached_property
    def cuts(self) -> tuple[MetricCuts, ...]:
        """Per metric the criteria check, the sorted distinct values they compare it with.

        Every verdict on a metric depends only on where its figure lies among these cuts: with
        L = bisect_left(cuts, v) and R = bisect_right(cuts, v), "v >= cut i" is R > i,
        "v <= cut i" is L <= i, and a yes/no criterion (cut 0) holds when L > i. So L (needed
        for "at most" and yes/no) and R (needed for "at least") per metric make a decision key
        that partners with different figures share (see `evaluation.decision_key`). Derived
        from the tiers, so a copy with other thresholds (calibration) gets its own.
        """
        by_metric: dict[str, tuple[set[Decimal | int], list[bool]]] = {}
        for tier in self.tiers:
            for criterion in tier.criteria:
                values, sides = by_metric.setdefault(criterion.metric, (set(), [False, False]))
                if not criterion.kind.is_numeric:
                    values.add(0)
                    sides[0] = True
                elif criterion.threshold is not None:
                    values.add(criterion.threshold)
                    sides[0 if criterion.comparison == "at_most" else 1] = True
        return tuple(
            MetricCuts(metric, tuple(sorted(values)), left, right)
            for metric, (values, (left, right)) in by_metric.items()
            if values
        )

    def tier(self, code: str) -> CompiledTier | None:
        return next((tier for tier in self.tiers if tier.code == code), None)


def policy_compile(*, policy: TierPolicy, as_of: dt.date) -> CompiledPolicy:
    """Resolve a policy's criteria against the registry for one as-of date."""
    period = evaluation_period(policy=policy, as_of=as_of)
    aggregates: dict[str, object] = {}
    measures: dict[str, SetMeasure] = {}
    measured_since = period.start
    tiers = []
    shared: dict[str, Any] = {}
    for tier in Tier.objects.filter(policy=policy).prefetch_related("criteria").order_by("-rank"):
        context = MeasureContext(period=period, as_of=as_of, tier_code=tier.code, shared=shared)
        criteria = []
        for criterion in tier.criteria.all():
            compiled = _criterion_compile(criterion, tier.code, context, aggregates, measures)
            if compiled.months:
                measured_since = min(
                    measured_since, months_ending(period.end, compiled.months).start
                )
            criteria.append(compiled)
        tiers.append(
            CompiledTier(
                id=tier.id,
                code=tier.code,
                rank=tier.rank,
                name_de=tier.name_de,
                name_en=tier.name_en,
                discount_percent=tier.discount_percent,
                target_min=tier.target_min,
                target_max=tier.target_max,
                criteria=tuple(criteria),
            )
        )
    if not tiers:
        raise PolicyIncomplete(
            _("Tier policy %(policy)s has no tiers yet; add one before evaluating it.")
            % {"policy": policy.reference},
            code="policy_without_tiers",
        )
    return CompiledPolicy(
        policy=policy,
        period=period,
        tiers=tuple(tiers),
        aggregates=aggregates,
        measured_since=measured_since,
        measures=measures,
    )


def _criterion_compile(
    criterion: TierCriterion,
    tier_code: str,
    context: MeasureContext,
    aggregates: dict[str, object],
    measures: dict[str, SetMeasure],
) -> CompiledCriterion:
    """One criterion resolved: its kind, and its metric added to the aggregate or the measures."""
    kind = KINDS.get(criterion.kind)
    if kind is None:
        raise PolicyIncomplete(
            _("Tier %(tier)s uses the criterion kind %(kind)s, unknown to this installation.")
            % {"tier": tier_code, "kind": criterion.kind},
            code="unknown_criterion_kind",
        )
    parameters = criterion.parameters or {}
    if kind.measure is not None:
        metric, measure = kind.measure(parameters, context)
        measures[metric] = measure
    else:
        assert kind.aggregate is not None  # the registry refuses a kind with neither
        metric, aggregate = kind.aggregate(parameters, context)
        aggregates[metric] = aggregate
    months = parameters.get("months")
    return CompiledCriterion(
        id=criterion.id,
        tier_code=tier_code,
        kind=kind,
        metric=metric,
        threshold=criterion.threshold,
        comparison=parameters.get("comparison", kind.default_comparison),
        months=int(months) if months else None,
        is_calibrated=criterion.is_calibrated,
        parameters=parameters,
        details=kind.details(parameters) if kind.details is not None else None,
    )


Metrics = dict[str, Decimal | int]


def tiers_measure(
    *, compiled: CompiledPolicy, partner_ids: Collection[int] | None = None
) -> dict[int, Metrics]:
    """Every partner's figures for all criteria of a policy, in ONE aggregate query.

    Partners without order lines in the measured window are absent from the result: their
    figures are all zero. Counts arrive as int and sums as Decimal; both compare exactly with
    the Decimal thresholds, so nothing is converted. The metrics of other domains' kinds (the
    training) come from one set-based query each and are merged in (`_measures_merge`).
    """
    measured = _aggregate_measure(compiled, partner_ids) if compiled.aggregates else {}
    if compiled.measures:
        _measures_merge(compiled, measured, partner_ids)
    return measured


def _measures_merge(
    compiled: CompiledPolicy, measured: dict[int, Metrics], partner_ids: Collection[int] | None
) -> None:
    """Add the set-based metrics to the figures of the partners they measured, in place.

    Figures are sparse: a metric a partner lacks measures 0 wherever figures are read
    (`figures.get(metric, 0)`), so only the partners a measure found are touched.
    """
    for metric, measure in compiled.measures.items():
        for partner_id, value in measure(partner_ids).items():
            figures = measured.get(partner_id)
            if figures is None:
                figures = measured[partner_id] = {}
            figures[metric] = value


def _aggregate_measure(
    compiled: CompiledPolicy, partner_ids: Collection[int] | None
) -> dict[int, Metrics]:
    lines = OrderLine.objects.filter(
        order_date__gte=compiled.measured_since, order_date__lt=compiled.period.end
    )
    if partner_ids is not None:
        lines = lines.filter(partner_id__in=list(partner_ids))
    metrics = list(compiled.aggregates.keys())
    rows = (
        lines.values("partner_id")
        .annotate(**compiled.aggregates)
        .order_by()
        .values_list("partner_id", *metrics)
    )
    # One row per partner with orders: fetched whole rather than through a server-side cursor,
    # whose fast-start planning makes PostgreSQL pick a slower plan for this aggregate.
    with transaction.atomic():
        analytic_session_tune()
        measured = {row[0]: dict(zip(metrics, row[1:], strict=True)) for row in rows}
    if connection.vendor == "sqlite":
        # SQLite sums REALs; Django rounds plain columns back to their decimal places but not
        # aggregates, so amounts are rounded to the cent here (the one money rule).
        for figures in measured.values():
            for metric, value in figures.items():
                if isinstance(value, Decimal):
                    figures[metric] = money_round(value)
    return measured


def analytic_session_tune() -> None:
    """Give a big aggregate room to sort in memory (PostgreSQL; this transaction only).

    COUNT(DISTINCT ...) sorts its input; with the default 4 MB of work memory a large partner
    set spills to disk. `TIERS_WORK_MEM` (default 256MB) is set with set_config(..., true), the
    SET LOCAL form, so it ends with the transaction and touches nothing else.
    """
    transaction_settings(work_mem=settings.TIERS_WORK_MEM)


def partners_in_programme(
    *, on: dt.date, partner_ids: Collection[int] | None = None
) -> list[tuple[int, str, PreviousTier | None]]:
    """Every authorised partner (everybody the programme tiers, R4) with the tier it has on
    `on`, in partner-number order: one query with a filtered LEFT JOIN on the assignments."""
    in_force = Q(tier_assignments__valid_from__lte=on) & (
        Q(tier_assignments__valid_to__isnull=True) | Q(tier_assignments__valid_to__gt=on)
    )
    partners = Partner.objects.filter(status=PartnerStatus.AUTHORIZED).annotate(
        current=FilteredRelation("tier_assignments", condition=in_force)
    )
    if partner_ids is not None:
        partners = partners.filter(id__in=list(partner_ids))
    rows = partners.order_by().values_list("id", "partner_number", "current__tier_id")
    # The few tiers are looked up once instead of joined into 100,000 rows.
    tiers = {
        tier_id: PreviousTier(code, discount)
        for tier_id, code, discount in Tier.objects.values_list("id", "code", "discount_percent")
    }
    # Sorted here, not in SQL: a collation-aware sort of 100,000 numbers costs the database
    # several times what a code-point sort costs Python, and partner numbers need no collation.
    return sorted(
        ((partner_id, number, tiers.get(tier_id)) for partner_id, number, tier_id in rows),
        key=itemgetter(1),
    )


@dataclass(frozen=True, slots=True)
class CurrentTier:
    """A partner's tier on a date, with what it is worth."""

    partner_id: int
    assignment_id: int
    policy_id: int
    policy_reference: str
    tier_code: str
    tier_name_de: str
    tier_name_en: str
    discount_percent: Decimal
    valid_from: dt.date
    valid_to: dt.date | None
    source: str
    reasons: list[dict[str, object]] | None


def tier_current_map(
    *, on: dt.date, partner_ids: Collection[int] | None = None, with_reasons: bool = False
) -> dict[int, CurrentTier]:
    """Each partner's assignment in force on a date (one query)."""
    assignments = TierAssignment.objects.filter(valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on)
    )
    if partner_ids is not None:
        assignments = assignments.filter(partner_id__in=list(partner_ids))
    fields = [
        "id",
        "partner_id",
        "policy_id",
        "policy__code",
        "policy__version",
        "tier__code",
        "tier__name_de",
        "tier__name_en",
        "tier__discount_percent",
        "valid_from",
        "valid_to",
        "source",
    ]
    if with_reasons:
        fields.append("reasons")
    result = {}
    for row in assignments.values(*fields).iterator(chunk_size=10_000):
        result[row["partner_id"]] = CurrentTier(
            partner_id=row["partner_id"],
            assignment_id=row["id"],
            policy_id=row["policy_id"],
            policy_reference=f"{row['policy__code']}@{row['policy__version']}",
            tier_code=row["tier__code"],
            tier_name_de=row["tier__name_de"],
            tier_name_en=row["tier__name_en"],
            discount_percent=row["tier__discount_percent"],
            valid_from=row["valid_from"],
            valid_to=row["valid_to"],
            source=row["source"],
            reasons=row.get("reasons"),
        )
    return result


class PreviousTier(NamedTuple):
    """The little an evaluation needs of the tier a partner had: its code and discount."""

    tier_code: str
    discount_percent: Decimal


def tier_current(*, partner: Partner, on: dt.date) -> CurrentTier | None:
    return tier_current_map(on=on, partner_ids=[partner.pk], with_reasons=True).get(partner.pk)


def tier_history(*, partner: Partner) -> list[TierAssignment]:
    """Every assignment the partner ever had, newest first."""
    return list(
        TierAssignment.objects.filter(partner=partner)
        .select_related("tier", "policy", "created_by")
        .order_by("-valid_from")
    )


def overrides_active(
    *, on: dt.date, partner_ids: Collection[int] | None = None
) -> dict[int, TierOverride]:
    """The override in force per partner on a date (the newest wins)."""
    overrides = TierOverride.objects.filter(valid_from__lte=on, revoked_at__isnull=True).filter(
        Q(valid_until__isnull=True) | Q(valid_until__gt=on)
    )
    if partner_ids is not None:
        overrides = overrides.filter(partner_id__in=list(partner_ids))
    result: dict[int, TierOverride] = {}
    for override in overrides.order_by("valid_from", "created_at"):
        result[override.partner_id] = override
    return result


def tier_notices_due_count(*, today: dt.date) -> int:
    """How many planned tier-change notices are due by `today` (what `tier_notices_send` would
    send without a limit)."""
    return TierNotice.objects.filter(status=NoticeStatus.PLANNED, send_on__lte=today).count()
