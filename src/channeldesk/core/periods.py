"""Calendar periods for evaluations. A period is half-open: start <= day < end.

Dates are business dates in Europe/Berlin; an order dated 30 June belongs to the first half-year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class PeriodKind(StrEnum):
    QUARTER = "quarter"
    HALF_YEAR = "half_year"
    YEAR = "year"


MONTHS_PER_KIND = {PeriodKind.QUARTER: 3, PeriodKind.HALF_YEAR: 6, PeriodKind.YEAR: 12}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # exclusive

    def __contains__(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.start <= day < self.end

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def label(self) -> str:
        return f"{self.start.isoformat()}..{self.last_day.isoformat()}"


def add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after (or before, if negative) the month of `day`."""
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def last_complete_period(before: dt.date, kind: PeriodKind = PeriodKind.HALF_YEAR) -> Period:
    """The last complete calendar period that ends on or before `before`.

    For half-years: on 2026-07-01 that is 2026-01-01..2026-06-30; on 2026-06-30 it is the second
    half of 2025.
    """
    size = MONTHS_PER_KIND[PeriodKind(kind)]
    month_index = before.year * 12 + before.month - 1
    start_of_current = month_index - (month_index % 12) % size
    end = dt.date(start_of_current // 12, start_of_current % 12 + 1, 1)
    return Period(start=add_months(end, -size), end=end)


def months_ending(end: dt.date, months: int) -> Period:
    """The `months` whole months that end just before `end` (which must be a first of month)."""
    return Period(start=add_months(end, -months), end=end)
