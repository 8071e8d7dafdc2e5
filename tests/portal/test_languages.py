"""The main pages of the portal and the back office in German and in English."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.portal.world import PortalWorld

PAGES = [
    # (persona, path, German, English)
    ("partner_a_user", "/portal/", "Ihre Partnerstufe", "Your tier"),
    ("partner_a_user", "/portal/", "Silber-Partner", "Silver Partner"),
    ("partner_a_user", "/portal/customers/", "Nächstes Vertragsende", "Next contract end"),
    ("partner_a_user", "/portal/customers/K-A/", "Endpoint-Schutz", "Endpoint Suite"),
    ("partner_a_user", "/portal/customers/K-A/", "Erinnerungen", "Reminders"),
    ("partner_a_user", "/portal/renewals/", "Ihr Preis", "Your price"),
    (
        "partner_a_admin",
        "/portal/colleagues/",
        "Kollegin oder Kollegen einladen",
        "Invite a colleague",
    ),
    ("staff", "/backoffice/", "Partner je Stufe", "Partners per tier"),
    ("staff", "/backoffice/partners/A-1000/", "Stufenverlauf", "Tier history"),
    ("staff", "/backoffice/renewals/", "Verlängerungen in Aussicht", "Renewals pipeline"),
    ("staff", "/backoffice/outbox/", "Erinnerungen und E-Mails", "Reminders and e-mails"),
    ("staff", "/backoffice/feedback/", "Rückmeldungen der Partner", "Partner feedback"),
]


@pytest.mark.parametrize("case", PAGES, ids=lambda case: f"{case[1]}-{case[3]}")
def test_page_in_german_and_english(
    case: tuple[str, str, str, str],
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
) -> None:
    persona, path, german, english = case
    client = client_for(persona)

    client.cookies["django_language"] = "de"
    in_german = client.get(path).content.decode()
    client.cookies["django_language"] = "en"
    in_english = client.get(path).content.decode()

    assert german in in_german
    assert english not in in_german
    assert english in in_english
    assert german not in in_english
    assert '<html lang="de">' in in_german
    assert '<html lang="en">' in in_english


def test_the_language_switch_remembers_the_choice(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")

    client.post("/i18n/setlang/", {"language": "en", "next": "/portal/"})

    assert "Your tier" in client.get("/portal/").content.decode()
