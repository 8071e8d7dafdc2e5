"""Rating and closing: user-days and user-months priced with the tier of the usage day,
statements issued once, late events and voids billed as adjustments next month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from channeldesk.tiers.models import TierAssignment
from channeldesk.usage.closing import period_close, period_rate, periods_close_due
from channeldesk.usage.ingest import usage_events_ingest
from channeldesk.usage.models import (
    BillingUnit,
    LineKind,
    RatingResult,
    Statement,
    StatementLine,
    Subscription,
)
from channeldesk.usage.services import UsageError
from tests.personas import Personas
from tests.tiers.factories import previous_tier
from tests.usage.factories import (
    after_grace,
    at,
    event,
    metered_contract,
    service_product,
)

pytestmark = pytest.mark.django_db
OCTOBER = dt.date(2026, 10, 1)
NOVEMBER = dt.date(2026, 11, 1)


def _lines(statement: Statement) -> list[tuple[object, ...]]:
    return list(
        StatementLine.objects.filter(statement=statement)
        .order_by("position")
        .values_list("usage_month", "is_adjustment", "units", "discount_percent", "net_amount")
    )


def test_user_days_count_each_user_once_per_day(subscription: Subscription) -> None:
    # u1 three times on the 1st, u2 on the 1st and 2nd, u1 on the 3rd: 4 user-days.
    usage_events_ingest(
        events=[
            event("e1", "u1", at(1, 8)),
            event("e2", "u1", at(1, 9)),
            event("e3", "u1", at(1, 23)),
            event("e4", "u2", at(1)),
            event("e5", "u2", at(2)),
            event("e6", "u1", at(3)),
        ]
    )

    result = period_close(month=OCTOBER, now=after_grace())

    statement = Statement.objects.get()
    assert (result.statements, result.lines) == (1, 1)
    assert statement.number == "US-2026-10-A-1000"
    # 4 user-days at 0.50 € = 2.00 €, less Silver's 25 % = 1.50 €.
    assert _lines(statement) == [(OCTOBER, False, Decimal("4"), Decimal("25"), Decimal("1.50"))]
    assert (statement.list_total, statement.net_total) == (Decimal("2.00"), Decimal("1.50"))


def test_tier_change_mid_month_splits_the_month(
    subscription: Subscription, personas: Personas
) -> None:
    silver = TierAssignment.objects.get(partner=personas.partner_a)
    silver.valid_to = dt.date(2026, 10, 16)
    silver.save()
    previous_tier(personas.partner_a, "gold", valid_from=dt.date(2026, 10, 16), source="evaluation")
    usage_events_ingest(events=[event(f"e{d}", "u1", at(d)) for d in range(10, 21)])

    period_close(month=OCTOBER, now=after_grace())

    lines = StatementLine.objects.order_by("first_day").values_list(
        "tier_code", "units", "first_day", "last_day", "net_amount"
    )
    assert list(lines) == [
        ("silver", Decimal("6"), dt.date(2026, 10, 10), dt.date(2026, 10, 15), Decimal("2.25")),
        ("gold", Decimal("5"), dt.date(2026, 10, 16), dt.date(2026, 10, 20), Decimal("1.75")),
    ]


def test_user_month_counts_a_user_once_and_prorates_by_contract_days(
    personas: Personas,
) -> None:
    TierAssignment.objects.all().delete()
    product = service_product("MSS-MAIL", unit=BillingUnit.USER_MONTH, prorate=True, price="3.10")
    metered_contract(personas.partner_a, key="SUB-M", product=product, start=dt.date(2026, 10, 22))
    usage_events_ingest(
        events=[event(f"e{i}", f"u{i % 3}", at(22 + i % 9), key="SUB-M") for i in range(30)]
    )

    period_close(month=OCTOBER, now=after_grace())

    # 3 users × 10/31 of a month (22–31 October) = 0.9677 user-months; no tier: list price.
    line = StatementLine.objects.get()
    assert (line.units, line.discount_percent) == (Decimal("0.9677"), Decimal("0"))
    assert line.net_amount == Decimal("3.00")


def test_minimum_commitment_tops_up_a_short_month(personas: Personas) -> None:
    metered_contract(personas.partner_a, key="SUB-MIN", minimum_units=Decimal("10"))
    usage_events_ingest(events=[event("e1", "u1", at(1), key="SUB-MIN")])

    period_close(month=OCTOBER, now=after_grace())

    assert list(StatementLine.objects.order_by("position").values_list("line_kind", "units")) == [
        (LineKind.USAGE, Decimal("1")),
        (LineKind.COMMITMENT, Decimal("9")),
    ]


def test_rating_an_open_month_twice_gives_the_same_result(subscription: Subscription) -> None:
    usage_events_ingest(events=[event(f"e{i}", f"u{i}", at(1 + i % 7)) for i in range(40)])

    first = period_rate(month=OCTOBER)
    rows = list(RatingResult.objects.values_list("units", "net_amount", "first_day", "last_day"))
    second = period_rate(month=OCTOBER)

    assert (first.lines, first.units, first.net_total) == (
        second.lines,
        second.units,
        second.net_total,
    )
    assert (
        list(RatingResult.objects.values_list("units", "net_amount", "first_day", "last_day"))
        == rows
    )
    assert first.units == Decimal("40")


def test_close_is_refused_in_the_grace_period_and_changes_nothing(
    subscription: Subscription,
) -> None:
    usage_events_ingest(events=[event("e1", "u1", at(1))])

    with pytest.raises(UsageError) as refused:
        period_close(month=OCTOBER, now=at(3, month=11))

    assert refused.value.code == "grace_period"
    assert Statement.objects.count() == 0


def test_months_close_in_order(subscription: Subscription) -> None:
    period_close(month=dt.date(2026, 8, 1), now=after_grace())

    with pytest.raises(UsageError) as refused:
        period_close(month=OCTOBER, now=after_grace())

    assert refused.value.code == "earlier_month_open"


def test_closing_twice_issues_one_statement(subscription: Subscription) -> None:
    usage_events_ingest(events=[event("e1", "u1", at(1))])
    first = period_close(month=OCTOBER, now=after_grace())
    before = list(Statement.objects.values())

    again = period_close(month=OCTOBER, now=after_grace())

    assert (first.closed_now, again.closed_now) == (True, False)
    assert list(Statement.objects.values()) == before
    with pytest.raises(UsageError):
        period_rate(month=OCTOBER)


def test_late_event_and_void_become_adjustments_next_month(subscription: Subscription) -> None:
    usage_events_ingest(events=[event("e1", "u1", at(1)), event("e2", "u2", at(2))])
    period_close(month=OCTOBER, now=after_grace())

    usage_events_ingest(
        events=[
            event("e3", "u3", at(5)),  # late: October is closed
            event("v1", "", at(6, month=11), kind="void", target="e2"),  # voids a billed one
            event("e4", "u1", at(6, month=11)),  # November's own usage
        ]
    )
    period_close(month=NOVEMBER, now=after_grace(month=11))

    november = Statement.objects.get(period=NOVEMBER)
    # The late user-day and the voided one cancel out in units: one adjustment line of 0 units
    # would hide both, so they are the same key and net to nothing; November has its own line.
    assert _lines(november) == [(NOVEMBER, False, Decimal("1"), Decimal("25"), Decimal("0.38"))]


def test_late_event_is_billed_as_adjustment_referencing_its_month(
    subscription: Subscription,
) -> None:
    usage_events_ingest(events=[event("e1", "u1", at(1))])
    period_close(month=OCTOBER, now=after_grace())
    october_before = list(Statement.objects.values())

    usage_events_ingest(events=[event("e2", "u2", at(2)), event("e3", "u3", at(3))])
    periods_close_due(now=after_grace(month=11))

    november = Statement.objects.get(period=NOVEMBER)
    assert _lines(november) == [(OCTOBER, True, Decimal("2"), Decimal("25"), Decimal("0.75"))]
    assert list(Statement.objects.filter(period=OCTOBER).values()) == october_before


def test_void_of_a_billed_event_is_a_credit(subscription: Subscription) -> None:
    usage_events_ingest(events=[event("e1", "u1", at(1)), event("e2", "u2", at(1))])
    period_close(month=OCTOBER, now=after_grace())

    usage_events_ingest(events=[event("v1", "", at(2, month=11), kind="void", target="e2")])
    period_close(month=NOVEMBER, now=after_grace(month=11))

    november = Statement.objects.get(period=NOVEMBER)
    assert _lines(november) == [(OCTOBER, True, Decimal("-1"), Decimal("25"), Decimal("-0.37"))]
    assert november.net_total == Decimal("-0.37")


def test_customer_moving_mid_month_splits_the_month_between_partners(
    subscription: Subscription, personas: Personas
) -> None:
    from channeldesk.contracts.models import CustomerAssignment

    span = CustomerAssignment.objects.get(customer=subscription.contract.customer)
    span.valid_to = dt.date(2026, 10, 11)
    span.save()
    CustomerAssignment.objects.create(
        customer=subscription.contract.customer,
        partner=personas.partner_b,
        valid_from=dt.date(2026, 10, 11),
    )
    usage_events_ingest(events=[event(f"e{d}", "u1", at(d)) for d in range(8, 14)])

    period_close(month=OCTOBER, now=after_grace())

    # A (Silver, 25 %) is billed 8–10 October, B (Gold, 30 %) 11–13 October.
    assert sorted(
        Statement.objects.values_list("partner__partner_number", "lines__units", "net_total")
    ) == [("A-1000", Decimal("3"), Decimal("1.13")), ("B-2000", Decimal("3"), Decimal("1.05"))]


def test_an_adjustment_replaces_the_event_it_corrects(subscription: Subscription) -> None:
    usage_events_ingest(
        events=[
            event("e1", "u1", at(1)),
            event("e2", "u2", at(1)),
            # The platform sent e2 for the wrong user: it was u1 again, on the 2nd.
            event("a1", "u1", at(2), kind="adjust", target="e2"),
        ]
    )

    summary = period_rate(month=OCTOBER)

    # u1 on the 1st and on the 2nd; u2 never.
    assert summary.units == Decimal("2")


def test_user_months_without_proration_count_each_user_once(personas: Personas) -> None:
    product = service_product("MSS-SOC", unit=BillingUnit.USER_MONTH, price="6.90")
    metered_contract(personas.partner_a, key="SUB-SOC", product=product)
    usage_events_ingest(
        events=[event(f"e{i}", f"u{i % 4}", at(1 + i), key="SUB-SOC") for i in range(20)]
    )

    summary = period_rate(month=OCTOBER)

    # 4 users × 6.90 €; partner A has no tier in this test, so no discount.
    assert (summary.units, summary.net_total) == (Decimal("4"), Decimal("27.60"))
