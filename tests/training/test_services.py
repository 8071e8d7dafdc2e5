"""Corrections by hand, and what the tiers ask of a partner in training (the portal's read)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from channeldesk.catalog.models import Product
from channeldesk.tiers.models import TierNotice, TierPolicy
from channeldesk.tiers.selectors import tier_current
from channeldesk.training.models import Enrollment, EnrollmentStatus
from channeldesk.training.selectors import (
    partner_training,
    training_needs,
    training_requirements,
)
from channeldesk.training.services import TrainingError, enrollment_correct
from tests.factories import PartnerFactory
from tests.tiers.factories import AS_OF, previous_tier
from tests.training.factories import (
    GOLD_COURSE,
    SILVER_COURSE,
    gold_buyer,
    gold_buyer_evaluated_on,
    record,
)

pytestmark = pytest.mark.django_db


def test_a_no_show_corrected_by_hand_re_tiers_the_partner_once(
    enterprise: Product, published: TierPolicy
) -> None:
    today = timezone.localdate()
    partner = gold_buyer_evaluated_on(enterprise, today)
    previous_tier(partner, "gold")
    completion = record(partner, course=GOLD_COURSE, record_id="NA-1")

    enrollment_correct(record_id="NA-1", status=EnrollmentStatus.NO_SHOW)
    enrollment_correct(record_id="NA-1", status=EnrollmentStatus.NO_SHOW)

    completion.refresh_from_db()
    assert (completion.status, completion.valid_until) == (EnrollmentStatus.NO_SHOW, None)
    current = tier_current(partner=partner, on=today)
    assert current is not None
    assert current.tier_code == "authorized"
    assert list(TierNotice.objects.values_list("tier__code", "direction")) == [
        ("authorized", "down")
    ]


@pytest.mark.parametrize(
    ("record_id", "status", "message"),
    [
        ("NA-404", EnrollmentStatus.NO_SHOW, "no training record 'NA-404'"),
        ("NA-1", "passed-ish", "not a status"),
        ("NA-FUTURE", EnrollmentStatus.COMPLETED, "cannot be completed yet"),
    ],
)
def test_a_correction_that_cannot_be_made_is_refused_and_changes_nothing(
    record_id: str, status: str, message: str
) -> None:
    partner = PartnerFactory()
    record(partner, record_id="NA-1")
    record(
        partner,
        record_id="NA-FUTURE",
        status=EnrollmentStatus.BOOKED,
        session_date=timezone.localdate() + dt.timedelta(days=3),
        person="max",
    )
    before = list(Enrollment.objects.order_by("id").values_list("status", "valid_until"))

    with pytest.raises(TrainingError, match=message):
        enrollment_correct(record_id=record_id, status=status)

    assert list(Enrollment.objects.order_by("id").values_list("status", "valid_until")) == before


def test_the_partner_sees_what_each_tier_asks_and_its_people(
    enterprise: Product, published: TierPolicy
) -> None:
    partner = gold_buyer(enterprise)
    record(partner, course=SILVER_COURSE, session_date=dt.date(2025, 5, 1))
    record(partner, status=EnrollmentStatus.NO_SHOW, person="max")

    requirements = training_requirements(partner=partner, on=AS_OF, policy=published)
    people = partner_training(partner=partner, on=AS_OF)

    assert [
        (r.tier, r.course_code, r.people_required, r.people_counted, r.holds) for r in requirements
    ] == [("gold", GOLD_COURSE, 1, 0, False), ("silver", SILVER_COURSE, 1, 1, True)]
    assert requirements[0].course_name_de == "Gold-Partner-Schulung (2 Tage)"
    assert [(p.participant_name, p.status, p.valid_until, p.is_valid) for p in people] == [
        ("Max", "no_show", None, False),
        ("Erika", "completed", dt.date(2027, 5, 1), True),
    ]


def test_a_partner_without_records_is_told_what_each_tier_of_the_programme_in_force_needs(
    enterprise: Product, published: TierPolicy
) -> None:
    # Given a Gold-level buyer none of whose people has a training record,
    partner = gold_buyer(enterprise)

    # when the portal asks what the programmes it reads need in training,
    needs = training_needs(partner=partner, on=AS_OF)

    # then it learns, per tier of `default` (in force), the course by name and who is missing.
    assert [
        (
            need.policy.code,
            need.tier_name_for("de"),
            need.course_name_for("de"),
            need.requirement.people_counted,
            need.people_missing,
        )
        for need in needs
    ] == [
        ("default", "Gold-Partner", "Gold-Partner-Schulung (2 Tage)", 0, 1),
        ("default", "Silber-Partner", "Silber-Partner-Schulung (halbtägig)", 0, 1),
    ]
    assert needs[1].tier_name_for("en") == "Silver Partner"
    assert needs[1].course_name_for("en") == "Silver partner training (half a day)"


def test_a_programme_without_training_criteria_needs_no_training(db: None) -> None:
    # Given only `previous` in force (no training criterion) and the `default` draft closed,
    partner = PartnerFactory()

    # then nothing is asked of the partner in training.
    assert training_needs(partner=partner, on=AS_OF) == []
