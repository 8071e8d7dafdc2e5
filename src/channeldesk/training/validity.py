"""How long a completion stays valid (R7)."""

from __future__ import annotations

import calendar
import datetime as dt

from channeldesk.training.models import Course, EnrollmentStatus


def months_after(day: dt.date, months: int) -> dt.date:
    """The same day `months` later; the month's last day when it is shorter (31 Jan + 1 → 28/29
    Feb)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def valid_until(*, session_date: dt.date, status: str, course: Course) -> dt.date | None:
    """A completion is valid for the course's validity months from the session (exclusive end)."""
    if status != EnrollmentStatus.COMPLETED:
        return None
    return months_after(session_date, course.validity_months)
