"""What the partner reads, in German and in English, and texts vendor staff write themselves."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from channeldesk.contracts.models import ReminderRule
from channeldesk.contracts.reminders.dispatch import reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.notifications.models import OutboxMessage
from channeldesk.tiers.models import Tier
from tests.contracts.reminders_world import (
    ADVANCE_DAY,
    AFTER_DAY,
    LETTER_DAY,
    PLAN_DAY,
    partner_alpha,
    reminder_of,
    world,
)
from tests.tiers.factories import previous_tier

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"
# The support hotlines of the default tiers (tiers migrations), as the partner dials them.
SILVER_HOTLINE_EN = (
    "Your partner hotline answers your questions about the renewal on +49 30 12345620 "
    "(Mon–Fri 08:00–18:00)."
)
# A partner without a tier is given the entry tier's line of the policy in force (silver).
ENTRY_HOTLINE_EN = SILVER_HOTLINE_EN


def message_of(template: str) -> OutboxMessage:
    return OutboxMessage.objects.get(idempotency_key=reminder_of("V-1", template).key)


def test_the_german_partner_gets_the_advance_notice_with_a_quote_in_german() -> None:
    previous_tier(world().partner, "gold")
    reminders_plan(today=PLAN_DAY)

    reminders_dispatch(today=ADVANCE_DAY)

    message = message_of("partner_advance_notice")
    assert (message.language, message.subject) == (
        "de",
        "Ihr Kunde Müller Maschinenbau GmbH erhält in 15 Tagen ein Verlängerungsschreiben",
    )
    assert message.text_body == (
        "Guten Tag,\n\n"
        "der Vertrag V-1 Ihres Kunden Müller Maschinenbau GmbH (K-1) über 25 Arbeitsplätze für "
        "ChannelDesk Enterprise endet am 31. Dezember 2026. Am 16. November 2026 schicken wir "
        "Ihrem Kunden ein Schreiben, das an die Verlängerung erinnert und Sie als "
        "Ansprechpartner nennt.\n\n"
        f"Ihr Angebot für die Verlängerung zu Ihrem aktuellen Partnerrabatt (Gold-Partner, "
        f"30{NBSP}%):\n"
        f"Listenpreis: 2.500,00{NBSP}€\n"
        f"Ihr Preis: 1.750,00{NBSP}€ netto\n\n"
        "Sprechen Sie Ihren Kunden am besten jetzt an.\n\n"
        "Fragen zur Verlängerung beantwortet Ihnen Ihre Partner-Hotline unter 030 12345610 "
        "(Mo–Fr 7–20 Uhr, Sa 9–14 Uhr).\n\n"
        "Mit freundlichen Grüßen\n"
        "ChannelDesk Software GmbH\n"
    )


def test_the_english_partner_gets_the_advance_notice_in_english() -> None:
    previous_tier(world(partner=partner_alpha(language="en")).partner, "silver")
    reminders_plan(today=PLAN_DAY)

    reminders_dispatch(today=dt.date(2026, 11, 2))

    message = message_of("partner_advance_notice")
    assert (message.language, message.subject) == (
        "en",
        "Your customer Müller Maschinenbau GmbH receives a renewal letter in 14 days",
    )
    assert message.text_body == (
        "Hello,\n\n"
        "contract V-1 of your customer Müller Maschinenbau GmbH (K-1) for 25 seats of "
        "ChannelDesk Enterprise ends on 31 December 2026. On 16 November 2026 we will send your "
        "customer a letter that reminds them to renew and names you as their contact.\n\n"
        "Your quote for the renewal at your current partner discount (Silver Partner, 25%):\n"
        "List price: €2,500.00\n"
        "Your price: €1,875.00 net\n\n"
        "Now is a good time to contact your customer.\n\n"
        f"{SILVER_HOTLINE_EN}\n\n"
        "Kind regards\n"
        "ChannelDesk Software GmbH\n"
    )


def test_a_partner_without_a_tier_is_told_to_ask_for_the_price() -> None:
    world()
    reminders_plan(today=PLAN_DAY)

    reminders_dispatch(today=ADVANCE_DAY)

    assert (
        "Für Sie ist zurzeit keine Partnerstufe hinterlegt; den Preis für die Verlängerung "
        "nennt Ihnen Ihr Channel-Manager.\n\n"
    ) in message_of("partner_advance_notice").text_body


def test_the_copy_of_the_letter_in_both_languages(media_root: Path) -> None:
    world(partner=partner_alpha(language="en"))
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)

    reminders_dispatch(today=LETTER_DAY)

    message = message_of("partner_letter_copy")
    assert message.subject == "Copy: renewal letter to Müller Maschinenbau GmbH (contract V-1)"
    assert message.text_body == (
        "Hello,\n\n"
        "on 16 November 2026 we sent your customer Müller Maschinenbau GmbH (K-1) the attached "
        "letter: their contract V-1 for 25 seats of ChannelDesk Enterprise ends on 31 December "
        "2026. The letter names you as their contact for the renewal.\n\n"
        f"{ENTRY_HOTLINE_EN}\n\n"
        "Kind regards\n"
        "ChannelDesk Software GmbH\n"
    )


def test_the_german_copy_of_the_letter(media_root: Path) -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)

    reminders_dispatch(today=LETTER_DAY)

    message = message_of("partner_letter_copy")
    assert message.subject == (
        "Kopie: Verlängerungsschreiben an Müller Maschinenbau GmbH (Vertrag V-1)"
    )
    assert message.text_body.startswith(
        "Guten Tag,\n\n"
        "am 16. November 2026 haben wir Ihrem Kunden Müller Maschinenbau GmbH (K-1) das "
        "beigefügte Schreiben geschickt: Sein Vertrag V-1 über 25 Arbeitsplätze für "
        "ChannelDesk Enterprise endet am 31. Dezember 2026."
    )


def test_the_e_mail_after_an_unrenewed_end_in_english() -> None:
    world(partner=partner_alpha(language="en"))
    reminders_plan(today=dt.date(2026, 10, 3))
    ReminderRule.objects.exclude(template="partner_ended_unrenewed").update(is_active=False)

    reminders_dispatch(today=AFTER_DAY)

    message = message_of("partner_ended_unrenewed")
    assert message.subject == (
        "Contract V-1 of your customer Müller Maschinenbau GmbH ended without a renewal"
    )
    assert message.text_body == (
        "Hello,\n\n"
        "contract V-1 of your customer Müller Maschinenbau GmbH (K-1) for 25 seats of "
        "ChannelDesk Enterprise ended on 31 December 2026 without a renewal reaching us. The "
        "licences are no longer valid, and your customer receives neither updates nor "
        "support.\n\n"
        "If your customer still wants to renew, they can: order the renewal as usual.\n\n"
        f"{ENTRY_HOTLINE_EN}\n\n"
        "Kind regards\n"
        "ChannelDesk Software GmbH\n"
    )


def test_texts_written_by_staff_replace_the_shipped_ones_for_their_language() -> None:
    world()
    ReminderRule.objects.filter(template="partner_advance_notice").update(
        subject_de="Bald: Verlängerung {{ contract_number }}",
        body_de=(
            "Hallo {{ partner_name }},\n\n{{ customer_name }} endet am {{ end_date|long_date }}."
        ),
    )
    reminders_plan(today=PLAN_DAY)

    reminders_dispatch(today=ADVANCE_DAY)

    message = message_of("partner_advance_notice")
    assert (message.subject, message.text_body) == (
        "Bald: Verlängerung V-1",
        "Hallo Alpha Systemhaus GmbH,\n\nMüller Maschinenbau GmbH endet am 31. Dezember 2026.\n",
    )


def test_a_german_partner_is_given_its_tier_hotline_in_every_partner_e_mail(
    media_root: Path,
) -> None:
    previous_tier(world().partner, "gold")
    reminders_plan(today=dt.date(2026, 10, 3))
    reminders_dispatch(today=ADVANCE_DAY)
    reminders_dispatch(today=LETTER_DAY)
    reminders_dispatch(today=AFTER_DAY)

    line = (
        "Fragen zur Verlängerung beantwortet Ihnen Ihre Partner-Hotline unter 030 12345610 "
        "(Mo–Fr 7–20 Uhr, Sa 9–14 Uhr).\n\nMit freundlichen Grüßen\n"
    )
    for template in ("partner_advance_notice", "partner_letter_copy", "partner_ended_unrenewed"):
        assert line in message_of(template).text_body, template


def test_without_a_hotline_the_e_mail_has_no_hotline_line() -> None:
    previous_tier(world().partner, "gold")
    Tier.objects.update(hotline_phone="")
    reminders_plan(today=PLAN_DAY)

    reminders_dispatch(today=ADVANCE_DAY)

    body = message_of("partner_advance_notice").text_body
    assert "Hotline" not in body
    assert body.endswith("jetzt an.\n\nMit freundlichen Grüßen\nChannelDesk Software GmbH\n")
