"""The orders, order lines and credit notes of one demo partner.

Net amounts are what the vendor's ERP charged (R6): the list price less the partner's discount
under the previous programme (Gold 30 %, Silver 25 %) and, on some lines, a deal discount, rounded
per line, half up, to the cent. The deal discounts make revenues continuous, so that revenue
thresholds can be calibrated to any count without ties at the boundary.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from itertools import accumulate
from typing import NamedTuple

from channeldesk.commands.demo.population import (
    KINDS,
    PartnerProfile,
    Population,
    cumulative_split,
    random_stream,
    weighted_index,
)
from channeldesk.commands.demo.reference import PRODUCTS, ProductSpec

DEAL_DISCOUNT_CHANCE = 0.3
BASIS_POINTS = 10_000
TIER_DISCOUNT_BASIS_POINTS = {"gold": 3_000, "silver": 2_500}


class LineRecord(NamedTuple):
    """One order line: index into `PRODUCTS`, quantity and net amount in cents (negative on a
    credit note)."""

    product: int
    quantity: int
    net_cents: int


class OrderRecord(NamedTuple):
    order_number: str
    order_date: dt.date
    lines: tuple[LineRecord, ...]

    @property
    def is_credit_note(self) -> bool:
        return all(line.quantity < 0 for line in self.lines)


class _Catalogue(NamedTuple):
    """Products grouped by kind with cumulative popularity, for fast weighted choice."""

    by_kind: tuple[tuple[int, ...], ...]
    popularity: tuple[tuple[float, ...], ...]
    prices: tuple[int, ...]  # list price in cents


def _catalogue_make(*, products: Sequence[ProductSpec]) -> _Catalogue:
    by_kind = tuple(
        tuple(i for i, product in enumerate(products) if product.kind == kind) for kind in KINDS
    )
    return _Catalogue(
        by_kind=by_kind,
        popularity=tuple(
            tuple(accumulate(products[i].popularity for i in indexes)) for indexes in by_kind
        ),
        prices=tuple(int(product.list_price * 100) for product in products),
    )


_CATALOGUE = _catalogue_make(products=PRODUCTS)


def orders_generate(
    *,
    population: Population,
    profile: PartnerProfile,
    schedule: Sequence[tuple[int, int]],
    number: str,
) -> tuple[OrderRecord, ...]:
    """The partner's orders and credit notes, numbered in date order.

    Each order gets one line plus its share of the partner's extra lines; a credit note takes
    back part of one line of the order before it.
    """
    if not schedule:
        return ()
    rng = random_stream(plan=population.plan, index=profile.index, purpose="lines")
    credit_notes = sum(1 for _, delay in schedule if delay)
    extras = cumulative_split(
        total=population.line_budgets[profile.index] - len(schedule) - credit_notes,
        weights=[round(rng.expovariate(1.0) * 1000) + 1 for _ in schedule],
    )
    discount = TIER_DISCOUNT_BASIS_POINTS[population.initial_tier(profile.index)]
    mix = list(accumulate(profile.mix))
    log_medians = _log_medians(profile=profile)
    drafts: list[tuple[int, int, tuple[LineRecord, ...]]] = []
    for (day, delay), extra in zip(schedule, extras, strict=True):
        lines = tuple(
            _line_draw(rng=rng, mix=mix, log_medians=log_medians, discount=discount)
            for _ in range(1 + extra)
        )
        drafts.append((day, 0, lines))
        if delay:
            drafts.append((day + delay, 1, (_credit_line(rng=rng, lines=lines),)))
    drafts.sort(key=lambda draft: (draft[0], draft[1]))
    digits = number[1:]
    return tuple(
        OrderRecord(
            order_number=f"{'GS' if is_credit else 'AU'}-{digits}-{sequence:04d}",
            order_date=dt.date.fromordinal(day),
            lines=lines,
        )
        for sequence, (day, is_credit, lines) in enumerate(drafts, start=1)
    )


def _line_draw(
    *, rng: random.Random, mix: Sequence[float], log_medians: Sequence[float], discount: int
) -> LineRecord:
    """A line of the partner's mix at its list price less its tier discount and, now and then, a
    deal discount; rounded per line, half up, to the cent (the house rule in `core.money`).
    Quantities are log-normal around the partner's median for the product."""
    kind = weighted_index(rng=rng, cumulative=mix)
    product = _CATALOGUE.by_kind[kind][
        weighted_index(rng=rng, cumulative=_CATALOGUE.popularity[kind])
    ]
    quantity = max(1, min(20_000, round(math.exp(rng.gauss(log_medians[product], 0.7)))))
    deal = rng.randint(25, 1000) if rng.random() < DEAL_DISCOUNT_CHANCE else 0
    gross = _CATALOGUE.prices[product] * quantity * (BASIS_POINTS - discount - deal)
    return LineRecord(product=product, quantity=quantity, net_cents=(gross + 5_000) // 10_000)


def _log_medians(*, profile: PartnerProfile) -> tuple[float, ...]:
    """The partner's median quantity per product (as a logarithm): seats, mailboxes and
    user-months grow with the partner's size, boxes and servers only with its square root."""
    return tuple(
        math.log(
            spec.typical_quantity
            * (profile.size if spec.typical_quantity >= 10 else math.sqrt(profile.size))
        )
        for spec in PRODUCTS
    )


def _credit_line(*, rng: random.Random, lines: Sequence[LineRecord]) -> LineRecord:
    """Part of one line taken back (returned boxes, seats cancelled), at the price charged."""
    line = lines[rng.randrange(len(lines))]
    returned = rng.randint(1, line.quantity)
    cents = (2 * line.net_cents * returned + line.quantity) // (2 * line.quantity)
    return LineRecord(product=line.product, quantity=-returned, net_cents=-cents)
