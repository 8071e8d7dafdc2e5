"""The training criterion (R7): at least N people with a valid completion of the required course
on the evaluation date, measured for all partners in one query, with a grace period."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channeldesk.catalog.models import Product
from channeldesk.tiers.criteria import KINDS, CriterionKindConflict, criterion_kind_register
from channeldesk.tiers.evaluation import tiers_evaluate
from channeldesk.tiers.models import TierCriterion, TierPolicy
from channeldesk.tiers.notices import held_back_by
from channeldesk.tiers.selectors import policy_get
from channeldesk.tiers.services import TierError, tier_policy_publish
from channeldesk.training.criteria import TRAINING_KIND
from channeldesk.training.models import EnrollmentStatus
from channeldesk.training.selectors import partners_blocked_by_training
from tests.factories import PartnerFactory
from tests.personas import Personas, sign_in
from tests.tiers.factories import AS_OF, buy, previous_tier
from tests.training.factories import (
    GOLD_COURSE,
    SILVER_COURSE,
    gold_buyer,
    period_start_before,
    record,
)

pytestmark = pytest.mark.django_db


def default() -> TierPolicy:
    return policy_get(reference="default")


def tier_of(partner_id: int, policy: TierPolicy | None = None) -> str:
    evaluation = tiers_evaluate(policy=policy or default(), as_of=AS_OF, partner_ids=[partner_id])
    return evaluation.decisions[0].tier


def test_a_gold_buyer_with_the_two_day_course_is_gold(enterprise: Product) -> None:
    partner = gold_buyer(enterprise)
    record(partner, course=GOLD_COURSE)

    assert tier_of(partner.pk) == "gold"


def test_a_gold_buyer_without_the_course_is_silver_and_told_which_course(
    enterprise: Product,
) -> None:
    # Given a partner meeting every order criterion of Gold, trained only for Silver,
    partner = gold_buyer(enterprise)
    record(partner, course=SILVER_COURSE)

    # when it is evaluated,
    decision = tiers_evaluate(policy=default(), as_of=AS_OF, partner_ids=[partner.pk]).decisions[0]

    # then it gets the tier it qualifies for, and the reasons name the missing course.
    assert decision.tier == "silver"
    training = [r.as_dict() for r in decision.reasons if r.kind == "training"]
    assert training == [
        {
            "tier": "gold",
            "criterion": "training",
            "measured": 0,
            "threshold": 1,
            "comparison": "at_least",
            "holds": False,
            "course": GOLD_COURSE,
        },
        {
            "tier": "silver",
            "criterion": "training",
            "measured": 1,
            "threshold": 1,
            "comparison": "at_least",
            "holds": True,
            "course": SILVER_COURSE,
        },
    ]
    assert [(e["tier"], e["course"]) for e in held_back_by(decision)] == [("gold", GOLD_COURSE)]


def test_the_two_day_course_also_qualifies_for_silver(enterprise: Product) -> None:
    partner = PartnerFactory()
    buy(partner, enterprise, times=2, amount=Decimal("6000.00"))
    record(partner, course=GOLD_COURSE)

    assert tier_of(partner.pk) == "silver"


@pytest.mark.parametrize(
    ("session_date", "counts"),
    [
        (AS_OF, True),  # attended on the evaluation date itself
        (AS_OF + dt.timedelta(days=1), False),  # not yet attended
        (dt.date(2024, 7, 2), True),  # valid until 2 July 2026: still valid on 1 July
        (dt.date(2024, 7, 1), False),  # valid until 1 July 2026 (exclusive): expired that day
    ],
)
def test_a_completion_counts_from_its_session_until_it_expires(
    enterprise: Product, session_date: dt.date, counts: bool
) -> None:
    partner = gold_buyer(enterprise)
    record(partner, course=GOLD_COURSE, session_date=session_date)

    assert tier_of(partner.pk) == ("gold" if counts else "authorized")


def test_no_shows_cancellations_and_bookings_do_not_count(enterprise: Product) -> None:
    partner = gold_buyer(enterprise)
    record(partner, status=EnrollmentStatus.NO_SHOW, person="a")
    record(partner, status=EnrollmentStatus.CANCELLED, person="b")
    record(partner, status=EnrollmentStatus.BOOKED, session_date=AS_OF + dt.timedelta(days=5))

    assert tier_of(partner.pk) == "authorized"


def test_the_number_of_people_is_configurable_and_a_person_counts_once(
    enterprise: Product,
) -> None:
    TierCriterion.objects.filter(tier__policy=default(), tier__code="gold", kind="training").update(
        threshold=Decimal(2)
    )
    partner = gold_buyer(enterprise)
    record(partner, session_date=dt.date(2025, 1, 10))
    record(partner, session_date=dt.date(2025, 9, 1))  # the same person again
    assert tier_of(partner.pk) == "silver"

    record(partner, person="max")

    assert tier_of(partner.pk) == "gold"


def test_an_existing_gold_partner_keeps_gold_while_a_booked_course_is_pending(
    enterprise: Product, settings: object
) -> None:
    # Given two partners whose orders qualify for Gold, both with the course only booked for
    # 20 days after the evaluation date; one of them is Gold today,
    holder, newcomer = gold_buyer(enterprise), gold_buyer(enterprise)
    previous_tier(holder, "gold")
    previous_tier(newcomer, "silver")
    for partner in (holder, newcomer):
        record(partner, status=EnrollmentStatus.BOOKED, session_date=AS_OF + dt.timedelta(days=20))

    # then each keeps the tier it holds, within the grace period (90 days by default): the
    # booked two-day course qualifies for Silver too, but does not lift Silver to Gold,
    assert tier_of(holder.pk) == "gold"
    assert tier_of(newcomer.pk) == "silver"
    # and not when the grace period is shorter than the wait.
    settings.TRAINING_GRACE_DAYS = 10  # type: ignore[attr-defined]
    assert tier_of(holder.pk) == "authorized"


def test_grace_days_can_be_set_per_criterion(enterprise: Product) -> None:
    holder = gold_buyer(enterprise)
    previous_tier(holder, "gold")
    record(holder, status=EnrollmentStatus.BOOKED, session_date=AS_OF + dt.timedelta(days=20))
    criterion = TierCriterion.objects.get(
        tier__policy=default(), tier__code="gold", kind="training"
    )
    criterion.parameters = {"course": GOLD_COURSE, "grace_days": 0}
    criterion.save()

    assert tier_of(holder.pk) == "authorized"


def test_all_partners_are_measured_in_one_query_for_all_training_criteria(
    enterprise: Product,
) -> None:
    for _ in range(5):
        record(gold_buyer(enterprise))
    compiled_queries = 4  # policy, tiers with criteria, partners, overrides ...
    with CaptureQueriesContext(connection) as few:
        tiers_evaluate(policy=default(), as_of=AS_OF)
    for _ in range(20):
        record(gold_buyer(enterprise))
    with CaptureQueriesContext(connection) as many:
        evaluation = tiers_evaluate(policy=default(), as_of=AS_OF)

    assert len(many) == len(few) > compiled_queries
    assert evaluation.counts()["gold"] == 25


def test_the_back_office_sees_partners_blocked_only_by_training(enterprise: Product) -> None:
    blocked = gold_buyer(enterprise, partner_number="P-BLOCKED")
    record(blocked, course=SILVER_COURSE)
    record(gold_buyer(enterprise, partner_number="P-TRAINED"), course=GOLD_COURSE)
    PartnerFactory(partner_number="P-NOTHING")

    result = partners_blocked_by_training(policy=default(), as_of=AS_OF)

    assert {course: [p.partner_number for p in rows] for course, rows in result.items()} == {
        GOLD_COURSE: ["P-BLOCKED"],
    }
    assert result[GOLD_COURSE][0].tier == "silver"


def test_a_policy_naming_an_unknown_course_cannot_be_published() -> None:
    TierCriterion.objects.filter(tier__policy=default(), kind="training").update(
        parameters={"course": "NO-SUCH"}
    )

    with pytest.raises(TierError, match="course 'NO-SUCH', which does not exist"):
        tier_policy_publish(policy=default(), effective_from=AS_OF)


def test_the_training_kind_is_registered_once_and_cannot_be_taken_over() -> None:
    criterion_kind_register(TRAINING_KIND)  # a second ready() is harmless

    other = TRAINING_KIND.__class__(**{**TRAINING_KIND.__dict__, "unit": "persons"})
    with pytest.raises(CriterionKindConflict):
        criterion_kind_register(other)
    assert KINDS["training"] is TRAINING_KIND


def test_the_back_office_page_lists_them_per_course(
    enterprise: Product, personas: Personas
) -> None:
    today = timezone.localdate()
    blocked = gold_buyer(enterprise, partner_number="P-BLOCKED", start=period_start_before(today))
    record(blocked, course=SILVER_COURSE, session_date=today - dt.timedelta(days=30))
    client = Client()
    sign_in(client, personas.staff)

    response = client.get("/backoffice/training/", {"policy": default().reference})

    assert response.status_code == 200
    text = response.content.decode()
    assert GOLD_COURSE in text
    assert "P-BLOCKED" in text
    sign_in(client, personas.partner_a_user)
    assert client.get("/backoffice/training/").status_code == 403
