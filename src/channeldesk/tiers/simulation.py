"""Previewing a draft policy before it takes effect (R2, R3): counts, movers, discount cost."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import DecimalField, ExpressionWrapper, F, Sum

from channeldesk.catalog.models import OrderLine
from channeldesk.core.money import percent_of
from channeldesk.core.periods import Period
from channeldesk.tiers.evaluation import Evaluation, tiers_evaluate
from channeldesk.tiers.models import TierPolicy

ZERO = Decimal(0)


@dataclass(frozen=True)
class TierCount:
    """One tier of the simulated policy: how many partners now and after, and what it costs."""

    code: str
    name_de: str
    name_en: str
    discount_percent: Decimal
    current: int
    projected: int
    target_min: int | None
    target_max: int | None
    discount_cost_current: Decimal
    discount_cost_projected: Decimal

    @property
    def within_target(self) -> bool | None:
        if self.target_min is None and self.target_max is None:
            return None
        low = self.target_min if self.target_min is not None else 0
        high = self.target_max if self.target_max is not None else self.projected
        return low <= self.projected <= high


@dataclass(frozen=True)
class Simulation:
    """The preview of a policy: per-tier counts and cost next to today's assignment."""

    evaluation: Evaluation
    cost_window: Period
    tiers: list[TierCount]
    current_counts: dict[str, int]
    directions: dict[str, int]
    discount_cost_current: Decimal
    discount_cost_projected: Decimal

    @property
    def discount_cost_change(self) -> Decimal:
        return self.discount_cost_projected - self.discount_cost_current


def one_year_before(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def list_value_by_partner(
    *, window: Period, partner_ids: Collection[int] | None = None
) -> dict[int, Decimal]:
    """Each partner's order lines in the window valued at today's list prices (one query)."""
    lines = OrderLine.objects.filter(order_date__gte=window.start, order_date__lt=window.end)
    if partner_ids is not None:
        lines = lines.filter(partner_id__in=list(partner_ids))
    value = ExpressionWrapper(
        F("quantity") * F("product__list_price"),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )
    rows = lines.values("partner_id").annotate(list_value=Sum(value)).order_by()
    return {row["partner_id"]: Decimal(row["list_value"] or 0) for row in rows.iterator()}


def tiers_simulate(
    *,
    policy: TierPolicy,
    as_of: dt.date,
    partner_ids: Collection[int] | None = None,
    evaluation: Evaluation | None = None,
) -> Simulation:
    """Counts per tier under `policy` next to the current assignment, the movers, and the
    discount cost: the last 12 months' order lines re-priced at list price with the current and
    with the projected discount (rounded per partner, half up, to the cent)."""
    evaluation = evaluation or tiers_evaluate(policy=policy, as_of=as_of, partner_ids=partner_ids)
    window = Period(start=one_year_before(as_of), end=as_of)
    list_values = list_value_by_partner(window=window, partner_ids=partner_ids)
    discounts = {tier.code: tier.discount_percent for tier in evaluation.compiled.tiers}
    cost_now: dict[str, Decimal] = defaultdict(Decimal)
    cost_then: dict[str, Decimal] = defaultdict(Decimal)
    for decision in evaluation.decisions:
        value = list_values.get(decision.partner_id, ZERO)
        current = evaluation.previous.get(decision.partner_id)
        current_discount = current.discount_percent if current is not None else ZERO
        cost_now[decision.tier] += percent_of(value, current_discount)
        cost_then[decision.tier] += percent_of(value, discounts[decision.tier])
    projected = evaluation.counts()
    current_counts = evaluation.previous_counts()
    tiers = [
        TierCount(
            code=tier.code,
            name_de=tier.name_de,
            name_en=tier.name_en,
            discount_percent=tier.discount_percent,
            current=current_counts.get(tier.code, 0),
            projected=projected[tier.code],
            target_min=tier.target_min,
            target_max=tier.target_max,
            discount_cost_current=cost_now[tier.code],
            discount_cost_projected=cost_then[tier.code],
        )
        for tier in evaluation.compiled.tiers
    ]
    return Simulation(
        evaluation=evaluation,
        cost_window=window,
        tiers=tiers,
        current_counts=current_counts,
        directions=evaluation.direction_counts(),
        discount_cost_current=sum(cost_now.values(), ZERO),
        discount_cost_projected=sum(cost_then.values(), ZERO),
    )
