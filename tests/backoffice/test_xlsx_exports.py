"""Every back-office list export also as an Excel workbook (`?format=xlsx`): the same columns
and rows as its CSV, typed cells, formulas never; and the files for the imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone, translation

from channeldesk.backoffice.views.exports import import_columns
from channeldesk.contracts.imports import IMPORTERS
from channeldesk.core import exports
from tests.backoffice.test_movers_and_exports import movers_stored  # noqa: F401 - a fixture
from tests.backoffice.test_partner_list import english, german
from tests.factories import order_with_lines
from tests.portal.world import PortalWorld
from tests.xlsx_exports import assert_same_rows, xlsx_of

pytestmark = pytest.mark.today("2026-12-07")

LIST_EXPORTS = [
    ("/backoffice/partners.csv", {}),
    ("/backoffice/partners.csv", {"tier": "silver", "sort": "-revenue"}),
    ("/backoffice/movers.csv", {}),
    ("/backoffice/movers.csv", {"direction": "down"}),
    ("/backoffice/renewals.csv", {}),
    ("/backoffice/exports/partners/", {}),
    ("/backoffice/exports/orders/", {}),
    ("/backoffice/exports/contracts/", {}),
]


@pytest.fixture
def orders_stored(portal_world: PortalWorld) -> None:
    """Two orders of A (one with a credit line) and one of B."""
    personas, product = portal_world.personas, portal_world.product
    order_with_lines(
        personas.partner_a,
        dt.date(2026, 11, 3),
        [(product, 3, Decimal("1234.50")), (product, -1, Decimal("-411.50"))],
        order_number="SO-A-1",
    )
    order_with_lines(
        personas.partner_a, dt.date(2026, 2, 28), [(product, 1, Decimal("0.05"))], "SO-A-2"
    )
    order_with_lines(
        personas.partner_b, dt.date(2026, 6, 30), [(product, 7, Decimal("99999.99"))], "SO-B-1"
    )


@pytest.mark.usefixtures("movers_stored", "orders_stored")
@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(("url", "query"), LIST_EXPORTS)
def test_the_workbook_holds_the_same_rows_as_the_csv(
    client_for: Callable[[str], Client], url: str, query: dict[str, str], language: str
) -> None:
    rows = assert_same_rows(client_for("staff"), url, query, language=language)

    assert len(rows) > 1


@pytest.mark.usefixtures("movers_stored")
def test_a_partner_name_that_is_a_formula_is_a_text_cell_in_the_workbook(
    client_for: Callable[[str], Client],
) -> None:
    sheet = xlsx_of(german(client_for("staff")), "/backoffice/movers.csv", {"direction": "down"})

    name = sheet["B3"]
    assert (name.value, name.data_type, name.quotePrefix) == ("=Delta Daten", "s", True)
    with translation.override("de"):
        assert sheet.title == translation.gettext("Movers")
    assert sheet["A1"].value == "Partnernummer"


def test_the_partner_list_workbook_has_amounts_as_numbers_and_dates_as_dates(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    sheet = xlsx_of(english(client_for("staff")), "/backoffice/partners.csv")

    assert sheet.title == "Partners"
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["Partner number", "Name"]
    first = sheet[2]
    revenue, start, end = first[6], first[7], first[8]
    assert (revenue.data_type, revenue.number_format) == ("n", "0.00")
    assert (start.data_type, start.number_format) == ("d", "YYYY-MM-DD")
    assert isinstance(end.value, dt.datetime)


def test_the_order_file_has_the_import_columns_and_exact_amounts(
    orders_stored: None, client_for: Callable[[str], Client]
) -> None:
    sheet = xlsx_of(german(client_for("staff")), "/backoffice/exports/orders/")

    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(IMPORTERS["orders"].row_model.columns())
    with translation.override("de"):
        assert sheet.title == translation.gettext("Orders")
    by_order = [(row[0], row[3], row[4], Decimal(str(row[5]))) for row in rows[1:]]
    assert ("SO-A-1", "ENT-100", -1, Decimal("-411.50")) in by_order
    assert ("SO-B-1", "ENT-100", 7, Decimal("99999.99")) in by_order
    assert sheet["C2"].number_format == "DD.MM.YYYY"
    # The lines of an order stay together, in their order.
    numbers = [row[0] for row in rows[1:]]
    assert numbers.index("SO-A-1") + 1 == len(numbers) - numbers[::-1].index("SO-A-1") - 1


@pytest.mark.parametrize("kind", ["partners", "orders", "contracts"])
def test_the_files_for_the_imports_have_exactly_the_columns_the_import_reads(kind: str) -> None:
    assert [column.key for column in import_columns(kind)] == list(
        IMPORTERS[kind].row_model.columns()
    )
    assert [str(column.label) for column in import_columns(kind)] == list(
        IMPORTERS[kind].row_model.columns()
    )


def test_the_contract_file_names_the_contract_each_one_renews(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    from tests.contracts.factories import contract_of

    follow_up = contract_of(
        portal_world.customer_a,
        contract_number="V-A-NEXT",
        start_date=portal_world.contract_soon.end_date + dt.timedelta(days=1),
        end_date=portal_world.contract_soon.end_date + dt.timedelta(days=365),
        renews=portal_world.contract_soon,
    )

    sheet = xlsx_of(english(client_for("staff")), "/backoffice/exports/contracts/")

    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows[follow_up.contract_number][-1] == "V-A-SOON"
    assert rows["V-A-SOON"][-1] is None
    assert rows["V-A-SOON"][5] == dt.datetime.combine(
        portal_world.contract_soon.start_date, dt.time()
    )


@pytest.mark.usefixtures("orders_stored")
def test_an_order_file_too_long_for_a_workbook_is_refused_but_its_csv_streams(
    client_for: Callable[[str], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a cap below the four order lines stored
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    client = english(client_for("staff"))

    refused = client.get("/backoffice/exports/orders/", {"format": "xlsx"})
    as_csv = client.get("/backoffice/exports/orders/")

    assert refused.status_code == 400
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    assert "more than 3 rows" in refused.content.decode()
    assert "Download it as CSV instead" in refused.content.decode()
    assert as_csv.status_code == 200
    assert len(b"".join(as_csv.streaming_content).decode().splitlines()) == 5  # type: ignore[attr-defined]
    # At the cap, the workbook
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)
    assert client.get("/backoffice/exports/orders/", {"format": "xlsx"}).status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/backoffice/partners.csv", "/backoffice/exports/orders/", "/backoffice/renewals.csv"],
)
def test_an_unknown_file_format_is_refused(
    portal_world: PortalWorld, client_for: Callable[[str], Client], url: str
) -> None:
    response = client_for("staff").get(url, {"format": "ods"})

    assert response.status_code == 400


def test_the_partner_list_links_its_excel_export_with_the_filters_and_the_import_files(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = english(client_for("staff")).get("/backoffice/partners/", {"tier": "silver"}).content
    page = text.decode()

    assert 'href="/backoffice/partners.csv?tier=silver&amp;format=xlsx"' in page
    assert 'href="/backoffice/exports/orders/?format=xlsx"' in page
    assert 'href="/backoffice/exports/contracts/"' in page
    assert 'href="/backoffice/exports/partners/?format=xlsx"' in page


@pytest.mark.usefixtures("movers_stored")
def test_the_movers_and_renewals_pages_link_their_excel_exports(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = english(client_for("staff"))

    renewals = client.get("/backoffice/renewals/").content.decode()
    movers = client.get("/backoffice/movers/", {"direction": "up"}).content.decode()

    assert 'href="/backoffice/renewals.csv?format=xlsx"' in renewals
    assert 'href="/backoffice/movers.csv?direction=up&amp;format=xlsx"' in movers


def test_the_workbook_file_name_follows_the_csv_one(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    today = timezone.localdate().isoformat()

    response = client_for("staff").get("/backoffice/exports/contracts/", {"format": "xlsx"})

    assert response["Content-Disposition"] == f'attachment; filename="contracts-{today}.xlsx"'
