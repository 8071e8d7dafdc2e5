"""Builders of the demo tests: the day every demo ends on, and the core demo loaded."""

import datetime as dt
from io import StringIO

from django.core.management import call_command

# Every demo in these tests ends on this day: the evaluation half-year is H2 2025, the revenue
# window the calendar year 2025.
ANCHOR = dt.date(2026, 5, 20)


def load(*arguments: str) -> str:
    """`demo load` of the core data: partners, orders, customers, contracts (and training).

    The reminder replay has tests of its own (test_demo_reminders.py), and so have the
    licensing and usage demos (tests/licensing, tests/usage, and the whole load in
    test_load.py): they are left out here.
    """
    out = StringIO()
    call_command(
        "demo",
        "load",
        "--reminder-days",
        "0",
        "--without",
        "licensing",
        "--without",
        "usage",
        *arguments,
        stdout=out,
        verbosity=0,
    )
    return out.getvalue()
