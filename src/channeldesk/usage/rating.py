"""Rating: a month of usage events turned into priced lines, counted in SQL.

1. The database counts: per subscription and day the distinct users that count (user-day), or
   per subscription the day each user was first seen in the month (user-month). An event counts
   unless it is a void or a correction names it. Only a few rows per subscription and day come
   back, however many events there are.
2. Each count is attributed to the partner who looked after the customer on that day (the
   contract's selling partner when nobody did) and priced with that partner's tier discount in
   force on that day, so a tier or partner change in the middle of a month splits the month.
3. Counts with the same partner, tier, discount and price form one line. A user-month of a
   prorated product counts (days the contract is in force in the month) / (days in the month).
4. A subscription with a minimum commitment whose units fall short gets a commitment line for
   the rest, priced on the last day of the month the contract is in force.

Rounding: units to 4 places (prorated user-months), amounts per line half up to the cent.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q

from channeldesk.contracts.models import CustomerAssignment
from channeldesk.core.database import transaction_settings
from channeldesk.core.money import money_round, net_after_discount
from channeldesk.core.periods import add_months
from channeldesk.tiers.models import TierAssignment
from channeldesk.usage.models import (
    BillingUnit,
    EventKind,
    LineKind,
    Subscription,
    UsageEvent,
)

UNIT_PLACES = Decimal("0.0001")
ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LineKey:
    """What makes two rated amounts the same line: billed and re-rated amounts are matched on it."""

    subscription_id: int
    partner_id: int
    line_kind: str
    tier_code: str
    discount_percent: Decimal
    unit_price: Decimal


@dataclass(slots=True)
class RatedLine:
    """A priced line of one subscription's month."""

    key: LineKey
    month: dt.date
    contract_id: int
    customer_id: int
    billing_unit: str
    units: Decimal
    first_day: dt.date
    last_day: dt.date

    @property
    def list_amount(self) -> Decimal:
        return money_round(self.units * self.key.unit_price)

    @property
    def net_amount(self) -> Decimal:
        return net_after_discount(self.list_amount, self.key.discount_percent)

    def figures(self) -> dict[str, Any]:
        """What every stored form of the line (rating result, statement line) takes from it: the
        units, both amounts and the days they span."""
        return {
            "units": self.units,
            "list_amount": self.list_amount,
            "net_amount": self.net_amount,
            "first_day": self.first_day,
            "last_day": self.last_day,
        }


@dataclass(frozen=True, slots=True)
class _Span:
    valid_from: dt.date
    valid_to: dt.date | None
    value: tuple[object, ...]

    def holds_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day < self.valid_to)


@dataclass
class _Timeline:
    """Spans per owner id, answering "what held on that day" without a query per day."""

    spans: dict[int, list[_Span]] = field(default_factory=lambda: defaultdict(list))

    def on(self, owner_id: int, day: dt.date) -> tuple[object, ...] | None:
        for span in self.spans.get(owner_id, ()):
            if span.holds_on(day):
                return span.value
        return None


@dataclass(frozen=True, slots=True)
class _Terms:
    subscription_id: int
    contract_id: int
    customer_id: int
    selling_partner_id: int
    start_date: dt.date
    end_date: dt.date
    billing_unit: str
    prorate: bool
    unit_price: Decimal
    minimum_units: Decimal | None


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first day of `month` and the first day of the next month."""
    first = month.replace(day=1)
    return first, add_months(first, 1)


def month_rate(
    *, month: dt.date, subscription_ids: Collection[int] | None = None
) -> list[RatedLine]:
    """The priced lines of a month, for all subscriptions or the given ones (see module doc)."""
    start, end = month_bounds(month)
    terms = _terms(start=start, end=end, subscription_ids=subscription_ids)
    if not terms:
        return []
    day_counts = _user_day_counts(start=start, end=end, terms=terms)
    first_days = _user_month_counts(start=start, end=end, terms=terms)
    partners = _partner_timeline(customer_ids={term.customer_id for term in terms.values()})
    partner_ids = {term.selling_partner_id for term in terms.values()} | {
        int(span.value[0])  # type: ignore[call-overload]
        for spans in partners.spans.values()
        for span in spans
    }
    tiers = _tier_timeline(partner_ids=partner_ids, start=start, end=end)
    pricer = _Pricer(month=start, terms=terms, partners=partners, tiers=tiers)
    for subscription_id, day, users in day_counts:
        pricer.add(subscription_id, day, Fraction(users))
    for subscription_id, day, users in first_days:
        term = terms[subscription_id]
        pricer.add(subscription_id, day, _user_months(term, start, end, users))
    pricer.add_commitments(start=start, end=end)
    return pricer.lines()


def _terms(
    *, start: dt.date, end: dt.date, subscription_ids: Collection[int] | None
) -> dict[int, _Terms]:
    subscriptions = Subscription.objects.filter(
        contract__start_date__lt=end,
        contract__end_date__gte=start,
        contract__product__usage_terms__isnull=False,
    )
    if subscription_ids is not None:
        subscriptions = subscriptions.filter(pk__in=list(subscription_ids))
    rows = subscriptions.values_list(
        "pk",
        "contract_id",
        "contract__customer_id",
        "contract__partner_id",
        "contract__start_date",
        "contract__end_date",
        "contract__product__usage_terms__billing_unit",
        "contract__product__usage_terms__prorate",
        "contract__product__list_price",
        "minimum_units",
    )
    return {row[0]: _Terms(*row) for row in rows}


def _counted_events(*, start: dt.date, end: dt.date, unit: str, terms: dict[int, _Terms]) -> str:
    """The SQL of the events that count in [start, end) for subscriptions billed per `unit`."""
    del start, end  # passed as parameters by the callers
    events = UsageEvent._meta.db_table
    ids = [term.subscription_id for term in terms.values() if term.billing_unit == unit]
    id_list = ",".join(str(int(pk)) for pk in ids) or "NULL"
    return (
        f"SELECT e.subscription_id, e.usage_date, e.user_key FROM {events} e "  # noqa: S608 - table names and integer ids, no input
        f"WHERE e.usage_date >= %s AND e.usage_date < %s AND e.kind <> '{EventKind.VOID}' "
        f"AND e.subscription_id IN ({id_list}) "
        f"AND NOT EXISTS (SELECT 1 FROM {events} c WHERE c.subscription_id = e.subscription_id "
        f"AND c.target_event_id = e.event_id)"
    )


def _user_day_counts(
    *, start: dt.date, end: dt.date, terms: dict[int, _Terms]
) -> list[tuple[int, dt.date, int]]:
    """(subscription, day, distinct users) for the user-day subscriptions."""
    if not any(term.billing_unit == BillingUnit.USER_DAY for term in terms.values()):
        return []
    counted = _counted_events(start=start, end=end, unit=BillingUnit.USER_DAY, terms=terms)
    if connection.vendor == "postgresql":
        # One row per user with a bit per day seen (100,000 groups for 100,000 users, rather
        # than one per user and day), then the bits counted per day: a much smaller hash.
        sql = (
            f"SELECT u.subscription_id, %s::date + d.day, COUNT(*) FROM "  # noqa: S608
            f"(SELECT subscription_id, bit_or(1::bigint << (usage_date - %s::date)) AS days "
            f"FROM ({counted}) counted GROUP BY subscription_id, user_key) u "
            f"JOIN generate_series(0, 30) AS d(day) ON (u.days >> d.day) & 1 = 1 "
            f"GROUP BY u.subscription_id, d.day"
        )
        return _fetch(sql, [start, start, start, end])
    sql = (
        f"SELECT subscription_id, usage_date, COUNT(*) FROM "  # noqa: S608
        f"(SELECT DISTINCT subscription_id, usage_date, user_key FROM ({counted}) counted) days "
        f"GROUP BY subscription_id, usage_date"
    )
    return _fetch(sql, [start, end])


def _user_month_counts(
    *, start: dt.date, end: dt.date, terms: dict[int, _Terms]
) -> list[tuple[int, dt.date, int]]:
    """(subscription, first day seen, users first seen that day) for the user-month ones."""
    if not any(term.billing_unit == BillingUnit.USER_MONTH for term in terms.values()):
        return []
    counted = _counted_events(start=start, end=end, unit=BillingUnit.USER_MONTH, terms=terms)
    sql = (
        f"SELECT subscription_id, first_day, COUNT(*) FROM "  # noqa: S608 - table names and integer ids, no input
        f"(SELECT subscription_id, user_key, MIN(usage_date) AS first_day FROM ({counted}) counted "
        f"GROUP BY subscription_id, user_key) users GROUP BY subscription_id, first_day"
    )
    return _fetch(sql, [start, end])


def _fetch(sql: str, params: list[Any]) -> list[tuple[int, dt.date, int]]:
    with transaction.atomic(), connection.cursor() as cursor:
        # A month of events is hashed in memory rather than sorted on disk; JIT compiling this
        # one query costs seconds and saves less than it costs.
        transaction_settings(work_mem=settings.USAGE_RATING_WORK_MEM, jit="off")
        cursor.execute(sql, params)
        return [(row[0], _as_date(row[1]), int(row[2])) for row in cursor.fetchall()]


def _as_date(value: object) -> dt.date:
    # SQLite answers dates inside a derived table as text.
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _user_months(term: _Terms, start: dt.date, end: dt.date, users: int) -> Fraction:
    """Units of `users` user-months: whole, or prorated by the contract's days in the month."""
    if not term.prorate:
        return Fraction(users)
    first = max(start, term.start_date)
    last = min(end - dt.timedelta(days=1), term.end_date)
    return Fraction(((last - first).days + 1) * users, (end - start).days)


def _partner_timeline(*, customer_ids: Iterable[int]) -> _Timeline:
    timeline = _Timeline()
    spans = CustomerAssignment.objects.filter(customer_id__in=list(customer_ids)).values_list(
        "customer_id", "valid_from", "valid_to", "partner_id"
    )
    for customer_id, valid_from, valid_to, partner_id in spans:
        timeline.spans[customer_id].append(_Span(valid_from, valid_to, (partner_id,)))
    return timeline


def _tier_timeline(*, partner_ids: Iterable[int], start: dt.date, end: dt.date) -> _Timeline:
    timeline = _Timeline()
    spans = (
        TierAssignment.objects.filter(partner_id__in=list(partner_ids), valid_from__lt=end)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=start))
        .values_list("partner_id", "valid_from", "valid_to", "tier__code", "tier__discount_percent")
    )
    for partner_id, valid_from, valid_to, code, discount in spans:
        timeline.spans[partner_id].append(_Span(valid_from, valid_to, (code, discount)))
    return timeline


class _Pricer:
    """Collects units per line key (steps 2 to 4 of the module doc)."""

    def __init__(
        self, *, month: dt.date, terms: dict[int, _Terms], partners: _Timeline, tiers: _Timeline
    ) -> None:
        self.month = month
        self.terms = terms
        self.partners = partners
        self.tiers = tiers
        self._lines: dict[LineKey, RatedLine] = {}
        # Units are summed exactly (prorated user-months are fractions), rounded once per line.
        self._units: dict[LineKey, Fraction] = defaultdict(Fraction)

    def add(
        self, subscription_id: int, day: dt.date, units: Fraction, kind: str = LineKind.USAGE
    ) -> None:
        term = self.terms[subscription_id]
        key = self._key(term, day, kind)
        self._units[key] += units
        line = self._lines.get(key)
        if line is None:
            self._lines[key] = RatedLine(
                key=key,
                month=self.month,
                contract_id=term.contract_id,
                customer_id=term.customer_id,
                billing_unit=term.billing_unit,
                units=ZERO,
                first_day=day,
                last_day=day,
            )
            return
        line.first_day = min(line.first_day, day)
        line.last_day = max(line.last_day, day)

    def _key(self, term: _Terms, day: dt.date, kind: str) -> LineKey:
        partner = self.partners.on(term.customer_id, day)
        partner_id = int(partner[0]) if partner else term.selling_partner_id  # type: ignore[call-overload]
        tier = self.tiers.on(partner_id, day)
        # A partner without a tier (suspended, never tiered) is billed at list price.
        code, discount = (str(tier[0]), Decimal(str(tier[1]))) if tier else ("", ZERO)
        return LineKey(
            subscription_id=term.subscription_id,
            partner_id=partner_id,
            line_kind=kind,
            tier_code=code,
            discount_percent=discount,
            unit_price=term.unit_price,
        )

    def add_commitments(self, *, start: dt.date, end: dt.date) -> None:
        used: dict[int, Fraction] = defaultdict(Fraction)
        for key, units in self._units.items():
            used[key.subscription_id] += units
        for term in self.terms.values():
            if term.minimum_units is None:
                continue
            shortfall = Fraction(term.minimum_units) - used[term.subscription_id]
            if shortfall > 0:
                last_day = min(end - dt.timedelta(days=1), term.end_date)
                self.add(term.subscription_id, last_day, shortfall, LineKind.COMMITMENT)

    def lines(self) -> list[RatedLine]:
        for key, line in self._lines.items():
            units = self._units[key]
            line.units = (Decimal(units.numerator) / Decimal(units.denominator)).quantize(
                UNIT_PLACES
            )
        return sorted(
            self._lines.values(),
            key=lambda line: (line.key.subscription_id, line.key.line_kind, line.first_day),
        )


def counted_user_days(
    *, month: dt.date, subscription_ids: Collection[int]
) -> Iterable[tuple[int, dt.date, str, int]]:
    """The evidence of a month: (subscription, day, user key, events) for every user-day that
    counted, in that order; streamed in chunks, never the whole month in memory."""
    start, end = month_bounds(month)
    events = UsageEvent._meta.db_table
    id_list = ",".join(str(int(pk)) for pk in subscription_ids) or "NULL"
    sql = (
        f"SELECT e.subscription_id, e.usage_date, e.user_key, COUNT(*) FROM {events} e "  # noqa: S608 - table names and integer ids, no input
        f"WHERE e.usage_date >= %s AND e.usage_date < %s AND e.kind <> '{EventKind.VOID}' "
        f"AND e.subscription_id IN ({id_list}) "
        f"AND NOT EXISTS (SELECT 1 FROM {events} c WHERE c.subscription_id = e.subscription_id "
        f"AND c.target_event_id = e.event_id) "
        f"GROUP BY e.subscription_id, e.usage_date, e.user_key "
        f"ORDER BY e.subscription_id, e.usage_date, e.user_key"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [start, end])
        while rows := cursor.fetchmany(5000):
            for row in rows:
                yield row[0], _as_date(row[1]), row[2], int(row[3])
