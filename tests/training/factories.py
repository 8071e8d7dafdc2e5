"""Builders of the training tests: records of the training company, and a partner whose orders
qualify for Gold under `default` (evaluated as of 1 July 2026, see tests/tiers/factories.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from channeldesk.catalog.models import Product
from channeldesk.core.periods import last_complete_period
from channeldesk.partners.models import Partner
from channeldesk.training.models import Course, Enrollment, EnrollmentStatus, Participant
from channeldesk.training.validity import valid_until
from tests.factories import PartnerFactory
from tests.tiers.factories import buy

GOLD_COURSE = "CD-GOLD-2D"
SILVER_COURSE = "CD-SILVER-HD"


def record(
    partner: Partner,
    *,
    course: str = GOLD_COURSE,
    session_date: dt.date = dt.date(2025, 9, 1),
    status: str = EnrollmentStatus.COMPLETED,
    person: str = "erika",
    record_id: str | None = None,
) -> Enrollment:
    """One record of the training company for one person of the partner."""
    participant, _ = Participant.objects.get_or_create(
        partner=partner,
        email=f"{person}@{partner.partner_number.lower()}.example",
        defaults={"name": person.title()},
    )
    course_row = Course.objects.get(code=course)
    return Enrollment.objects.create(
        record_id=record_id or f"R-{partner.partner_number}-{person}-{course}-{session_date}",
        partner=partner,
        participant=participant,
        course=course_row,
        session_date=session_date,
        status=status,
        valid_until=valid_until(session_date=session_date, status=status, course=course_row),
    )


def gold_buyer(
    product: Product, *, start: dt.date = dt.date(2026, 1, 10), **fields: object
) -> Partner:
    """A partner whose orders meet every order criterion of Gold in `default`: five orders of
    12,000 € from `start` (by default in H1 2026, the period evaluated as of 1 July 2026)."""
    partner = PartnerFactory(**fields)
    buy(partner, product, times=5, amount=Decimal("12000.00"), start=start)
    return partner


def period_start_before(day: dt.date) -> dt.date:
    """The first day of the half-year evaluated on `day` (for tests that re-tier today)."""
    return last_complete_period(day).start


def gold_buyer_evaluated_on(product: Product, day: dt.date, **fields: object) -> Partner:
    """A `gold_buyer` whose orders fall in the half-year evaluated on `day` (from its fifth
    day), for tests that re-tier on that day."""
    return gold_buyer(product, start=period_start_before(day) + dt.timedelta(days=5), **fields)
