"""The demo's training records: most former Gold partners trained, some not, idempotent; under
`default` some partners whose orders qualify for Gold are held back by the missing course."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from channeldesk.commands.demo.population import plan_make, population_build
from channeldesk.commands.demo.training import demo_training_load
from channeldesk.tiers.selectors import policy_get
from channeldesk.training.models import Enrollment, EnrollmentStatus, Participant
from channeldesk.training.selectors import partners_blocked_by_training
from tests.demo.factories import ANCHOR
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db


def test_most_former_gold_partners_are_trained_and_a_second_load_adds_nothing() -> None:
    # Given the register of a demo plan (without its orders: the records do not depend on them),
    plan = plan_make(seed=7, partners=940, order_lines=None, today=ANCHOR)
    population = population_build(plan=plan)
    ids = [PartnerFactory(partner_number=plan.partner_number(i)).pk for i in range(plan.partners)]
    lines: list[str] = []

    # when the training demo is loaded twice,
    demo_training_load(plan=plan, write=lines.append)
    records = sorted(Enrollment.objects.values_list("record_id", "status", "valid_until"))
    demo_training_load(plan=plan, write=lines.append)

    # then most, not all, former Gold partners hold a valid two-day completion,
    gold = {ids[i] for i in range(plan.partners) if population.is_gold[i]}
    trained = set(
        Enrollment.objects.filter(
            status=EnrollmentStatus.COMPLETED,
            course__code="CD-GOLD-2D",
            session_date__lte=ANCHOR,
            valid_until__gt=ANCHOR,
            partner_id__in=gold,
        ).values_list("partner_id", flat=True)
    )
    assert 0.7 * len(gold) <= len(trained) < len(gold)
    # there are no-shows and pending bookings too,
    statuses = set(Enrollment.objects.values_list("status", flat=True))
    assert {EnrollmentStatus.NO_SHOW, EnrollmentStatus.BOOKED} <= statuses
    # and the second load added nothing.
    assert sorted(Enrollment.objects.values_list("record_id", "status", "valid_until")) == records
    assert lines[2].startswith("Training: 0 records")
    assert Participant.objects.count() == len({r.participant_id for r in Enrollment.objects.all()})


def test_training_is_a_real_factor_under_the_default_policy() -> None:
    call_command(
        "demo",
        "load",
        "--reminder-days",
        "0",
        *("--seed", "7", "--partners", "94", "--today", ANCHOR.isoformat(), "--no-users"),
        stdout=StringIO(),
        verbosity=0,
    )

    blocked = partners_blocked_by_training(policy=policy_get(reference="default"), as_of=ANCHOR)

    assert sum(len(partners) for partners in blocked.values()) >= 3
