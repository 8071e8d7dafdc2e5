"""The movers of a draft (the full list behind the dashboard's 25), and the downloads of the
renewals pipeline and the compliance report, in the reader's dialect."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone, translation

from channeldesk.backoffice.views.exports import MOVER_COLUMNS, RENEWAL_COLUMNS
from tests.backoffice.test_partner_list import (
    csv_of,
    english,
    german,
    queries_of,
    simulation_stored,
)
from tests.factories import PartnerFactory
from tests.portal.world import PortalWorld, heavily_under_licensed

pytestmark = pytest.mark.today("2026-12-07")


def mover(number: str, previous: str | None, tier: str, direction: str) -> dict[str, object]:
    return {"partner_number": number, "from": previous, "to": tier, "direction": direction}


MOVERS = [
    mover("B-2000", "gold", "silver", "down"),
    mover("A-1000", "silver", "gold", "up"),
    mover("C-3000", None, "authorized", "new"),
    mover("D-4000", "silver", "authorized", "down"),
]


@pytest.fixture
def movers_stored(portal_world: PortalWorld) -> None:
    PartnerFactory(partner_number="C-3000", name="Cäsar Computer OHG")
    PartnerFactory(partner_number="D-4000", name="=Delta Daten")
    simulation_stored(portal_world.draft, MOVERS)


def rows_of(text: str) -> list[str]:
    """The partner numbers of the movers table, in order."""
    numbers = ("A-1000", "B-2000", "C-3000", "D-4000")
    found = [(text.index(f">{n}<"), n) for n in numbers if f">{n}<" in text]
    return [number for _position, number in sorted(found)]


@pytest.mark.usefixtures("movers_stored")
def test_the_movers_page_lists_every_mover_by_name_with_tiers_and_direction_in_words(
    client_for: Callable[[str], Client],
) -> None:
    text = german(client_for("staff")).get("/backoffice/movers/").content.decode()

    assert rows_of(text) == ["A-1000", "B-2000", "C-3000", "D-4000"]
    assert "Cäsar Computer OHG" in text
    assert "Gold-Partner" in text
    assert "Autorisierter Partner" in text
    assert ">down<" not in text
    assert ">authorized<" not in text
    with translation.override("de"):
        assert str(translation.gettext("moves down")) in text


@pytest.mark.usefixtures("movers_stored")
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"direction": "down"}, ["B-2000", "D-4000"]),
        ({"direction": "up"}, ["A-1000"]),
        ({"direction": "new"}, ["C-3000"]),
        ({"tier": "authorized"}, ["C-3000", "D-4000"]),
        ({"tier": "silver", "direction": "down"}, ["B-2000", "D-4000"]),
        ({"tier": "gold", "direction": "up"}, ["A-1000"]),
        ({"direction": "sideways"}, ["A-1000", "B-2000", "C-3000", "D-4000"]),
    ],
)
def test_the_movers_are_filtered_by_direction_and_tier(
    client_for: Callable[[str], Client], query: dict[str, str], expected: list[str]
) -> None:
    text = english(client_for("staff")).get("/backoffice/movers/", query).content.decode()

    assert rows_of(text) == expected


def test_the_movers_page_pages_and_costs_the_same_queries_for_few_or_many_movers(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = english(client_for("staff"))
    simulation_stored(portal_world.draft, MOVERS[:2])
    few_page = queries_of(client, "/backoffice/movers/")
    few_export = queries_of(client, "/backoffice/movers.csv")
    many = [mover(f"X-{index:04d}", "silver", "authorized", "down") for index in range(120)]
    for entry in many:
        PartnerFactory(partner_number=entry["partner_number"])
    simulation_stored(portal_world.draft, MOVERS[:2] + many)

    assert queries_of(client, "/backoffice/movers/") == few_page
    assert queries_of(client, "/backoffice/movers.csv") == few_export
    third = client.get("/backoffice/movers/", {"page": 3}).content.decode()
    assert "122 movers" in third
    assert "Page 3 of 3" in third
    assert ">X-0119<" in third
    assert ">X-0097<" not in third


def test_without_a_simulation_the_movers_page_says_so(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = english(client_for("staff"))

    text = client.get("/backoffice/movers/").content.decode()

    assert "No simulation of a draft programme yet" in text
    assert csv_of(client, "/backoffice/movers.csv").split("\n")[1:] == [""]


@pytest.mark.usefixtures("movers_stored")
def test_the_movers_export_in_german_has_names_tier_names_and_directions_in_words(
    client_for: Callable[[str], Client],
) -> None:
    text = csv_of(german(client_for("staff")), "/backoffice/movers.csv", {"direction": "down"})

    with translation.override("de"):
        headers = ";".join(str(column.label) for column in MOVER_COLUMNS)
        down = translation.gettext("moves down")
    assert text.split("\r\n") == [
        f"\ufeff{headers}",
        f"B-2000;Beta IT-Service KG;Gold-Partner;Silber-Partner;{down}",
        f"D-4000;'=Delta Daten;Silber-Partner;Autorisierter Partner;{down}",
        "",
    ]


@pytest.mark.usefixtures("movers_stored")
def test_the_movers_export_in_english_is_plain_csv(client_for: Callable[[str], Client]) -> None:
    text = csv_of(english(client_for("staff")), "/backoffice/movers.csv", {"tier": "authorized"})

    assert text.split("\n") == [
        "Partner number,Name,From tier,To tier,Direction",
        "C-3000,Cäsar Computer OHG,,Authorised Partner,gets a tier for the first time",
        "D-4000,'=Delta Daten,Silver Partner,Authorised Partner,moves down",
        "",
    ]


def test_the_renewals_export_lists_the_pipeline_contracts_in_german_excel(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given the world's contracts: V-A-SOON (12 seats, ends in 30 days), V-B (40 seats, in 60
    # days) and V-A-LATER (3 seats, in 355 days: still in the twelve months from December)
    today = timezone.localdate()

    text = csv_of(german(client_for("staff")), "/backoffice/renewals.csv")

    with translation.override("de"):
        headers = ";".join(str(column.label) for column in RENEWAL_COLUMNS)
    soon, later = today + dt.timedelta(days=30), today + dt.timedelta(days=60)
    last = today + dt.timedelta(days=355)
    assert text.split("\r\n") == [
        f"\ufeff{headers}",
        "V-A-SOON;K-A;Anton Maschinenbau AG;A-1000;Alpha Systemhaus GmbH;ENT-100;"
        f"Endpoint-Schutz;12;{soon:%d.%m.%Y};600,00",
        f"V-B;K-B;Berta Bank eG;B-2000;Beta IT-Service KG;ENT-100;Endpoint-Schutz;40;"
        f"{later:%d.%m.%Y};2000,00",
        "V-A-LATER;K-A;Anton Maschinenbau AG;A-1000;Alpha Systemhaus GmbH;ENT-100;"
        f"Endpoint-Schutz;3;{last:%d.%m.%Y};150,00",
        "",
    ]


def test_the_renewals_export_in_english_is_plain_csv(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = csv_of(english(client_for("staff")), "/backoffice/renewals.csv")

    lines = text.split("\n")
    assert lines[0].startswith("Contract number,Customer number,Customer,Partner number,")
    assert lines[1].startswith("V-A-SOON,K-A,Anton Maschinenbau AG,A-1000,")
    assert lines[1].endswith(
        ",Endpoint Suite,12," + f"{timezone.localdate() + dt.timedelta(30)},600.00"
    )


def test_the_renewals_page_links_its_export(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = english(client_for("staff")).get("/backoffice/renewals/").content.decode()

    assert 'href="/backoffice/renewals.csv"' in text


def test_the_compliance_export_gives_the_api_report_in_the_readers_dialect(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    heavily_under_licensed(portal_world.contract_soon)
    client = client_for("staff")

    german_text = german(client).get("/backoffice/compliance.csv").content.decode()
    english_text = english(client).get("/backoffice/compliance.csv").content.decode()
    page = client.get("/backoffice/compliance/").content.decode()

    assert german_text.startswith("\ufeff")
    german_row = german_text.split("\r\n")[1].split(";")
    assert german_row[:5] == ["V-A-SOON", "K-A", "Anton Maschinenbau AG", "Sonstige", "A-1000"]
    english_row = english_text.split("\n")[1].split(",")
    assert english_row[:5] == ["V-A-SOON", "K-A", "Anton Maschinenbau AG", "other", "A-1000"]
    assert 'href="/backoffice/compliance.csv"' in page
