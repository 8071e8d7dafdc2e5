"""The demo population: who the partners are as numbers, before any of them is generated.

`population_build` draws a small profile per partner (a handful of numbers), counts the orders
each will place, decides the initial Gold and Silver status and shares the order lines out. Even
100,000 profiles fit easily in memory; orders and lines are generated later, one partner at a
time (`generator.partners_generate`).

Why this shape (R1, R2, R5): partners fall into behaviour segments (`SEGMENTS`) whose shares
reproduce the seed — about half near non-buyers, some retail-only buyers, enough regular and key
accounts that the default policy can be calibrated to Gold 60-75 and Silver 200-250. The initial
Gold status goes to the partners with the best standing under the previous programme: their
volume *before* the two years of orders (their trend run backwards), with noise. So Gold went
mostly to the biggest buyers, but not to all of them, and re-tiering has movers both ways.
"""

from __future__ import annotations

import bisect
import datetime as dt
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import accumulate
from typing import NamedTuple

from channeldesk.catalog.models import ProductKind
from channeldesk.core.errors import DomainError

DEFAULT_SEED = 2005
DEFAULT_PARTNERS = 940
DEFAULT_ORDER_LINES = 30_000
MAX_PARTNERS = 100_000
MAX_ORDER_LINES = 10_000_000
# The seed's previous programme: 80 Gold among 940 tiered partners, everybody else Silver.
SEED_GOLD = 80
FIRST_PARTNER_NUMBER = 100_001
# The previous programme is in force from this date (see `tiers.defaults.PREVIOUS`); the initial
# assignments start here, and every demo partner joined before it.
INITIAL_STATUS_FROM = dt.date(2000, 1, 1)
CREDIT_NOTE_CHANCE = 0.02
# Rough value of a typical line per product kind (EUR), used only to rank standing.
LINE_VALUE_FOR_STANDING = {
    ProductKind.RETAIL: 150.0,
    ProductKind.ENTERPRISE: 650.0,
    ProductKind.SERVICE: 150.0,
}
KINDS = (ProductKind.RETAIL, ProductKind.ENTERPRISE, ProductKind.SERVICE)


class Segment(StrEnum):
    """How a reseller behaves. Near non-buyers place at most one order per half-year (R1);
    retail-only buyers order often but only boxed products (R5)."""

    NEAR_NON_BUYER = "near_non_buyer"
    RETAIL_ONLY = "retail_only"
    OCCASIONAL = "occasional"
    REGULAR = "regular"
    KEY_ACCOUNT = "key_account"


@dataclass(frozen=True, slots=True)
class SegmentShape:
    """The ranges a segment's partners draw their behaviour from.

    `rate` is orders per half-year (for near non-buyers: the chance of the one order), `basket`
    the relative number of lines per order, `size` the median quantity multiplier and `mix` the
    weights of retail, enterprise and service lines.
    """

    share: float
    rate: tuple[float, float]
    basket: tuple[float, float]
    size: float
    mix: tuple[float, float, float]


SEGMENTS: dict[Segment, SegmentShape] = {
    Segment.NEAR_NON_BUYER: SegmentShape(0.45, (0.05, 0.75), (1.0, 1.6), 0.6, (0.6, 0.35, 0.05)),
    Segment.RETAIL_ONLY: SegmentShape(0.07, (1.5, 6.0), (1.5, 3.0), 1.0, (1.0, 0.0, 0.0)),
    Segment.OCCASIONAL: SegmentShape(0.12, (1.2, 3.0), (2.0, 3.5), 0.9, (0.3, 0.55, 0.15)),
    Segment.REGULAR: SegmentShape(0.27, (3.0, 8.0), (2.5, 4.5), 1.6, (0.2, 0.6, 0.2)),
    Segment.KEY_ACCOUNT: SegmentShape(0.09, (6.0, 14.0), (3.5, 6.0), 4.0, (0.1, 0.6, 0.3)),
}


class DemoShapeError(DomainError):
    """The requested scale cannot carry the seed's shape (e.g. fewer lines than orders)."""

    code = "demo_shape"


@dataclass(frozen=True, slots=True)
class DemoPlan:
    """What to generate: the same plan always gives the same data."""

    seed: int
    partners: int
    order_lines: int
    today: dt.date

    @property
    def first_day(self) -> dt.date:
        """Two years of orders end at the anchor date (`today`)."""
        return years_before(day=self.today, years=2) + dt.timedelta(days=1)

    @property
    def initial_gold(self) -> int:
        """80 Gold at 940 partners, proportionally at any other scale."""
        return (self.partners * SEED_GOLD * 2 + DEFAULT_PARTNERS) // (DEFAULT_PARTNERS * 2)

    def partner_number(self, index: int) -> str:
        return f"P{FIRST_PARTNER_NUMBER + index}"


@dataclass(frozen=True, slots=True)
class PartnerProfile:
    """The few numbers from which one partner's whole history is generated."""

    index: int
    segment: Segment
    rate: float
    trend: float
    basket: float
    size: float
    mix: tuple[float, float, float]
    standing: float


@dataclass(frozen=True)
class Population:
    """Every partner's profile, initial tier and share of the order lines."""

    plan: DemoPlan
    profiles: tuple[PartnerProfile, ...]
    is_gold: tuple[bool, ...]
    line_budgets: tuple[int, ...]

    def initial_tier(self, index: int) -> str:
        return "gold" if self.is_gold[index] else "silver"


class Slice(NamedTuple):
    """The part of one calendar half-year that lies inside the order window."""

    first: int  # date ordinal
    last: int  # date ordinal, inclusive
    fraction: float  # of the whole half-year
    years_ago: float  # of its middle, before the anchor date


def plan_make(*, seed: int, partners: int, order_lines: int | None, today: dt.date) -> DemoPlan:
    """A plan; without an explicit line count the lines scale with the partners (default 30,000
    lines for 940 partners: about three lines per order, two years of orders)."""
    if not 1 <= partners <= MAX_PARTNERS:
        raise DemoShapeError(f"--partners must be between 1 and {MAX_PARTNERS:,}.")
    if order_lines is None:
        order_lines = partners * DEFAULT_ORDER_LINES // DEFAULT_PARTNERS
    if not 1 <= order_lines <= MAX_ORDER_LINES:
        raise DemoShapeError(f"--orders must be between 1 and {MAX_ORDER_LINES:,}.")
    earliest = years_before(day=INITIAL_STATUS_FROM, years=-2)
    if today < earliest:
        raise DemoShapeError(
            f"--today must be on or after {earliest}: the two years of orders follow the "
            f"previous programme, in force from {INITIAL_STATUS_FROM}."
        )
    return DemoPlan(seed=seed, partners=partners, order_lines=order_lines, today=today)


def population_build(*, plan: DemoPlan) -> Population:
    """Profiles, initial Gold/Silver and line budgets for every partner of the plan.

    Raises `DemoShapeError` when the plan asks for fewer order lines than the partners place
    orders: every order needs at least one line, and thinning orders would break the shape.
    """
    segments = _segments_assign(plan=plan)
    profiles = tuple(
        _profile_draw(plan=plan, index=index, segment=segment)
        for index, segment in enumerate(segments)
    )
    slices = slices_make(plan=plan)
    schedules = [schedule_draw(plan=plan, profile=profile, slices=slices) for profile in profiles]
    return Population(
        plan=plan,
        profiles=profiles,
        is_gold=_gold_select(plan=plan, profiles=profiles),
        line_budgets=_budgets_share(plan=plan, profiles=profiles, schedules=schedules),
    )


def random_stream(*, plan: DemoPlan, index: int, purpose: str) -> random.Random:
    """A random stream of its own for each partner and purpose: string seeds hash with SHA-512,
    independent of PYTHONHASHSEED, so the data is the same in every process."""
    return random.Random(f"channeldesk-demo:{plan.seed}:{index}:{purpose}")


def cumulative_split(*, total: int, weights: Sequence[int]) -> list[int]:
    """Split `total` into integer parts proportional to `weights` that add up exactly."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0] * len(weights)
    parts, given = [], 0
    for running in accumulate(weights):
        upto = total * running // weight_sum
        parts.append(upto - given)
        given = upto
    return parts


def _segments_assign(*, plan: DemoPlan) -> list[Segment]:
    """Exact segment counts (shares of the partner count), in a seeded random order, so that
    even a small demo has the seed's proportions."""
    shares = [round(shape.share * 1_000_000) for shape in SEGMENTS.values()]
    counts = cumulative_split(total=plan.partners, weights=shares)
    segments = [
        segment for segment, count in zip(SEGMENTS, counts, strict=True) for _ in range(count)
    ]
    random_stream(plan=plan, index=-1, purpose="segments").shuffle(segments)
    return segments


def _profile_draw(*, plan: DemoPlan, index: int, segment: Segment) -> PartnerProfile:
    shape = SEGMENTS[segment]
    rng = random_stream(plan=plan, index=index, purpose="profile")
    rate = rng.uniform(*shape.rate)
    trend = max(-0.7, min(0.7, rng.gauss(0.0, 0.3)))
    basket = rng.uniform(*shape.basket)
    size = shape.size * rng.lognormvariate(0.0, 0.6)
    mix = tuple(weight * rng.uniform(0.5, 1.5) for weight in shape.mix)
    # Standing under the previous programme: the volume before the two years of orders (the
    # trend run backwards), with noise for everything the revenue does not show.
    line_value = sum(
        w * LINE_VALUE_FOR_STANDING[kind] for w, kind in zip(mix, KINDS, strict=True)
    ) / sum(mix)
    if segment is Segment.NEAR_NON_BUYER:
        rate_per_year = 2 * rate
    else:
        rate_per_year = 2 * rate * math.exp(-1.5 * trend)
    standing = rate_per_year * basket * size * line_value * rng.lognormvariate(0.0, 0.45)
    return PartnerProfile(
        index=index,
        segment=segment,
        rate=rate,
        trend=trend,
        basket=basket,
        size=size,
        mix=(mix[0], mix[1], mix[2]),
        standing=standing,
    )


def _gold_select(*, plan: DemoPlan, profiles: Sequence[PartnerProfile]) -> tuple[bool, ...]:
    ranked = sorted(profiles, key=lambda profile: (-profile.standing, profile.index))
    gold = {profile.index for profile in ranked[: plan.initial_gold]}
    return tuple(index in gold for index in range(len(profiles)))


def _budgets_share(
    *,
    plan: DemoPlan,
    profiles: Sequence[PartnerProfile],
    schedules: Sequence[tuple[tuple[int, int], ...]],
) -> tuple[int, ...]:
    """Each partner's number of order lines: one per order and credit note, plus a share of the
    remaining lines in proportion to its orders times its basket size."""
    minimums = [len(schedule) + sum(1 for _, delay in schedule if delay) for schedule in schedules]
    needed = sum(minimums)
    if plan.order_lines < needed:
        raise DemoShapeError(
            f"--orders {plan.order_lines:,} is too few for {plan.partners:,} partners: their "
            f"orders alone need {needed:,} lines (one per order). Ask for at least that many "
            f"order lines, or fewer partners."
        )
    weights = [
        round(len(schedule) * profile.basket * 1000)
        for profile, schedule in zip(profiles, schedules, strict=True)
    ]
    extras = cumulative_split(total=plan.order_lines - needed, weights=weights)
    return tuple(minimum + extra for minimum, extra in zip(minimums, extras, strict=True))


def weighted_index(*, rng: random.Random, cumulative: Sequence[float]) -> int:
    return bisect.bisect_right(cumulative, rng.random() * cumulative[-1])


# --- order schedule ---------------------------------------------------------------------------


def years_before(*, day: dt.date, years: int) -> dt.date:
    """The same calendar day `years` earlier (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def slices_make(*, plan: DemoPlan) -> tuple[Slice, ...]:
    """The calendar half-years the order window touches, clipped to the window. Near non-buyers
    draw at most one order per slice, so at most one per calendar half-year (R1, R5)."""
    first, last = plan.first_day.toordinal(), plan.today.toordinal()
    slices = []
    year, half = plan.first_day.year, 0 if plan.first_day.month <= 6 else 1
    while True:
        start = dt.date(year, 1 + 6 * half, 1).toordinal()
        end = (dt.date(year + 1, 1, 1) if half else dt.date(year, 7, 1)).toordinal() - 1
        if start > last:
            break
        clipped_first, clipped_last = max(start, first), min(end, last)
        middle = (clipped_first + clipped_last) / 2
        slices.append(
            Slice(
                first=clipped_first,
                last=clipped_last,
                fraction=(clipped_last - clipped_first + 1) / (end - start + 1),
                years_ago=(last - middle) / 365.25,
            )
        )
        year, half = (year + 1, 0) if half else (year, 1)
    return tuple(slices)


def poisson(*, rng: random.Random, mean: float) -> int:
    """Knuth's method: exact and fast for the small means of orders per half-year."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def schedule_draw(
    *, plan: DemoPlan, profile: PartnerProfile, slices: Sequence[Slice]
) -> tuple[tuple[int, int], ...]:
    """The partner's order days (ordinals, sorted) with the delay of a credit note (0: none).

    Drawn from its own stream, so `population_build` and `partners_generate` see the same
    schedule without keeping it.
    """
    rng = random_stream(plan=plan, index=profile.index, purpose="schedule")
    days: list[int] = []
    for part in slices:
        if profile.segment is Segment.NEAR_NON_BUYER:
            if rng.random() < profile.rate * part.fraction:
                days.append(rng.randint(part.first, part.last))
            continue
        mean = profile.rate * part.fraction * math.exp(profile.trend * (1.0 - part.years_ago))
        days.extend(rng.randint(part.first, part.last) for _ in range(poisson(rng=rng, mean=mean)))
    days.sort()
    last = plan.today.toordinal()
    schedule = []
    for day in days:
        delay = rng.randint(3, 45) if rng.random() < CREDIT_NOTE_CHANCE else 0
        schedule.append((day, delay if day + delay <= last else 0))
    return tuple(schedule)
