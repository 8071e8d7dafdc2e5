"""Fixtures of the demo tests."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from pytest_django.fixtures import Settings

# Every demo in these tests ends on this day: the evaluation half-year is H2 2025, the revenue
# window the calendar year 2025.
ANCHOR = dt.date(2026, 5, 20)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    """The demo creates logins; real hashing is deliberately slow and proves nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
