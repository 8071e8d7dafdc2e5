"""Fixtures of the demo tests."""

import datetime as dt

import pytest
from pytest_django.fixtures import Settings

# Every demo in these tests ends on this day: the evaluation half-year is H2 2025, the revenue
# window the calendar year 2025.
ANCHOR = dt.date(2026, 5, 20)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings: Settings) -> None:
    """The demo creates logins; real hashing is deliberately slow and proves nothing here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
