"""Tier-change notices: planned with the change, exactly once, sent as letter and e-mail."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from channeldesk.catalog.models import Product
from channeldesk.documents.models import Document
from channeldesk.notifications.models import OutboxMessage
from channeldesk.tiers.models import NoticeStatus, TierNotice, TierPolicy
from channeldesk.tiers.notice_texts import notice_text
from channeldesk.tiers.notices import tier_notices_send
from channeldesk.tiers.selectors import policy_get
from channeldesk.tiers.services import tier_override_create, tier_policy_publish, tiers_apply
from channeldesk.training.models import Course, Enrollment, EnrollmentStatus, Participant
from tests.factories import PartnerFactory
from tests.tiers.factories import AS_OF, buy, previous_tier

# Applied on 1 August 2027, when the evaluation half-year (January – June 2027) has ended, for a
# policy that takes effect a month later, so the notice period shows.
pytestmark = [pytest.mark.django_db, pytest.mark.today("2027-07-01")]

EFFECTIVE = dt.date(2027, 8, 1)


@pytest.fixture
def published() -> TierPolicy:
    return tier_policy_publish(policy=policy_get(reference="default"), effective_from=EFFECTIVE)


def notices() -> list[tuple[object, ...]]:
    return list(
        TierNotice.objects.order_by("partner__partner_number").values_list(
            "partner__partner_number", "previous_tier__code", "tier__code", "direction", "status"
        )
    )


def test_applying_a_policy_plans_one_notice_per_change_and_none_twice(
    published: TierPolicy, enterprise: Product
) -> None:
    # Given a former Gold partner who ordered nothing, a Silver one who now qualifies for Gold,
    # a Silver one who stays Silver, and a new partner without a tier before,
    down, up, same = (PartnerFactory(partner_number=n) for n in ("P-DOWN", "P-UP", "P-SAME"))
    PartnerFactory(partner_number="P-NEW")
    previous_tier(down, "gold")
    previous_tier(up, "silver")
    previous_tier(same, "silver")
    buy(up, enterprise, times=5, amount=Decimal("12000.00"), start=dt.date(2027, 1, 10))
    buy(same, enterprise, times=2, amount=Decimal("6000.00"), start=dt.date(2027, 1, 10))

    # when the policy is applied, and applied again,
    first = tiers_apply(policy=published)
    second = tiers_apply(policy=published)

    # then each change has one notice (Silver 25 % → Silver 25 %: no change, no notice),
    assert (first.notices, second.notices) == (2, 0)
    assert notices() == [
        ("P-DOWN", "gold", "authorized", "down", "planned"),
        ("P-UP", "silver", "gold", "up", "planned"),
    ]
    # sent 30 days before the change takes effect.
    assert set(TierNotice.objects.values_list("send_on", flat=True)) == {
        EFFECTIVE - dt.timedelta(days=30)
    }


def test_the_notice_period_is_configurable_and_a_late_change_is_announced_at_once(
    published: TierPolicy, settings: object
) -> None:
    settings.TIER_NOTICE_DAYS_BEFORE = 10  # type: ignore[attr-defined]
    partner = PartnerFactory()
    previous_tier(partner, "gold")
    tiers_apply(policy=published)
    assert TierNotice.objects.get().send_on == EFFECTIVE - dt.timedelta(days=10)

    late = PartnerFactory()
    previous_tier(late, "gold")
    tier_override_create(
        partner=late, tier_code="silver", reason="Pilot", valid_from=timezone.localdate()
    )

    assert TierNotice.objects.get(partner=late).send_on == timezone.localdate()


def test_the_same_override_twice_gives_one_notice() -> None:
    partner = PartnerFactory()
    previous_tier(partner, "silver")
    today = timezone.localdate()

    for _ in range(2):
        tier_override_create(
            partner=partner, tier_code="gold", reason="Key account", valid_from=today
        )

    assert notices() == [(partner.partner_number, "silver", "gold", "up", "planned")]


def test_sending_stores_one_letter_and_one_email_however_often_it_runs(
    published: TierPolicy,
) -> None:
    partner = PartnerFactory(partner_number="P-1", name="Alpha Systemhaus GmbH", language="de")
    previous_tier(partner, "gold")
    tiers_apply(policy=published)
    send_on = EFFECTIVE - dt.timedelta(days=30)

    early = tier_notices_send(today=send_on - dt.timedelta(days=1))
    first = tier_notices_send(today=send_on)
    again = tier_notices_send(today=send_on)

    assert (early.sent, first.sent, again.sent) == (0, 1, 0)
    notice = TierNotice.objects.get()
    assert notice.status == NoticeStatus.SENT
    document = Document.objects.get()
    assert (document.kind, document.reference, document.key) == (
        "tier_notice",
        "P-1",
        f"tier-notice:{notice.pk}",
    )
    message = OutboxMessage.objects.get()
    assert message.idempotency_key == f"tier-notice:{notice.pk}:email"
    assert message.to == ["p-1@example.com"]
    assert message.subject == "Ihre Partnerstufe ab 1. August 2027: Autorisierter Partner"
    assert message.attachments.count() == 1


def test_a_down_notice_says_what_would_bring_the_tier_back_in_german(
    published: TierPolicy, enterprise: Product
) -> None:
    partner = PartnerFactory(name="Alpha Systemhaus GmbH", language="de")
    previous_tier(partner, "gold")
    buy(partner, enterprise, times=3, amount=Decimal("5000.00"), start=dt.date(2027, 1, 10))
    tiers_apply(policy=published)

    text = notice_text(TierNotice.objects.get())

    assert text.subject == "Ihre Partnerstufe ab 1. August 2027: Silber-Partner"
    assert text.paragraphs[0] == (
        "ab dem 1. August 2027 ist Alpha Systemhaus GmbH in der Partnerstufe Silber-Partner "
        "(bisher: Gold-Partner)."
    )
    assert text.paragraphs[1] == (
        "Partnerstufe: Silber-Partner\n"
        "Gültig ab: 1. August 2027\n"
        "Rabatt: 25\u00a0% (bisher 30\u00a0%)\n"
        "Support-Hotline: 030 12345620\n"
        "Erreichbarkeit: Mo–Fr 8–18 Uhr\n"
        "Rückruf innerhalb von 120 Minuten"
    )
    assert text.paragraphs[2] == (
        "Diese Voraussetzungen der Stufe Gold-Partner waren im Bewertungszeitraum nicht erfüllt:\n"
        "– mindestens 4 Bestellungen im Bewertungszeitraum (erreicht: 3)\n"
        "– mindestens 50.000,00\u00a0€ Nettoumsatz in 12 Monaten (erreicht: 15.000,00\u00a0€)"
    )


def test_a_partner_held_back_by_training_is_told_the_course_in_english(
    with_training: None, enterprise: Product
) -> None:
    # Given a Silver partner whose orders qualify for Gold, trained only for Silver,
    published = tier_policy_publish(
        policy=policy_get(reference="default"), effective_from=EFFECTIVE
    )
    partner = PartnerFactory(name="Beta IT-Service KG", language="en")
    previous_tier(partner, "silver")
    buy(partner, enterprise, times=5, amount=Decimal("12000.00"), start=dt.date(2027, 1, 10))
    participant = Participant.objects.create(partner=partner, name="Bea", email="bea@b.example")
    Enrollment.objects.create(
        record_id="NA-1",
        partner=partner,
        participant=participant,
        course=Course.objects.get(code="CD-SILVER-HD"),
        session_date=dt.date(2027, 2, 1),
        status=EnrollmentStatus.COMPLETED,
        valid_until=dt.date(2029, 2, 1),
    )

    # when the policy is applied,
    tiers_apply(policy=published)

    # then it stays Silver under the new policy and is told which course to book.
    notice = TierNotice.objects.get()
    assert (notice.previous_tier.code, notice.tier.code, notice.direction) == (
        "silver",
        "silver",
        "held_back",
    )
    text = notice_text(notice)
    assert text.subject == "Your partner tier from 1 August 2027: still Silver Partner"
    assert "Support hotline: +49 30 12345620" in text.paragraphs[1]
    assert text.paragraphs[2] == (
        "Missing for Gold Partner:\n"
        "– the course “Gold partner training (two days)” (course CD-GOLD-2D) for at least 1 "
        "person (reached: 0)"
    )
    assert text.paragraphs[3].startswith("Please book the course named above")


def test_a_first_tier_is_no_change_and_gets_no_notice(published: TierPolicy) -> None:
    PartnerFactory()

    result = tiers_apply(policy=published)

    assert (result.created, result.notices) == (1, 0)
    assert TierNotice.objects.count() == 0


def test_an_unchanged_partner_under_the_policy_in_force_gets_nothing(
    enterprise: Product,
) -> None:
    policy = tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)
    partner = PartnerFactory()
    previous_tier(partner, "gold")
    tiers_apply(policy=policy, as_of=AS_OF)
    tiers_apply(policy=policy, as_of=AS_OF + dt.timedelta(days=10))

    assert notices() == [(partner.partner_number, "gold", "authorized", "down", "planned")]


def test_the_command_sends_the_due_notices(published: TierPolicy) -> None:
    partner = PartnerFactory(email="")
    previous_tier(partner, "gold")
    tiers_apply(policy=published)
    out = StringIO()

    call_command("tiers", "notices", "--date", "2027-07-02", "--format", "json", stdout=out)

    assert '"sent": 1' in out.getvalue()
    assert f'"without_email": ["{partner.partner_number}"]' in out.getvalue()
    assert Document.objects.count() == 1
    assert OutboxMessage.objects.count() == 0


def test_the_command_shows_progress_while_it_sends_round_by_round(
    published: TierPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    from contextlib import contextmanager

    from channeldesk.commands.management.commands import tiers as command

    # Given three partners whose tier changes, and rounds of one notice
    for number in ("P-1", "P-2", "P-3"):
        previous_tier(PartnerFactory(partner_number=number, email=""), "gold")
    tiers_apply(policy=published)
    bars: list[tuple[str, int | None, list[int]]] = []

    @contextmanager
    def recording_bar(description: str, *, total: int | None):  # type: ignore[no-untyped-def]
        steps: list[int] = []
        bars.append((description, total, steps))
        yield steps.append

    monkeypatch.setattr(command, "progress_bar", recording_bar)
    monkeypatch.setattr(command, "NOTICES_PER_ROUND", 1)
    out = StringIO()

    # When the due notices are sent
    call_command("tiers", "notices", "--date", "2027-07-02", "--format", "json", stdout=out)

    # Then one bar counted all three, one by one, and all were sent
    assert bars == [("tier notices", 3, [1, 1, 1])]
    assert '"sent": 3' in out.getvalue()
    assert TierNotice.objects.filter(status=NoticeStatus.SENT).count() == 3
