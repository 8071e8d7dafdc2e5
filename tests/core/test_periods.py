import datetime as dt
from decimal import Decimal

import pytest

from channeldesk.core.money import money_round, net_after_discount, percent_of
from channeldesk.core.periods import Period, PeriodKind, last_complete_period, months_ending


@pytest.mark.parametrize(
    ("before", "start", "end"),
    [
        (dt.date(2026, 7, 1), dt.date(2026, 1, 1), dt.date(2026, 7, 1)),
        (dt.date(2026, 12, 31), dt.date(2026, 1, 1), dt.date(2026, 7, 1)),
        (dt.date(2026, 6, 30), dt.date(2025, 7, 1), dt.date(2026, 1, 1)),
        (dt.date(2026, 1, 1), dt.date(2025, 7, 1), dt.date(2026, 1, 1)),
    ],
)
def test_last_complete_half_year(before: dt.date, start: dt.date, end: dt.date) -> None:
    assert last_complete_period(before, PeriodKind.HALF_YEAR) == Period(start, end)


def test_order_on_30_june_belongs_to_first_half_year() -> None:
    first_half = last_complete_period(dt.date(2026, 7, 1))
    assert dt.date(2026, 6, 30) in first_half
    assert dt.date(2026, 7, 1) not in first_half
    assert first_half.last_day == dt.date(2026, 6, 30)


def test_quarter_and_year_periods() -> None:
    assert last_complete_period(dt.date(2026, 5, 10), PeriodKind.QUARTER) == Period(
        dt.date(2026, 1, 1), dt.date(2026, 4, 1)
    )
    assert last_complete_period(dt.date(2026, 5, 10), PeriodKind.YEAR) == Period(
        dt.date(2025, 1, 1), dt.date(2026, 1, 1)
    )


def test_twelve_months_ending_with_the_half_year() -> None:
    assert months_ending(dt.date(2026, 7, 1), 12) == Period(
        dt.date(2025, 7, 1), dt.date(2026, 7, 1)
    )


def test_money_rounds_half_up_to_the_cent() -> None:
    assert money_round(Decimal("0.005")) == Decimal("0.01")
    assert money_round(Decimal("2.675")) == Decimal("2.68")
    assert percent_of(Decimal("99.99"), Decimal(35)) == Decimal("35.00")
    assert net_after_discount(Decimal("1234.50"), Decimal(20)) == Decimal("987.60")
