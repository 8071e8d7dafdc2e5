"""A demo customer's contracts: which products, how many seats, and the chain of terms.

A *subscription* is one product a customer keeps buying; each term of it is one contract, and
each renewal links the follow-up to the contract it renews (R10). The terms are drawn
so that the reminder flow has work every day of the two years around the anchor date:

- Every subscription has a phase: its first term in the window ends on a uniformly drawn day of
  the 12, 24 or 36 months starting a year before the anchor, and each later term starts the day
  after the previous one ends. So end dates are spread evenly over the year before and the year
  after the anchor, without gaps or peaks.
- Before the anchor, most terms were renewed (`RENEWAL_CHANCE`), some of them late (the
  follow-up starts weeks after the end, as `contract_renew` allows for an expired contract); the
  others were lost: expired, or cancelled beforehand with a reason.
- Some subscriptions began within the year before the anchor (`NEW_CHANCE`). New business makes
  up for the lost subscriptions, so there are about as many end dates after the anchor as before.
- After the anchor the current term is active; close to its end it may be renewed already (the
  follow-up is booked, starting the day after), and a few were cancelled ahead of time.

Seats follow from the customer's workstations: per seat, mailbox or user about one each (fewer
for disk encryption, device control or mobile devices), rounded the way licences are bought,
10-2,000; per server, host or site one for every so many workstations, 1-40.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from itertools import accumulate
from typing import NamedTuple

from channeldesk.catalog.models import ProductKind
from channeldesk.commands.demo.population import weighted_index
from channeldesk.commands.demo.reference import PRODUCTS
from channeldesk.contracts.models import ContractStatus

WINDOW_DAYS = 365
RENEWAL_CHANCE = 0.85
LATE_RENEWAL_CHANCE = 0.1
LATE_RENEWAL_DAYS = (5, 60)
NEW_CHANCE = 0.13
CANCELLED_SHARE_OF_LOST = 0.3
CANCELLED_AHEAD_CHANCE = 0.04
EARLY_RENEWAL_DAYS = 90
EARLY_RENEWAL_TOP = 0.5
UPGRADE_CHANCE = 0.08
MIN_SEATS, MAX_SEATS = 10, 2_000
MAX_UNITS = 40

# Seats per workstation for the per-seat, per-mailbox and per-user products.
SEAT_RATIOS: dict[str, float] = {
    "EN-EP-STD": 1.0,
    "EN-EP-ADV": 1.0,
    "EN-MAIL": 0.9,
    "EN-GW": 0.9,
    "EN-WEB": 0.8,
    "EN-FDE": 0.35,
    "EN-DEV": 0.6,
    "EN-SUP": 1.0,
    "MS-AV": 1.0,
    "MS-MAIL": 0.9,
    "MS-WEB": 0.8,
    "MS-EDR": 1.0,
    "MS-BKP": 0.7,
    "MS-PATCH": 1.0,
    "MS-MDM": 0.3,
    "MS-SOC": 1.0,
}
# Workstations per server, host or site for the products licensed per installation.
WORKSTATIONS_PER_UNIT: dict[str, int] = {"EN-FS": 60, "EN-VIRT": 150, "MS-FW": 120}

# The product a customer starts with: endpoint protection bought as a licence, or managed.
PRIMARY_LICENSED: tuple[tuple[str, int], ...] = (("EN-EP-STD", 3), ("EN-EP-ADV", 2))
PRIMARY_MANAGED = "MS-AV"
# What it adds, weighted by the products' popularity. The management server is a one-off
# installation without a term, so it never has a contract.
ADD_ONS_LICENSED = (
    "EN-MAIL", "EN-GW", "EN-WEB", "EN-FDE", "EN-DEV", "EN-FS", "EN-VIRT", "EN-SUP", "MS-BKP",
    "MS-EDR",
)  # fmt: skip
ADD_ONS_MANAGED = (
    "MS-MAIL", "MS-WEB", "MS-EDR", "MS-BKP", "MS-PATCH", "MS-MDM", "MS-SOC", "MS-FW", "EN-FS",
)  # fmt: skip
ADD_ON_COUNT_WEIGHTS = (45, 30, 15, 10)  # 0, 1, 2 or 3 add-ons
TERM_MONTHS = {
    ProductKind.ENTERPRISE: ((12, 75), (24, 15), (36, 10)),
    ProductKind.SERVICE: ((12, 85), (24, 15)),
}
UPGRADES = {"EN-EP-STD": "EN-EP-ADV"}

_PRODUCT_INDEX = {spec.sku: index for index, spec in enumerate(PRODUCTS)}
_ACTIVE, _EXPIRED = ContractStatus.ACTIVE, ContractStatus.EXPIRED


class Term(NamedTuple):
    """One contract of a subscription: product (index into `PRODUCTS`), seats, both dates
    inclusive, status and, when cancelled, the day and the reason."""

    product: int
    seats: int
    start_date: dt.date
    end_date: dt.date
    status: ContractStatus
    cancelled_on: dt.date | None = None


class _Weighted(NamedTuple):
    items: tuple[str, ...]
    cumulative: tuple[float, ...]


def _weighted(*, items: Sequence[str]) -> _Weighted:
    popularity = [PRODUCTS[_PRODUCT_INDEX[sku]].popularity for sku in items]
    return _Weighted(items=tuple(items), cumulative=tuple(accumulate(popularity)))


_ADD_ONS = {False: _weighted(items=ADD_ONS_LICENSED), True: _weighted(items=ADD_ONS_MANAGED)}
_PRIMARY_WEIGHTS = tuple(accumulate(weight for _, weight in PRIMARY_LICENSED))
_ADD_ON_COUNTS = tuple(accumulate(ADD_ON_COUNT_WEIGHTS))
_TERM_WEIGHTS = {
    kind: tuple(accumulate(weight for _, weight in options))
    for kind, options in TERM_MONTHS.items()
}


def months_later(*, day: dt.date, months: int) -> dt.date:
    """The same day of the month `months` later (or earlier), at most the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    following = dt.date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return dt.date(year, month + 1, min(day.day, (following - dt.timedelta(days=1)).day))


def products_choose(*, rng: random.Random, managed: bool) -> list[str]:
    """The SKUs a customer subscribes to: its endpoint protection and 0-3 distinct add-ons."""
    if managed:
        primary = PRIMARY_MANAGED
    else:
        primary = PRIMARY_LICENSED[weighted_index(rng=rng, cumulative=_PRIMARY_WEIGHTS)][0]
    add_ons = _ADD_ONS[managed]
    wanted = weighted_index(rng=rng, cumulative=_ADD_ON_COUNTS)
    chosen = [primary]
    while len(chosen) < 1 + wanted:
        sku = add_ons.items[weighted_index(rng=rng, cumulative=add_ons.cumulative)]
        if sku not in chosen:
            chosen.append(sku)
    return chosen


def seats_for(*, sku: str, workstations: float) -> int:
    """Seats for a customer of that size: per seat rounded as licences are bought (to 5, 10, 25
    or 50), 10-2,000; per server, host or site one per so many workstations, 1-40."""
    if sku in WORKSTATIONS_PER_UNIT:
        return max(1, min(MAX_UNITS, round(workstations / WORKSTATIONS_PER_UNIT[sku])))
    seats = workstations * SEAT_RATIOS[sku]
    step = 5 if seats < 50 else 10 if seats < 200 else 25 if seats < 1_000 else 50
    return max(MIN_SEATS, min(MAX_SEATS, step * round(seats / step)))


def subscriptions_draw(
    *, rng: random.Random, anchor: dt.date, workstations: float, managed: bool
) -> list[tuple[Term, ...]]:
    """Every subscription of one customer as its chain of terms, oldest first."""
    chains = []
    for sku in products_choose(rng=rng, managed=managed):
        kind = PRODUCTS[_PRODUCT_INDEX[sku]].kind
        months = TERM_MONTHS[kind][weighted_index(rng=rng, cumulative=_TERM_WEIGHTS[kind])][0]
        chains.append(
            chain_draw(rng=rng, anchor=anchor, sku=sku, workstations=workstations, months=months)
        )
    return chains


def chain_draw(
    *, rng: random.Random, anchor: dt.date, sku: str, workstations: float, months: int
) -> tuple[Term, ...]:
    """The terms of one subscription that end in the window or later.

    1. The first term in the window ends on a uniformly drawn day of the `months` months from a
       year before the anchor; it started `months` months earlier. For a new subscription it is
       skipped: the subscription begins the day after it would have ended.
    2. A term that ended before the anchor was renewed (maybe late, unless that lies after the
       anchor: then it is expired, a late renewal still to come) or lost (expired or cancelled).
    3. The term running at the anchor is active, renewed early (with its follow-up), or
       cancelled ahead of its end.
    """
    window_start = anchor - dt.timedelta(days=WINDOW_DAYS)
    span = (months_later(day=window_start, months=months) - window_start).days
    end = window_start + dt.timedelta(days=rng.randrange(span))
    start = months_later(day=end + dt.timedelta(days=1), months=-months)
    if end < anchor and rng.random() < NEW_CHANCE:
        start = end + dt.timedelta(days=1)
        end = months_later(day=start, months=months) - dt.timedelta(days=1)
    product, seats = _PRODUCT_INDEX[sku], seats_for(sku=sku, workstations=workstations)
    terms: list[Term] = []
    while end < anchor:
        next_start = _renewal_start(rng=rng, end=end)
        if next_start is None or next_start > anchor:
            terms.append(_lost(rng=rng, term=Term(product, seats, start, end, _EXPIRED)))
            return tuple(terms)
        terms.append(Term(product, seats, start, end, ContractStatus.RENEWED))
        start, end = next_start, months_later(day=next_start, months=months) - dt.timedelta(days=1)
        product, seats = _renewed_terms(rng=rng, product=product, seats=seats)
    current = Term(product, seats, start, end, _ACTIVE)
    terms.extend(_current(rng=rng, anchor=anchor, term=current, months=months))
    return tuple(terms)


def _renewal_start(*, rng: random.Random, end: dt.date) -> dt.date | None:
    """When the follow-up of a term that ended starts, or None when it was not renewed."""
    if rng.random() >= RENEWAL_CHANCE:
        return None
    late = rng.randint(*LATE_RENEWAL_DAYS) if rng.random() < LATE_RENEWAL_CHANCE else 0
    return end + dt.timedelta(days=1 + late)


def _lost(*, rng: random.Random, term: Term) -> Term:
    """A term that ended unrenewed: expired, or cancelled two weeks to four months before."""
    if rng.random() >= CANCELLED_SHARE_OF_LOST:
        return term
    cancelled = max(term.start_date, term.end_date - dt.timedelta(days=rng.randint(14, 120)))
    return term._replace(status=ContractStatus.CANCELLED, cancelled_on=cancelled)


def _current(*, rng: random.Random, anchor: dt.date, term: Term, months: int) -> list[Term]:
    """The term running at the anchor: renewed early (the closer its end, the likelier), or
    cancelled ahead, or active."""
    days_left = (term.end_date - anchor).days
    chance = EARLY_RENEWAL_TOP * (1 - days_left / EARLY_RENEWAL_DAYS)
    if days_left < EARLY_RENEWAL_DAYS and rng.random() < chance:
        start = term.end_date + dt.timedelta(days=1)
        product, seats = _renewed_terms(rng=rng, product=term.product, seats=term.seats)
        end = months_later(day=start, months=months) - dt.timedelta(days=1)
        follow_up = Term(product, seats, start, end, _ACTIVE)
        return [term._replace(status=ContractStatus.RENEWED), follow_up]
    if rng.random() < CANCELLED_AHEAD_CHANCE:
        running = (anchor - term.start_date).days
        cancelled = anchor - dt.timedelta(days=rng.randint(0, min(90, running)))
        return [term._replace(status=ContractStatus.CANCELLED, cancelled_on=cancelled)]
    return [term]


def _renewed_terms(*, rng: random.Random, product: int, seats: int) -> tuple[int, int]:
    """Product and seats of a follow-up: now and then an upgrade, seats moving with the
    customer (-10 % to +20 %)."""
    sku = PRODUCTS[product].sku
    if sku in UPGRADES and rng.random() < UPGRADE_CHANCE:
        sku = UPGRADES[sku]
    if sku in WORKSTATIONS_PER_UNIT:
        return _PRODUCT_INDEX[sku], max(1, min(MAX_UNITS, round(seats * rng.uniform(0.9, 1.2))))
    ratio = SEAT_RATIOS[sku]
    return _PRODUCT_INDEX[sku], seats_for(
        sku=sku, workstations=seats / ratio * rng.uniform(0.9, 1.2)
    )
