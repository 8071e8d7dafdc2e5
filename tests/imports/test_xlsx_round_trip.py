"""The round trip: partners, orders and contracts exported from the back office as Excel
workbooks and imported again change nothing, to the cent, the day and the timestamp."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from channeldesk.catalog.models import Order, OrderLine, Product
from channeldesk.contracts.imports import IMPORTERS
from channeldesk.contracts.models import Contract, ContractStatus, Customer, CustomerAssignment
from channeldesk.core.exports import XLSX_CONTENT_TYPE
from channeldesk.core.importing import ImportResult, import_file
from channeldesk.partners.models import Partner, PartnerStatus
from tests.contracts.factories import contract_of, customer_of, enterprise_product
from tests.factories import PartnerFactory, order_with_lines

pytestmark = pytest.mark.today("2026-12-07")

EXPORTS = {
    "partners": "/backoffice/exports/partners/",
    "orders": "/backoffice/exports/orders/",
    "contracts": "/backoffice/exports/contracts/",
}


def stored_rows() -> dict[str, list[dict[str, Any]]]:
    """Every row (all columns, timestamps included) of the tables the three imports write."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Partner, Product, Order, OrderLine, Customer, CustomerAssignment, Contract)
    }


@pytest.fixture
def register(db: None) -> None:
    """Partners, orders and contracts with the awkward values of real files: text a spreadsheet
    would run, credit lines, amounts of every size, month ends and 29 February, renewals."""
    alpha = PartnerFactory(
        partner_number="R-1000",
        name="=Alpha Systemhaus GmbH",
        vat_id="DE136695976",
        phone="+49 89 1234567",
        language="en",
    )
    beta = PartnerFactory(
        partner_number="R-2000",
        name="-Beta IT-Service KG",
        street="",
        email="",
        status=PartnerStatus.SUSPENDED,
        phone="@beta",
    )
    PartnerFactory(partner_number="0042", name="Null Vier Zwei OHG", postal_code="01067")
    product = enterprise_product("ENT-100")
    service = enterprise_product("SRV-7")
    order_with_lines(
        alpha,
        dt.date(2024, 2, 29),
        [(product, 3, Decimal("1234.50")), (service, -1, Decimal("-411.55"))],
        "SO-1",
    )
    order_with_lines(alpha, dt.date(2026, 12, 31), [(product, 1, Decimal("0.05"))], "SO-2")
    order_with_lines(beta, dt.date(2026, 1, 31), [(product, 7, Decimal("0.00"))], "SO-1")
    order_with_lines(
        beta, dt.date(2025, 6, 30), [(service, 999_999, Decimal("999999999999.99"))], "SO-9"
    )
    customer = customer_of(alpha, customer_number="RK-1", name="+Kunde AG")
    other = customer_of(beta, customer_number="RK-2")
    old = contract_of(
        customer,
        contract_number="RV-1",
        start_date=dt.date(2025, 1, 1),
        end_date=dt.date(2025, 12, 31),
        status=ContractStatus.RENEWED,
    )
    contract_of(
        customer,
        contract_number="RV-2",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        seats=250,
        renews=old,
    )
    contract_of(
        other,
        contract_number="=RV-3",
        partner=alpha,
        product=service,
        start_date=dt.date(2024, 2, 29),
        end_date=dt.date(2027, 2, 28),
    )


def workbook(client: Client, kind: str, *, language: str) -> bytes:
    client.cookies["django_language"] = language
    response = client.get(EXPORTS[kind], {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    return b"".join(response.streaming_content)  # type: ignore[attr-defined]


def imported(kind: str, data: bytes) -> ImportResult:
    return import_file(importer=IMPORTERS[kind], source=io.BytesIO(data), file_name=f"{kind}.xlsx")


@pytest.mark.usefixtures("register")
@pytest.mark.parametrize("language", ["de", "en"])
def test_exported_workbooks_imported_again_change_nothing(
    client_for: Callable[[str], Client], language: str
) -> None:
    # Given the register, exported as workbooks by a channel manager
    client = client_for("staff")
    files = {kind: workbook(client, kind, language=language) for kind in EXPORTS}
    before = stored_rows()

    # When each file is imported again, in the order a new installation imports them
    results = {kind: imported(kind, files[kind]) for kind in EXPORTS}

    # Then every import accepts its file and finds every record unchanged
    for kind, result in results.items():
        assert result.problems == [], (kind, [str(problem) for problem in result.problems])
        assert (result.created, result.updated) == (0, 0), (kind, result.summary())
    assert results["partners"].unchanged == Partner.objects.count() >= 3
    assert results["orders"].unchanged == Order.objects.count() >= 4
    assert results["contracts"].unchanged == Contract.objects.count() >= 3
    # And nothing in the database changed: amounts to the cent, dates, links, timestamps
    assert stored_rows() == before


@pytest.mark.usefixtures("register")
def test_an_exported_workbook_imported_elsewhere_recreates_the_same_records(
    client_for: Callable[[str], Client],
) -> None:
    # Given the order lines exported, then deleted
    files = {kind: workbook(client_for("staff"), kind, language="de") for kind in EXPORTS}
    lines_before = list(
        OrderLine.objects.order_by(
            "order__partner__partner_number", "order__order_number"
        ).values_list(
            "order__partner__partner_number",
            "order__order_number",
            "order_date",
            "line_number",
            "product__sku",
            "quantity",
            "net_amount",
        )
    )
    Order.objects.all().delete()

    # When the workbook is imported
    result = imported("orders", files["orders"])

    # Then the same orders come back, line for line, to the cent
    assert result.problems == [], [str(problem) for problem in result.problems]
    assert result.created == len({(row[0], row[1]) for row in lines_before}) >= 4
    lines_after = list(
        OrderLine.objects.order_by(
            "order__partner__partner_number", "order__order_number"
        ).values_list(
            "order__partner__partner_number",
            "order__order_number",
            "order_date",
            "line_number",
            "product__sku",
            "quantity",
            "net_amount",
        )
    )
    assert lines_after == lines_before
    assert (Decimal("999999999999.99"), 999_999) in {(row[6], row[5]) for row in lines_after}


@pytest.mark.usefixtures("register")
def test_the_cli_imports_an_exported_workbook_and_changes_nothing(
    client_for: Callable[[str], Client], tmp_path: Path
) -> None:
    # Given the contracts exported as a workbook and saved as a file
    path = tmp_path / "contracts.xlsx"
    path.write_bytes(workbook(client_for("staff"), "contracts", language="en"))
    before = stored_rows()

    # When `channeldesk import contracts contracts.xlsx` runs
    stdout, stderr = StringIO(), StringIO()
    call_command("import", "contracts", str(path), stdout=stdout, stderr=stderr)

    # Then it reports every contract unchanged, and nothing changed
    assert stderr.getvalue() == ""
    count = Contract.objects.count()
    assert f"{count} rows, contracts: 0 created, 0 updated, {count} unchanged." in stdout.getvalue()
    assert stored_rows() == before
