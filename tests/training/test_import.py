"""`channeldesk import training FILE`: the training company's records, whole or not at all."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from channeldesk.catalog.models import Product
from channeldesk.core.importing import import_file
from channeldesk.tiers.models import TierAssignment, TierNotice, TierPolicy
from channeldesk.tiers.selectors import tier_current
from channeldesk.training.imports import TRAINING_IMPORTER
from channeldesk.training.models import Enrollment, EnrollmentStatus, Participant
from tests.factories import PartnerFactory
from tests.tiers.factories import previous_tier
from tests.training.factories import GOLD_COURSE, gold_buyer_evaluated_on

pytestmark = pytest.mark.django_db

HEADER = (
    "record_id,partner_number,course_code,participant_name,participant_email,session_date,status"
)


def run(text: str, *, name: str = "training.csv", dry_run: bool = False):  # type: ignore[no-untyped-def]
    return import_file(
        importer=TRAINING_IMPORTER,
        source=[line.encode() for line in text.splitlines(keepends=True)],
        file_name=name,
        dry_run=dry_run,
    )


def snapshot() -> list[tuple[object, ...]]:
    return list(
        Enrollment.objects.order_by("record_id").values_list(
            "record_id", "partner__partner_number", "participant__email", "status", "valid_until"
        )
    )


def test_records_are_imported_with_their_participants_and_validity() -> None:
    PartnerFactory(partner_number="P-1")
    PartnerFactory(partner_number="P-2")
    text = (
        f"{HEADER}\n"
        "NA-1,P-1,CD-GOLD-2D,Erika Muster,Erika@p1.example,2025-03-31,attended\n"
        "NA-2,P-1,CD-SILVER-HD,Erika Muster,erika@p1.example,2026-01-15,completed\n"
        "NA-3,P-2,CD-GOLD-2D,Max Beispiel,max@p2.example,2026-09-01,booked\n"
    )

    report = run(text)

    assert report.accepted, report.problems
    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert snapshot() == [
        ("NA-1", "P-1", "erika@p1.example", "completed", dt.date(2027, 3, 31)),
        ("NA-2", "P-1", "erika@p1.example", "completed", dt.date(2028, 1, 15)),
        ("NA-3", "P-2", "max@p2.example", "booked", None),
    ]
    assert Participant.objects.count() == 2


def test_the_same_records_sent_twice_count_once() -> None:
    PartnerFactory(partner_number="P-1")
    text = f"{HEADER}\nNA-1,P-1,CD-GOLD-2D,Erika Muster,erika@p1.example,2025-03-31,completed\n"
    run(text)
    before = snapshot()

    report = run(text)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 1)
    assert snapshot() == before


def test_a_german_excel_file_is_read() -> None:
    PartnerFactory(partner_number="P-1")
    text = (
        "Record ID;Partner Number;Course Code;Participant Name;Participant Email;"
        "Session Date;Status\n"
        "NA-1;P-1;CD-GOLD-2D;Jörg Weiß;joerg@p1.example;31.03.2025;Completed\n"
    )

    report = run(text)

    assert report.accepted, report.problems
    assert Enrollment.objects.get().session_date == dt.date(2025, 3, 31)
    assert Participant.objects.get().name == "Jörg Weiß"


def test_a_file_with_problems_is_rejected_whole_with_every_problem() -> None:
    PartnerFactory(partner_number="P-1")
    text = (
        f"{HEADER}\n"
        "NA-1,P-1,CD-GOLD-2D,Erika,erika@p1.example,2025-03-31,completed\n"
        "NA-1,P-1,CD-GOLD-2D,Erika,erika@p1.example,2025-03-31,completed\n"
        "NA-2,P-404,CD-GOLD-2D,Erika,erika@p1.example,2025-03-31,completed\n"
        "NA-3,P-1,NO-COURSE,Erika,erika@p1.example,2025-03-31,completed\n"
        "NA-4,P-1,CD-GOLD-2D,Erika,erika@p1.example,31.02.2025,completed\n"
        "NA-5,P-1,CD-GOLD-2D,Erika,not-an-address,2025-03-31,completed\n"
        "NA-6,P-1,CD-GOLD-2D,Erika,erika@p1.example,2099-01-01,completed\n"
        "NA-7,P-1,CD-GOLD-2D,Erika,erika@p1.example,2025-03-31,passed with honours\n"
    )

    report = run(text)

    assert not report.accepted
    assert [(p.row, p.column) for p in report.problems] == [
        (3, "record_id"),
        (4, "partner_number"),
        (5, "course_code"),
        (6, "session_date"),
        (7, "participant_email"),
        (8, "session_date"),
        (9, "status"),
    ]
    assert "unknown partner number P-404" in report.problems[1].reason
    assert "not a valid calendar date" in report.problems[3].reason
    assert "cannot lie in the future" in report.problems[5].reason
    assert Enrollment.objects.count() == 0
    assert Participant.objects.count() == 0


def test_a_dry_run_checks_and_writes_nothing() -> None:
    PartnerFactory(partner_number="P-1")
    text = f"{HEADER}\nNA-1,P-1,CD-GOLD-2D,Erika,erika@p1.example,2025-03-31,completed\n"

    report = run(text, dry_run=True)

    assert report.accepted
    assert report.created == 1
    assert Enrollment.objects.count() == 0


def test_a_completion_lifts_the_partner_and_a_no_show_correction_drops_it_again(
    enterprise: Product, published: TierPolicy
) -> None:
    # Given a Silver partner whose orders qualify for Gold, under the published `default`,
    today = timezone.localdate()
    partner = gold_buyer_evaluated_on(enterprise, today, partner_number="P-1")
    previous_tier(partner, "silver")

    # when the training company reports its completion (a session eight months ago, well within
    # the course's validity), the partner is Gold from today,
    session = (today - dt.timedelta(days=240)).isoformat()
    run(f"{HEADER}\nNA-1,P-1,CD-GOLD-2D,Erika,erika@p1.example,{session},completed\n")
    assert tier_current(partner=partner, on=today).tier_code == "gold"  # type: ignore[union-attr]

    # and when it corrects the record to a no-show (the same file twice),
    correction = f"{HEADER}\nNA-1,P-1,CD-GOLD-2D,Erika,erika@p1.example,{session},no_show\n"
    first, second = run(correction), run(correction)

    # then the record is corrected once, today's tier is corrected in place, the planned Gold
    # notice is cancelled and one notice of the real change is planned.
    assert (first.updated, second.updated, second.unchanged) == (1, 0, 1)
    assert Enrollment.objects.get().status == EnrollmentStatus.NO_SHOW
    assert tier_current(partner=partner, on=today).tier_code == "authorized"  # type: ignore[union-attr]
    assert TierAssignment.objects.filter(partner=partner).count() == 2
    assert sorted(
        TierNotice.objects.filter(partner=partner).values_list(
            "previous_tier__code", "tier__code", "direction", "status"
        )
    ) == [
        ("silver", "authorized", "down", "planned"),
        ("silver", "gold", "up", "cancelled"),
    ]


def test_the_command_imports_and_refuses_with_file_row_and_column(tmp_path: Path) -> None:
    PartnerFactory(partner_number="P-1")
    good = tmp_path / "good.csv"
    good.write_text(f"{HEADER}\nNA-1,P-1,CD-GOLD-2D,Erika,erika@p1.example,2025-03-31,completed\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(f"{HEADER}\nNA-2,P-9,CD-GOLD-2D,Erika,erika@p1.example,2025-03-31,completed\n")

    call_command("import", "training", str(good))
    with pytest.raises(CommandError, match="rejected with 1 problem"):
        call_command("import", "training", str(bad))

    assert list(Enrollment.objects.values_list("record_id", flat=True)) == ["NA-1"]
    assert GOLD_COURSE in Enrollment.objects.get().course.code
