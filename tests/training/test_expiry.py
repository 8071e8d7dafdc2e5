"""The daily training sweep: expiring completions announced 60 days ahead, exactly once, and
partners re-tiered when a completion expired."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from channeldesk.catalog.models import Product
from channeldesk.notifications.models import OutboxMessage
from channeldesk.tiers.models import TierAssignment, TierPolicy
from channeldesk.tiers.selectors import tier_current
from channeldesk.tiers.services import tiers_apply
from channeldesk.training.services import training_sweep
from channeldesk.training.validity import months_after
from tests.factories import PartnerFactory
from tests.tiers.factories import previous_tier
from tests.training.factories import GOLD_COURSE, gold_buyer_evaluated_on, record

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 9, 1)


def test_a_completion_expiring_within_60_days_is_announced_once() -> None:
    # Given completions valid until 31 Oct 2026 (announced), 1 Nov (61 days: not yet), and one
    # renewed by a later completion of the same person,
    partner = PartnerFactory(partner_number="P-1", language="de")
    due = record(partner, session_date=dt.date(2024, 10, 31), person="erika")
    record(partner, session_date=dt.date(2024, 11, 1), person="max")
    record(partner, session_date=dt.date(2024, 10, 20), person="jan")
    record(partner, session_date=dt.date(2026, 8, 1), person="jan")

    # when the sweep runs twice,
    first = training_sweep(today=TODAY)
    second = training_sweep(today=TODAY)

    # then one e-mail went out, in the partner's language, naming person, course and last day.
    assert (first.expiry_notices, second.expiry_notices) == (1, 0)
    message = OutboxMessage.objects.get()
    assert message.idempotency_key == f"training-expiry:{due.pk}"
    assert message.to == ["p-1@example.com"]
    assert message.language == "de"
    assert "Erika" in message.subject
    assert "30. Oktober 2026" in message.subject
    due.refresh_from_db()
    assert due.expiry_notified_on == TODAY


def test_a_partner_without_an_address_is_marked_but_gets_no_email() -> None:
    partner = PartnerFactory(email="")
    record(partner, session_date=dt.date(2024, 10, 1))

    result = training_sweep(today=TODAY)

    assert (result.expiry_notices, result.without_email) == (0, 1)
    assert OutboxMessage.objects.count() == 0


# On 29 February no 24-month completion expires (28 February 2026 + 24 months is 28 February
# 2028): the test runs on an ordinary day.
@pytest.mark.today("2026-12-07")
def test_a_partner_whose_completion_expired_is_re_tiered_by_the_sweep(
    enterprise: Product, published: TierPolicy
) -> None:
    # Given a Gold partner (under `default`) whose only completion expires today,
    today = timezone.localdate()
    partner = gold_buyer_evaluated_on(enterprise, today)
    previous_tier(partner, "silver")
    record(partner, course=GOLD_COURSE, session_date=months_after(today, -24))
    tiers_apply(policy=published, as_of=today - dt.timedelta(days=1))
    assert tier_current(partner=partner, on=today - dt.timedelta(days=1)).tier_code == "gold"  # type: ignore[union-attr]

    # when the sweep runs (twice),
    training_sweep(today=today)
    training_sweep(today=today)

    # then the partner is in the entry tier from today (the course qualified it for Silver too),
    # recorded once.
    current = tier_current(partner=partner, on=today)
    assert current is not None
    assert current.tier_code == "authorized"
    assert current.valid_from == today
    assert TierAssignment.objects.filter(partner=partner).count() == 3
