"""Property tests over random event streams with duplicates, late arrivals and voids.

Whatever the order and timing in which a fixed set of events arrives (some before a month is
closed, some after, some twice), the lines billed for each month over all statements add up to
exactly what an independent count of the final events gives: no event billed twice, none
lost, totals to the cent, and every statement's lines add up to its total.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import defaultdict
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from channeldesk.core.money import money_round, net_after_discount
from channeldesk.usage.closing import period_close
from channeldesk.usage.events import EventInput
from channeldesk.usage.ingest import usage_events_ingest
from channeldesk.usage.models import (
    RatingResult,
    RerateRequest,
    Statement,
    StatementLine,
    Subscription,
    UsageEvent,
    UsagePeriod,
)
from tests.usage.factories import after_grace, at, event

pytestmark = pytest.mark.django_db
MONTHS = (dt.date(2026, 9, 1), dt.date(2026, 10, 1))
PRICE, DISCOUNT = Decimal("0.50"), Decimal("25")
# Each example closes six months; PostgreSQL's closes (a lock, more round trips) cost more.
EXAMPLES = 12 if os.environ.get("DATABASE_URL", "").startswith("postgres") else 30

usage_event = st.tuples(
    st.integers(min_value=0, max_value=5),  # user
    st.sampled_from([9, 10]),  # month
    st.integers(min_value=1, max_value=4),  # day
    st.integers(min_value=0, max_value=23),  # hour
)
stream = st.lists(usage_event, min_size=1, max_size=30).flatmap(
    lambda events: st.tuples(
        st.just(events),
        st.sets(st.integers(min_value=0, max_value=len(events) - 1), max_size=5),  # voided
        st.lists(
            st.integers(min_value=0, max_value=2),
            min_size=len(events) + 5,
            max_size=len(events) + 5,
        ),  # arrival phase of each event and void
        st.lists(st.integers(min_value=0, max_value=len(events) + 4), max_size=8),  # re-sent
        st.randoms(use_true_random=False),
    )
)


def _events(events: list[tuple[int, int, int, int]], voided: set[int]) -> list[EventInput]:
    items = [
        event(f"e{index}", f"u{user}", at(day, hour, month=month))
        for index, (user, month, day, hour) in enumerate(events)
    ]
    items += [
        event(f"v{index}", "", at(5, month=11), kind="void", target=f"e{index}")
        for index in sorted(voided)
    ]
    return items


def _expected(events: list[tuple[int, int, int, int]], voided: set[int]) -> dict[dt.date, tuple]:
    days: dict[dt.date, set[tuple[int, int]]] = defaultdict(set)
    for index, (user, month, day, _hour) in enumerate(events):
        if index not in voided:
            days[dt.date(2026, month, 1)].add((user, day))
    result = {}
    for month in MONTHS:
        units = Decimal(len(days[month]))
        result[month] = (units, net_after_discount(money_round(units * PRICE), DISCOUNT))
    return result


def _billed() -> dict[dt.date, tuple]:
    totals: dict[dt.date, tuple[Decimal, Decimal]] = {m: (Decimal(0), Decimal(0)) for m in MONTHS}
    for month, units, net in StatementLine.objects.values_list(
        "usage_month", "units", "net_amount"
    ):
        before = totals[month]
        totals[month] = (before[0] + units, before[1] + net)
    return totals


def _reset() -> None:
    StatementLine.objects.all().delete()
    Statement.objects.all().delete()
    for model in (UsageEvent, UsagePeriod, RerateRequest, RatingResult):
        model.objects.all().delete()


def _deliver(items: list[EventInput], phases: list[int], resent: list[int], rng) -> None:
    """Phase 0 before September closes, 1 before October closes, 2 before November closes."""
    arrivals: dict[int, list[EventInput]] = defaultdict(list)
    for index, item in enumerate(items):
        arrivals[phases[index]].append(item)
    for index in resent:
        if index < len(items):
            arrivals[max(phases[index], rng.randrange(3))].append(items[index])
    for phase, month in enumerate((9, 10, 11)):
        batch = arrivals[phase]
        rng.shuffle(batch)
        usage_events_ingest(events=batch, now=after_grace(month=11))
        period_close(month=dt.date(2026, month, 1), now=after_grace(month=month))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(stream)
def test_every_event_is_billed_exactly_once_whatever_the_arrival(
    subscription: Subscription, data: tuple
) -> None:
    events, voided, phases, resent, rng = data
    items = _events(events, voided)
    expected = _expected(events, voided)

    _reset()
    _deliver(items, phases, resent, rng)
    first = _billed()
    _reset()
    _deliver(list(reversed(items)), list(reversed(phases[: len(items)])), [], rng)
    second = _billed()

    assert first == expected
    assert second == expected
    for statement in Statement.objects.all():
        lines = StatementLine.objects.filter(statement=statement)
        assert sum(lines.values_list("net_amount", flat=True)) == statement.net_total
        assert sum(lines.values_list("list_amount", flat=True)) == statement.list_total
