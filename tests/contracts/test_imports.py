"""The `customers` and `contracts` imports: German Excel files, problems, re-imports, renewals."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channeldesk.catalog.models import ProductKind
from channeldesk.contracts.imports import CONTRACTS_IMPORTER, CUSTOMERS_IMPORTER
from channeldesk.contracts.models import Contract, ContractStatus, Customer, CustomerAssignment
from channeldesk.contracts.selectors import customer_partner_history
from channeldesk.core.importing import Importer
from tests.contracts.factories import (
    LONG_AGO,
    contract_of,
    contracts_state,
    customer_of,
    enterprise_product,
)
from tests.factories import PartnerFactory, ProductFactory
from tests.imports.helpers import (
    excel_csv,
    excel_utf8_csv,
    refused_problems,
    reimported,
    run_import,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()

CUSTOMERS_HEADER = (
    "Customer Number;Name;Street;Postal Code;City;Country;Language;Sector;Contact Name;"
    "Contact Email;Partner Number\n"
)
CUSTOMERS_FILE = CUSTOMERS_HEADER + (
    "K-1;Stadtverwaltung Müllheim;Rathausplatz 1;79379;Müllheim;de;DE;Public Authority;"
    "Jürgen Groß;it@muellheim.example;P-1\n"
    "K-2;Bäckerei Schön KG;Hauptstraße 5;80331;München;DE;en;services;;;P-2\n"
    ";;;;;;;;;;\n"
)
CONTRACTS_HEADER = (
    "contract_number;customer_number;partner_number;sku;seats;start_date;end_date;"
    "renews_contract_number\n"
)


@pytest.fixture
def register() -> None:
    """The partners and the products the files name."""
    for number in ("P-1", "P-2"):
        PartnerFactory(partner_number=number)
    enterprise_product("ENT-1")
    ProductFactory(sku="MSS-1", kind=ProductKind.SERVICE)
    ProductFactory(sku="BOX-1", kind=ProductKind.RETAIL)


def spans(number: str) -> list[tuple[str, dt.date, dt.date | None]]:
    customer = Customer.objects.get(customer_number=number)
    return [
        (span.partner.partner_number, span.valid_from, span.valid_to)
        for span in customer_partner_history(customer=customer)
    ]


def counts(report: object) -> tuple[object, ...]:
    return (
        report.accepted,  # type: ignore[attr-defined]
        report.created,  # type: ignore[attr-defined]
        report.updated,  # type: ignore[attr-defined]
        report.unchanged,  # type: ignore[attr-defined]
    )


def refused(importer: Importer[Any], content: str, *, name: str) -> list[str]:
    """The problems of importing `content` (an Excel CSV file called `name`), once it is known
    that the whole file was refused and nothing was written."""
    return refused_problems(importer, excel_csv(content), name=name, state=contracts_state)


# --- Customers ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("register")
def test_a_german_excel_customer_file_imports_with_its_partners() -> None:
    report = run_import(CUSTOMERS_IMPORTER, excel_csv(CUSTOMERS_FILE), name="customers.csv")

    assert (report.encoding, report.delimiter, report.rows) == ("windows-1252", ";", 2)
    assert counts(report) == (True, 2, 0, 0)
    first = Customer.objects.get(customer_number="K-1")
    assert (
        first.name,
        first.street,
        first.city,
        first.country,
        first.language,
        first.sector,
        first.contact_name,
        first.contact_email,
    ) == (
        "Stadtverwaltung Müllheim",
        "Rathausplatz 1",
        "Müllheim",
        "DE",
        "de",
        "public_authority",
        "Jürgen Groß",
        "it@muellheim.example",
    )
    assert spans("K-1") == [("P-1", TODAY, None)]
    assert spans("K-2") == [("P-2", TODAY, None)]


@pytest.mark.usefixtures("register")
def test_reimporting_a_customer_file_changes_nothing() -> None:
    # Given a customer file imported once, when it comes again in another encoding,
    first, again = excel_csv(CUSTOMERS_FILE), excel_utf8_csv(CUSTOMERS_FILE)
    report = reimported(CUSTOMERS_IMPORTER, first, again, state=contracts_state)

    # then every customer is unchanged.
    assert counts(report) == (True, 0, 0, 2)


@pytest.mark.usefixtures("register")
def test_a_customer_file_naming_another_partner_moves_the_customer_today() -> None:
    customer_of(PartnerFactory(partner_number="P-OLD"), customer_number="K-1")
    Customer.objects.filter(customer_number="K-1").update(
        name="Stadtverwaltung Müllheim",
        street="Rathausplatz 1",
        postal_code="79379",
        city="Müllheim",
        sector="public_authority",
        contact_name="Jürgen Groß",
        contact_email="it@muellheim.example",
    )

    report = run_import(CUSTOMERS_IMPORTER, excel_csv(CUSTOMERS_FILE))
    again = run_import(CUSTOMERS_IMPORTER, excel_csv(CUSTOMERS_FILE))

    assert counts(report) == (True, 1, 1, 0)
    assert counts(again) == (True, 0, 0, 2)
    assert spans("K-1") == [("P-1", TODAY, None), ("P-OLD", LONG_AGO, TODAY)]


@pytest.mark.usefixtures("register")
def test_empty_language_and_sector_cells_keep_the_stored_values() -> None:
    customer_of(
        PartnerFactory(partner_number="P-3"),
        customer_number="K-3",
        language="en",
        sector="healthcare",
    )
    content = CUSTOMERS_HEADER + "K-3;Klinikum Nord;;;;DE;;;;;P-3\nK-4;Neu AG;;;;AT;;;;;P-3\n"

    run_import(CUSTOMERS_IMPORTER, excel_csv(content))

    stored = {
        number: (language, sector)
        for number, language, sector in Customer.objects.values_list(
            "customer_number", "language", "sector"
        )
    }
    assert stored == {"K-3": ("en", "healthcare"), "K-4": ("de", "other")}


@pytest.mark.usefixtures("register")
def test_a_customer_file_with_bad_rows_is_rejected_whole_with_every_problem() -> None:
    content = CUSTOMERS_HEADER + (
        "K-1;Gute GmbH;;;;DE;de;finance;;;P-1\n"
        "K-2;Falsches Land;;;;UK;de;finance;;;P-1\n"
        "K-3;Keine Mail;;;;DE;fr;finance;;keine-mail;P-1\n"
        "K-4;Unbekannt;;;;DE;de;bakery;;;P-404\n"
        "K-1;Doppelt;;;;DE;de;finance;;;P-2\n"
        ";Ohne Nummer;;;;DE;de;;;;P-1\n"
    )

    assert refused(CUSTOMERS_IMPORTER, content, name="customers.csv") == [
        "customers.csv:3: country: 'UK' is not a two-letter ISO 3166 country code (e.g. DE, AT)",
        "customers.csv:4: language: 'fr' is not a language of ChannelDesk (de, en)",
        "customers.csv:4: contact_email: 'keine-mail' is not a valid e-mail address",
        "customers.csv:5: sector: Input should be 'public_authority', 'education', "
        "'healthcare', 'finance', 'manufacturing', 'retail', 'services' or 'other' "
        "(found 'bakery')",
        "customers.csv:6: customer_number: K-1 appears more than once (first on line 2)",
        "customers.csv:7: customer_number: a value is required",
    ]
    assert Customer.objects.count() == 0


@pytest.mark.usefixtures("register")
def test_an_unknown_partner_is_reported_on_its_row_and_nothing_is_written() -> None:
    content = CUSTOMERS_HEADER + (
        "K-1;Gute GmbH;;;;DE;de;finance;;;P-1\nK-2;Unbekannt;;;;DE;de;finance;;;P-404\n"
    )
    assert refused(CUSTOMERS_IMPORTER, content, name="customers.csv") == [
        "customers.csv:3: partner_number: unknown partner number P-404; import the partner first"
    ]


@pytest.mark.usefixtures("register")
def test_a_dry_run_reports_what_would_happen_and_writes_nothing() -> None:
    report = run_import(CUSTOMERS_IMPORTER, excel_csv(CUSTOMERS_FILE), dry_run=True)

    assert (report.dry_run, *counts(report)) == (True, True, 2, 0, 0)
    assert Customer.objects.count() == 0


@pytest.mark.usefixtures("register")
def test_the_customer_import_reads_and_writes_set_based() -> None:
    def file_of(size: int, prefix: str, partner: str) -> bytes:
        rows = [f"{prefix}-{index};Kunde {index};;;;DE;de;;;;{partner}\n" for index in range(size)]
        return excel_csv(CUSTOMERS_HEADER + "".join(rows))

    def queries_for(content: bytes) -> int:
        with CaptureQueriesContext(connection) as queries:
            report = run_import(CUSTOMERS_IMPORTER, content)
        assert report.accepted
        return len(queries)

    # New customers, then the same customers moving to another partner (their spans backdated,
    # so that the move closes them and opens new ones).
    new = (queries_for(file_of(2, "S", "P-1")), queries_for(file_of(200, "L", "P-1")))
    CustomerAssignment.objects.update(valid_from=LONG_AGO)
    moved = (queries_for(file_of(2, "S", "P-2")), queries_for(file_of(200, "L", "P-2")))

    assert new[0] == new[1]
    assert moved[0] == moved[1]
    assert spans("L-199") == [("P-2", TODAY, None), ("P-1", LONG_AGO, TODAY)]


# --- Contracts ---------------------------------------------------------------------------------


@pytest.fixture
def customers(register: None) -> None:
    run_import(CUSTOMERS_IMPORTER, excel_csv(CUSTOMERS_FILE))


def statuses() -> dict[str, tuple[str, str | None]]:
    return {
        contract.contract_number: (
            contract.status,
            contract.renews.contract_number if contract.renews else None,
        )
        for contract in Contract.objects.select_related("renews")
    }


CONTRACTS_FILE = CONTRACTS_HEADER + (
    "V-2026;K-1;P-1;ENT-1;1.000;01.04.2026;31.03.2027;V-2025\n"
    "V-2025;K-1;P-1;ENT-1;800;1.4.2025;31.03.2026;\n"
    "S-1;K-2;P-2;MSS-1;5;2026-01-01;2026-12-31;\n"
)


@pytest.mark.usefixtures("customers")
def test_a_german_excel_contract_file_imports_with_its_renewals_in_any_order() -> None:
    report = run_import(CONTRACTS_IMPORTER, excel_csv(CONTRACTS_FILE), name="contracts.csv")

    assert counts(report) == (True, 3, 0, 0)
    assert statuses() == {
        "V-2025": (ContractStatus.RENEWED, None),
        "V-2026": (ContractStatus.ACTIVE, "V-2025"),
        "S-1": (ContractStatus.ACTIVE, None),
    }
    follow_up = Contract.objects.select_related("customer", "partner", "product").get(
        contract_number="V-2026"
    )
    assert (
        follow_up.customer.customer_number,
        follow_up.partner.partner_number,
        follow_up.product.sku,
        follow_up.seats,
        follow_up.start_date,
        follow_up.end_date,
    ) == ("K-1", "P-1", "ENT-1", 1000, dt.date(2026, 4, 1), dt.date(2027, 3, 31))


@pytest.mark.usefixtures("customers")
def test_reimporting_a_contract_file_changes_nothing() -> None:
    # Given a contract file imported once, when it comes again,
    report = reimported(CONTRACTS_IMPORTER, excel_csv(CONTRACTS_FILE), state=contracts_state)

    # then every contract is unchanged.
    assert counts(report) == (True, 0, 0, 3)


@pytest.mark.usefixtures("customers")
def test_a_row_naming_a_stored_contract_renews_it() -> None:
    run_import(
        CONTRACTS_IMPORTER,
        excel_csv(CONTRACTS_HEADER + "V-1;K-1;P-1;ENT-1;10;01.01.2025;31.12.2025;\n"),
    )
    Contract.objects.filter(contract_number="V-1").update(status=ContractStatus.EXPIRED)
    content = CONTRACTS_HEADER + "V-2;K-1;P-2;ENT-1;12;01.01.2026;31.12.2026;V-1\n"

    report = run_import(CONTRACTS_IMPORTER, excel_csv(content))

    assert counts(report) == (True, 1, 0, 0)
    assert statuses() == {
        "V-1": (ContractStatus.RENEWED, None),
        "V-2": (ContractStatus.ACTIVE, "V-1"),
    }


@pytest.mark.usefixtures("customers")
def test_a_changed_row_updates_its_contract_only() -> None:
    run_import(CONTRACTS_IMPORTER, excel_csv(CONTRACTS_FILE))
    untouched = Contract.objects.get(contract_number="S-1").updated_at
    changed = CONTRACTS_FILE.replace("1.000;01.04.2026;31.03.2027", "1.200;01.04.2026;30.06.2027")

    report = run_import(CONTRACTS_IMPORTER, excel_csv(changed))

    assert counts(report) == (True, 0, 1, 2)
    follow_up = Contract.objects.get(contract_number="V-2026")
    assert (follow_up.seats, follow_up.end_date) == (1200, dt.date(2027, 6, 30))
    assert Contract.objects.get(contract_number="S-1").updated_at == untouched


@pytest.mark.usefixtures("customers")
def test_a_contract_file_with_bad_rows_is_rejected_whole_with_every_problem() -> None:
    content = CONTRACTS_HEADER + (
        "V-1;K-1;P-1;ENT-1;10;01.01.2025;31.12.2025;\n"
        "V-2;K-404;P-404;NO-SKU;10;01.01.2025;31.12.2025;\n"
        "V-3;K-1;P-1;BOX-1;0;01.01.2025;31.12.24;\n"
        "V-4;K-1;P-1;ENT-1;3,5;31.12.2025;01.01.2025;\n"
        "V-5;K-1;P-1;ENT-1;10;01.01.2026;31.12.2026;V-5\n"
        "V-6;K-1;P-1;ENT-1;10;01.01.2026;31.12.2026;V-404\n"
        "V-7;K-2;P-2;MSS-1;10;01.01.2026;31.12.2026;V-1\n"
        "V-8;K-1;P-1;ENT-1;10;01.01.2025;31.12.2026;V-1\n"
        "V-9;K-1;P-1;ENT-1;10;01.01.2026;31.12.2026;V-1\n"
        "V-1;K-1;P-1;ENT-1;10;01.01.2025;31.12.2025;\n"
    )

    assert refused(CONTRACTS_IMPORTER, content, name="contracts.csv") == [
        "contracts.csv:3: partner_number: unknown partner number P-404; import the partner first",
        "contracts.csv:3: sku: unknown SKU NO-SKU; import the product first",
        "contracts.csv:3: customer_number: unknown customer number K-404; "
        "import the customer first",
        "contracts.csv:4: seats: Input should be greater than or equal to 1 (found '0')",
        "contracts.csv:4: end_date: '31.12.24' needs a four-digit year (dd.mm.yyyy)",
        "contracts.csv:5: seats: '3,5' is not a whole number",
        "contracts.csv:5: end_date: 2025-01-01 is before the start date 2025-12-31",
        "contracts.csv:6: renews_contract_number: a contract cannot renew itself",
        "contracts.csv:7: renews_contract_number: unknown contract number V-404; "
        "it must be stored or in this file",
        "contracts.csv:8: renews_contract_number: contract V-1 belongs to another customer",
        "contracts.csv:9: renews_contract_number: V-1 appears more than once (first on line 8)",
        "contracts.csv:9: renews_contract_number: a renewal must start after V-1 starts "
        "(2025-01-01)",
        "contracts.csv:10: renews_contract_number: V-1 appears more than once (first on line 8)",
        "contracts.csv:11: contract_number: V-1 appears more than once (first on line 2)",
    ]
    assert Contract.objects.count() == 0


@pytest.mark.usefixtures("customers")
def test_a_retail_product_gets_no_contract_from_a_file() -> None:
    content = CONTRACTS_HEADER + "V-1;K-1;P-1;BOX-1;10;01.01.2025;31.12.2025;\n"

    assert refused(CONTRACTS_IMPORTER, content, name="contracts.csv") == [
        "contracts.csv:2: sku: BOX-1 is a retail product; contracts are for enterprise and "
        "service products"
    ]


@pytest.mark.usefixtures("register")
def test_stored_renewals_are_not_undone_or_repeated_by_a_file() -> None:
    partner = PartnerFactory(partner_number="P-9")
    customer = customer_of(partner, customer_number="K-9")
    cancelled = contract_of(customer, contract_number="CANCELLED", status=ContractStatus.CANCELLED)
    renewed = contract_of(customer, contract_number="RENEWED", status=ContractStatus.RENEWED)
    contract_of(
        customer,
        contract_number="FOLLOW-UP",
        renews=renewed,
        start_date=dt.date(2026, 4, 1),
        end_date=dt.date(2027, 3, 31),
    )
    content = CONTRACTS_HEADER + (
        f"V-A;K-9;P-9;ENT-1;10;01.04.2026;31.03.2027;{cancelled.contract_number}\n"
        f"V-B;K-9;P-9;ENT-1;10;01.04.2026;31.03.2027;{renewed.contract_number}\n"
        "FOLLOW-UP;K-9;P-9;ENT-1;10;01.04.2026;31.03.2027;CANCELLED\n"
    )
    assert refused(CONTRACTS_IMPORTER, content, name="contracts.csv") == [
        "contracts.csv:2: renews_contract_number: contract CANCELLED was cancelled; "
        "it cannot be renewed",
        "contracts.csv:3: renews_contract_number: contract RENEWED is already renewed by FOLLOW-UP",
        "contracts.csv:4: renews_contract_number: CANCELLED appears more than once "
        "(first on line 2)",
        "contracts.csv:4: renews_contract_number: contract FOLLOW-UP already renews another "
        "contract",
    ]


@pytest.mark.usefixtures("register")
def test_the_contract_import_reads_and_writes_set_based() -> None:
    partner = PartnerFactory(partner_number="P-9")
    customer_of(partner, customer_number="K-9")

    def file_of(size: int, prefix: str) -> bytes:
        rows = [
            f"{prefix}V-{index};K-9;P-9;ENT-1;10;01.01.2025;31.12.2025;\n"
            f"{prefix}W-{index};K-9;P-9;ENT-1;10;01.01.2026;31.12.2026;{prefix}V-{index}\n"
            for index in range(size)
        ]
        return excel_csv(CONTRACTS_HEADER + "".join(rows))

    def queries_for(content: bytes) -> int:
        with CaptureQueriesContext(connection) as queries:
            report = run_import(CONTRACTS_IMPORTER, content)
        assert report.accepted
        return len(queries)

    small = queries_for(file_of(2, "S"))
    large = queries_for(file_of(200, "L"))

    assert small == large


@pytest.mark.usefixtures("customers")
def test_the_import_command_takes_customers_and_contracts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "contracts.csv"
    path.write_bytes(excel_csv(CONTRACTS_FILE))

    call_command("import", "contracts", str(path))

    assert capsys.readouterr().out.strip() == (
        f"{path}: 3 rows, contracts: 3 created, 0 updated, 0 unchanged."
    )


@pytest.mark.usefixtures("customers")
def test_the_import_command_rejects_a_bad_file_with_its_problems(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "contracts.csv"
    path.write_bytes(
        excel_csv(CONTRACTS_HEADER + "V-1;K-404;P-1;ENT-1;10;01.01.2025;31.12.2025;\n")
    )

    with pytest.raises(CommandError) as rejection:
        call_command("import", "contracts", str(path))

    assert str(rejection.value) == f"{path}: rejected with 1 problem; nothing was imported."
    assert capsys.readouterr().err.strip() == (
        f"{path}:2: customer_number: unknown customer number K-404; import the customer first"
    )
    assert Contract.objects.count() == 0
