"""Excel workbooks (.xlsx) into every import: typed cells, sheets, problems, bad files
(docs/imports.md, "Excel workbooks"). The faces (CLI, API) are in test_xlsx_faces.py."""

from __future__ import annotations

import datetime as dt
import io
import random
import struct
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from channeldesk.catalog.imports import ORDERS_IMPORTER, PRODUCTS_IMPORTER
from channeldesk.catalog.models import OrderLine, Product
from channeldesk.contracts.imports import (
    CONTRACTS_IMPORTER,
    CUSTOMERS_IMPORTER,
    IMPORTERS,
)
from channeldesk.contracts.models import Contract, Customer, CustomerAssignment
from channeldesk.core import importing, spreadsheets
from channeldesk.core.importing import (
    CHUNK_ROWS,
    Importer,
    ImportProgress,
    ImportStage,
    import_file,
)
from channeldesk.core.spreadsheets import CellError, cell_text
from channeldesk.partners.imports import PARTNERS_IMPORTER
from channeldesk.partners.models import Partner
from channeldesk.training.imports import TRAINING_IMPORTER
from channeldesk.training.models import Enrollment, Participant
from tests.contracts.factories import enterprise_product
from tests.factories import PartnerFactory, ProductFactory
from tests.imports.helpers import (
    as_excel_saves,
    database_state,
    excel_csv,
    problem_lines,
    run_import,
    with_sheet_xml,
    workbook,
)
from tests.personas import Personas

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

ORDERS_HEADER: list[object] = [
    "order_number",
    "partner_number",
    "order_date",
    "sku",
    "quantity",
    "net_amount",
]


def everything() -> dict[str, Any]:
    """Every row (timestamps included) of the tables any import writes."""
    return {
        **database_state(),
        **{
            model.__name__: list(model.objects.order_by("pk").values())
            for model in (Customer, CustomerAssignment, Contract, Participant, Enrollment)
        },
    }


def counts(report: Any) -> tuple[object, ...]:
    return (report.accepted, report.created, report.updated, report.unchanged)


@pytest.fixture
def catalogue() -> None:
    """The partners and products the order files name."""
    for number in ("P-1001", "P-1002"):
        PartnerFactory(partner_number=number)
    for sku in ("AV-BOX", "AV-ENT-1Y"):
        ProductFactory(sku=sku)


# --- Every kind: a workbook imports as its CSV twin -------------------------------------------


def _partners() -> None:
    """Partners need nothing before them."""


def _register() -> None:
    for number in ("P-1", "P-2"):
        PartnerFactory(partner_number=number)
    for sku in ("AV-BOX", "AV-ENT-1Y"):
        ProductFactory(sku=sku)


def _customers_too() -> None:
    _register()
    enterprise_product("ENT-1")
    run_import(
        CUSTOMERS_IMPORTER,
        excel_csv(
            "customer_number;name;street;postal_code;city;country;language;sector;contact_name;"
            "contact_email;partner_number\n"
            "K-1;Stadt Müllheim;Rathausplatz 1;79379;Müllheim;DE;de;public_authority;;;P-1\n"
        ),
    )


@dataclass(frozen=True)
class Twin:
    """A file of one kind, as German Excel's CSV and as a workbook with typed cells."""

    importer: Importer[Any]
    setup: Callable[[], None]
    csv: str
    rows: list[list[object]]
    created: int


TWINS = [
    Twin(
        PARTNERS_IMPORTER,
        _partners,
        "partner_number;name;street;postal_code;city;country;vat_id;email;status\n"
        "P-1001;Alpha Systemhaus GmbH;Hauptstraße 1;80331;München;DE;DE 136 695 976;"
        "info@alpha.example;Authorized\n"
        "P-1002;Bärenstark IT KG;Königsallee 2;40212;Düsseldorf;de;DE812345673;;suspended\n",
        [
            [
                "Partner Number",
                "Name",
                "Street",
                "Postal Code",
                "City",
                "Country",
                "VAT ID",
                "Email",
                "Status",
            ],
            [
                "P-1001",
                "Alpha Systemhaus GmbH",
                "Hauptstraße 1",
                80331,
                "München",
                "DE",
                "DE 136 695 976",
                "info@alpha.example",
                "Authorized",
            ],
            [
                "P-1002",
                "Bärenstark IT KG",
                "Königsallee 2",
                40212,
                "Düsseldorf",
                "de",
                "DE812345673",
                None,
                "suspended",
            ],
        ],
        2,
    ),
    Twin(
        PRODUCTS_IMPORTER,
        _partners,
        "sku;name_de;name_en;kind;list_price;unit\n"
        "AV-BOX;Virenschutz Box;Antivirus Box;Retail;39,90;Stück\n"
        "AV-ENT-1Y;Virenschutz Enterprise;Antivirus Enterprise;enterprise;1.234,50;Lizenz\n",
        [
            ["sku", "name_de", "name_en", "kind", "list_price", "unit"],
            ["AV-BOX", "Virenschutz Box", "Antivirus Box", "Retail", 39.9, "Stück"],
            [
                "AV-ENT-1Y",
                "Virenschutz Enterprise",
                "Antivirus Enterprise",
                "enterprise",
                1234.5,
                "Lizenz",
            ],
        ],
        2,
    ),
    Twin(
        ORDERS_IMPORTER,
        _register,
        "order_number;partner_number;order_date;sku;quantity;net_amount\n"
        "SO-1;P-1;15.03.2026;AV-ENT-1Y;10;9.876,00\n"
        "SO-1;P-1;15.03.2026;AV-BOX;2;59,85\n"
        "GS-1;P-2;20.03.2026;AV-BOX;-1;-29,93\n",
        [
            ORDERS_HEADER,
            ["SO-1", "P-1", dt.datetime(2026, 3, 15), "AV-ENT-1Y", 10, 9876.0],
            ["SO-1", "P-1", dt.date(2026, 3, 15), "AV-BOX", 2, 59.85],
            ["GS-1", "P-2", dt.datetime(2026, 3, 20), "AV-BOX", -1, -29.93],
        ],
        2,
    ),
    Twin(
        CUSTOMERS_IMPORTER,
        _register,
        "customer_number;name;street;postal_code;city;country;language;sector;contact_name;"
        "contact_email;partner_number\n"
        "K-1;Stadtverwaltung Müllheim;Rathausplatz 1;79379;Müllheim;de;DE;Public Authority;"
        "Jürgen Groß;it@muellheim.example;P-1\n"
        "K-2;Bäckerei Schön KG;Hauptstraße 5;80331;München;DE;en;services;;;P-2\n",
        [
            [
                "Customer Number",
                "Name",
                "Street",
                "Postal Code",
                "City",
                "Country",
                "Language",
                "Sector",
                "Contact Name",
                "Contact Email",
                "Partner Number",
            ],
            [
                "K-1",
                "Stadtverwaltung Müllheim",
                "Rathausplatz 1",
                79379,
                "Müllheim",
                "de",
                "DE",
                "Public Authority",
                "Jürgen Groß",
                "it@muellheim.example",
                "P-1",
            ],
            [
                "K-2",
                "Bäckerei Schön KG",
                "Hauptstraße 5",
                80331,
                "München",
                "DE",
                "en",
                "services",
                None,
                None,
                "P-2",
            ],
        ],
        2,
    ),
    Twin(
        CONTRACTS_IMPORTER,
        _customers_too,
        "contract_number;customer_number;partner_number;sku;seats;start_date;end_date;"
        "renews_contract_number\n"
        "V-2026;K-1;P-1;ENT-1;1.000;01.04.2026;31.03.2027;V-2025\n"
        "V-2025;K-1;P-1;ENT-1;800;1.4.2025;31.03.2026;\n",
        [
            [
                "contract_number",
                "customer_number",
                "partner_number",
                "sku",
                "seats",
                "start_date",
                "end_date",
                "renews_contract_number",
            ],
            [
                "V-2026",
                "K-1",
                "P-1",
                "ENT-1",
                1000,
                dt.date(2026, 4, 1),
                dt.datetime(2027, 3, 31),
                "V-2025",
            ],
            ["V-2025", "K-1", "P-1", "ENT-1", 800.0, "1.4.2025", "2026-03-31", None],
        ],
        2,
    ),
    Twin(
        TRAINING_IMPORTER,
        _register,
        "Record ID;Partner Number;Course Code;Participant Name;Participant Email;"
        "Session Date;Status\n"
        "NA-1;P-1;CD-GOLD-2D;Jörg Weiß;joerg@p1.example;31.03.2025;Completed\n"
        "NA-2;P-2;CD-SILVER-HD;Erika Muster;erika@p2.example;15.01.2026;attended\n",
        [
            [
                "Record ID",
                "Partner Number",
                "Course Code",
                "Participant Name",
                "Participant Email",
                "Session Date",
                "Status",
            ],
            [
                "NA-1",
                "P-1",
                "CD-GOLD-2D",
                "Jörg Weiß",
                "joerg@p1.example",
                dt.datetime(2025, 3, 31),
                "Completed",
            ],
            [
                "NA-2",
                "P-2",
                "CD-SILVER-HD",
                "Erika Muster",
                "erika@p2.example",
                "15.01.2026",
                "attended",
            ],
        ],
        2,
    ),
]


def test_every_import_kind_has_a_workbook_twin() -> None:
    assert sorted(twin.importer.name for twin in TWINS) == sorted(IMPORTERS)


@pytest.mark.parametrize(
    "saved",
    [workbook, lambda *a, **k: as_excel_saves(workbook(*a, **k))],
    ids=["openpyxl", "excel"],
)
@pytest.mark.parametrize("twin", TWINS, ids=lambda twin: twin.importer.name)
def test_a_workbook_imports_exactly_as_its_csv_twin(
    twin: Twin, saved: Callable[..., bytes]
) -> None:
    # Given what the file's rows need, and the file as a workbook with typed cells, as openpyxl
    # writes it (texts in their cells) and as Excel saves it (texts in a shared table)
    twin.setup()
    content = saved(twin.rows, title="Export")

    # When the workbook is imported
    report = run_import(twin.importer, content, name=f"{twin.importer.name}.xlsx")

    # Then it creates what the CSV twin would, read as a workbook
    assert report.accepted, problem_lines(report)
    assert counts(report) == (True, twin.created, 0, 0)
    assert (report.encoding, report.delimiter, report.sheet, report.rows) == (
        "xlsx",
        "",
        "Export",
        len(twin.rows) - 1,
    )
    assert report.summary().startswith(f"{twin.importer.name}.xlsx:Export: ")
    # And importing the CSV twin afterwards finds every record as the workbook wrote it
    after_workbook = everything()
    again = run_import(twin.importer, excel_csv(twin.csv), name=f"{twin.importer.name}.csv")
    assert counts(again) == (True, 0, 0, twin.created)
    assert everything() == after_workbook


# --- Numbers and dates as Excel stores them ---------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("1.234,50", "1.234,50"),
        (19.99, "19.99"),
        (0.1 + 0.2, "0.3"),
        (100 * 1.15, "115"),
        (0.1 * 3 * 10, "3"),
        (1 / 3, "0.333333333333333"),
        (123456.78901234567, "123456.789012346"),
        (1e-05, "0.00001"),
        (1.5e20, "150000000000000000000"),
        (10.0, "10"),
        (-29.93, "-29.93"),
        (80331, "80331"),
        (True, "TRUE"),
        (False, "FALSE"),
        (dt.datetime(2026, 3, 15), "2026-03-15"),
        (dt.datetime(2026, 3, 15, 10, 30), "2026-03-15 10:30:00"),
        (dt.date(2026, 3, 15), "2026-03-15"),
        (dt.time(10, 30), "10:30:00"),
        (dt.timedelta(hours=30), "1 day, 6:00:00"),
        (CellError("#N/A"), "#N/A"),
    ],
)
def test_a_cell_reads_as_a_plain_csv_file_would_hold_it(value: object, text: str) -> None:
    assert cell_text(value) == text


def _product_rows(price: object) -> list[list[object]]:
    return [
        ["sku", "name_de", "name_en", "kind", "list_price", "unit"],
        ["AV-BOX", "Box", "Box", "retail", price, "Stück"],
    ]


@pytest.mark.parametrize(
    ("price", "stored"),
    [(19.99, Decimal("19.99")), (0.1, Decimal("0.10")), (1234, Decimal("1234.00"))],
)
def test_a_number_cell_becomes_the_exact_decimal_it_shows(price: object, stored: Decimal) -> None:
    report = run_import(PRODUCTS_IMPORTER, workbook(_product_rows(price)), name="p.xlsx")

    assert report.accepted, problem_lines(report)
    assert Product.objects.get().list_price == stored


@pytest.mark.usefixtures("catalogue")
def test_amounts_and_quantities_computed_by_formulas_are_read_as_excel_shows_them() -> None:
    # Given formulas with their results as Excel saves them, 17 digits: =100*1.15 shows 115.00,
    # =0.1+0.2 shows 0.30, =0.1*3*10 shows 3 (openpyxl would write the results shorter)
    rows: list[list[object]] = [
        ORDERS_HEADER,
        ["SO-1", "P-1001", dt.date(2026, 3, 15), "AV-BOX", "=0.1*3*10", "=100*1.15"],
        ["SO-2", "P-1001", dt.date(2026, 3, 15), "AV-BOX", 1, "=0.1+0.2"],
        ["SO-3", "P-1001", dt.date(2026, 3, 15), "AV-BOX", 2, "=19.99"],
    ]
    results = {
        "0.1*3*10": repr(0.1 * 3 * 10),
        "100*1.15": repr(100 * 1.15),
        "0.1+0.2": repr(0.1 + 0.2),
        "19.99": "19.99",
    }
    assert results["100*1.15"] == "114.99999999999999"

    def saved(xml: str) -> str:
        for formula, result in results.items():
            xml = xml.replace(f"<f>{formula}</f><v />", f"<f>{formula}</f><v>{result}</v>")
        return xml

    content = with_sheet_xml(workbook(rows), saved)

    report = run_import(ORDERS_IMPORTER, content, name="orders.xlsx")

    assert counts(report) == (True, 3, 0, 0), problem_lines(report)
    assert sorted(
        OrderLine.objects.values_list("order__order_number", "quantity", "net_amount")
    ) == [
        ("SO-1", 3, Decimal("115.00")),
        ("SO-2", 1, Decimal("0.30")),
        ("SO-3", 2, Decimal("19.99")),
    ]


@pytest.mark.parametrize(
    ("price", "reason"),
    [
        (19.999, "19.999 has more than two decimal places"),
        (1.005, "1.005 has more than two decimal places"),
        ("zwölf", "'zwölf' is not a number (write e.g. 1.234,50 or 1234.50)"),
    ],
)
def test_money_with_more_decimals_than_cents_is_refused_not_rounded(
    price: object, reason: str
) -> None:
    before = everything()

    report = run_import(PRODUCTS_IMPORTER, workbook(_product_rows(price)), name="p.xlsx")

    assert problem_lines(report) == [f"p.xlsx:Sheet1!2: list_price: {reason}"]
    assert everything() == before


@pytest.mark.usefixtures("catalogue")
def test_dates_are_read_as_excel_dates_and_as_text_alike() -> None:
    # Given the same date as a date cell, a date-time cell, German text and ISO text
    rows: list[list[object]] = [ORDERS_HEADER]
    for number, day in enumerate(
        [dt.date(2026, 3, 15), dt.datetime(2026, 3, 15), "15.03.2026", "2026-03-15"]
    ):
        rows.append([f"SO-{number}", "P-1001", day, "AV-BOX", 1, 10.5])
    # When the workbook is imported
    report = run_import(ORDERS_IMPORTER, workbook(rows), name="orders.xlsx")
    # Then every order has that date
    assert counts(report) == (True, 4, 0, 0)
    assert set(OrderLine.objects.values_list("order_date", "net_amount")) == {
        (dt.date(2026, 3, 15), Decimal("10.50"))
    }


@pytest.mark.usefixtures("catalogue")
def test_cells_of_the_wrong_type_are_problems_with_sheet_row_and_column() -> None:
    before = everything()
    rows: list[list[object]] = [
        ORDERS_HEADER,
        ["SO-1", "P-1001", dt.date(2026, 3, 15), "AV-BOX", 2.5, 10],
        ["SO-2", "P-1001", 46096, "AV-BOX", 1, 10],
        ["SO-3", "P-1001", dt.datetime(2026, 3, 15, 9, 30), "AV-BOX", 1, 10],
        ["SO-4", "P-9999", dt.date(2026, 3, 15), "AV-BOX", 1, 10],
    ]

    report = run_import(ORDERS_IMPORTER, workbook(rows, title="Orders"), name="orders.xlsx")

    assert problem_lines(report) == [
        "orders.xlsx:Orders!2: quantity: '2.5' is not a whole number",
        "orders.xlsx:Orders!3: order_date: '46096' is not a date (write dd.mm.yyyy or yyyy-mm-dd)",
        "orders.xlsx:Orders!4: order_date: "
        "'2026-03-15 09:30:00' is not a date (write dd.mm.yyyy or yyyy-mm-dd)",
        "orders.xlsx:Orders!5: partner_number: "
        "unknown partner number P-9999; import the partner first",
    ]
    assert report.summary() == (
        "orders.xlsx:Orders: rejected with 4 problems; nothing was imported."
    )
    assert report.problems[0].as_dict() == {
        "file": "orders.xlsx",
        "sheet": "Orders",
        "row": 2,
        "column": "quantity",
        "message": "'2.5' is not a whole number",
    }
    assert everything() == before


# --- Sheets -------------------------------------------------------------------------------------

PARTNER_ROWS: list[list[object]] = [
    [
        "partner_number",
        "name",
        "street",
        "postal_code",
        "city",
        "country",
        "vat_id",
        "email",
        "status",
    ],
    ["P-1001", "Alpha GmbH", "Weg 1", 80331, "München", "DE", "DE136695976", None, "authorized"],
]
README = {"Read me": [["This workbook holds the partners on the next sheet."]]}


def _import_partners(content: bytes, *, sheet: str | None = None) -> Any:
    return import_file(
        importer=PARTNERS_IMPORTER,
        source=io.BytesIO(content),
        file_name="partners.xlsx",
        sheet=sheet,
    )


def test_a_named_sheet_is_imported() -> None:
    content = workbook(PARTNER_ROWS, title="Partner", before=README)

    report = _import_partners(content, sheet="Partner")

    assert counts(report) == (True, 1, 0, 0)
    assert report.sheet == "Partner"
    assert Partner.objects.get().postal_code == "80331"


def test_without_a_name_the_first_sheet_is_read() -> None:
    before = everything()
    content = workbook(PARTNER_ROWS, title="Partner", before=README)

    report = _import_partners(content)

    assert report.sheet == "Read me"
    assert problem_lines(report)[0] == (
        "partners.xlsx:Read me!1: partner_number: required column is missing from the header"
    )
    assert everything() == before


def test_a_sheet_the_workbook_does_not_have_is_a_clear_problem() -> None:
    before = everything()
    content = workbook(PARTNER_ROWS, title="Partner", before=README)

    report = _import_partners(content, sheet="Partners 2026")

    assert problem_lines(report) == [
        "partners.xlsx: the workbook has no sheet 'Partners 2026'; its sheets: 'Read me', 'Partner'"
    ]
    assert report.summary() == "partners.xlsx: rejected with 1 problem; nothing was imported."
    assert everything() == before


def test_a_sheet_named_for_a_csv_file_is_a_problem() -> None:
    csv = b"partner_number;name\n"

    report = import_file(
        importer=PARTNERS_IMPORTER, source=io.BytesIO(csv), file_name="p.csv", sheet="Partner"
    )

    assert problem_lines(report) == [
        "p.csv: a sheet was named, but the file is CSV, not an .xlsx workbook"
    ]


# --- Rows: header, empty and merged rows, values beyond the header -----------------------------


@pytest.mark.usefixtures("catalogue")
def test_empty_formatted_and_merged_rows_are_ignored_and_rows_keep_their_sheet_numbers() -> None:
    # Given a sheet with a blank row before the header, a blank row between the data rows, and
    # formatted, merged empty rows at its end
    from openpyxl import load_workbook
    from openpyxl.styles import PatternFill

    rows: list[list[object]] = [
        [],
        ORDERS_HEADER,
        ["SO-1", "P-1001", dt.date(2026, 3, 15), "AV-BOX", 1, 10],
        [None, "", "  "],
        ["SO-2", "P-1001", dt.date(2026, 3, 15), "AV-BOX", "x", 10],
    ]
    book = load_workbook(io.BytesIO(workbook(rows)))
    sheet = book.active
    assert sheet is not None
    sheet.merge_cells("A8:F10")
    for row in sheet.iter_rows(min_row=8, max_row=12, max_col=8):
        for cell in row:
            cell.fill = PatternFill("solid", start_color="FFFF00")
    buffer = io.BytesIO()
    book.save(buffer)

    # When it is imported
    report = run_import(ORDERS_IMPORTER, buffer.getvalue(), name="orders.xlsx")

    # Then only the two data rows count, each named by its row in the sheet
    assert report.rows == 2
    assert problem_lines(report) == [
        "orders.xlsx:Sheet1!5: quantity: 'x' is not a number (write e.g. 1.234,50 or 1234.50)"
    ]


@pytest.mark.usefixtures("catalogue")
def test_a_value_right_of_the_header_is_a_problem_and_unknown_columns_a_warning() -> None:
    rows: list[list[object]] = [
        [*ORDERS_HEADER, "Bemerkung"],
        ["SO-1", "P-1001", dt.date(2026, 3, 15), "AV-BOX", 1, 10, "ok"],
        ["SO-2", "P-1001", dt.date(2026, 3, 15), "AV-BOX", 1, 10, None, None, "stray"],
    ]

    report = run_import(ORDERS_IMPORTER, workbook(rows), name="orders.xlsx")

    assert [str(warning) for warning in report.warnings] == [
        "orders.xlsx:Sheet1!1: bemerkung: unknown column; ignored"
    ]
    assert problem_lines(report) == [
        "orders.xlsx:Sheet1!3: has a value in column I, right of the header's last column; "
        "name the column in the header or clear the cell"
    ]


@pytest.mark.usefixtures("catalogue")
def test_a_table_below_and_right_of_a1_keeps_excel_rows_and_columns() -> None:
    # Given a header in row 3 starting in column B (calamine's rows start at the first used
    # column; the import's columns start at A all the same)
    rows: list[list[object]] = [
        [],
        [],
        [None, *ORDERS_HEADER],
        [None, "SO-1", "P-1001", dt.date(2026, 3, 15), "AV-BOX", 1, 10],
        [None, "SO-2", "P-1001", dt.date(2026, 3, 15), "AV-BOX", "x", 10, None, "stray"],
    ]

    report = run_import(ORDERS_IMPORTER, workbook(rows), name="orders.xlsx")

    assert problem_lines(report) == [
        "orders.xlsx:Sheet1!5: has a value in column I, right of the header's last column; "
        "name the column in the header or clear the cell",
    ]


def test_control_characters_in_cells_are_refused_as_in_csv() -> None:
    rows = _product_rows(10)
    rows[1][1] = "Box\tBox"

    report = run_import(PRODUCTS_IMPORTER, workbook(rows), name="p.xlsx")

    assert problem_lines(report) == [
        "p.xlsx:Sheet1!2: name_de: contains the control character U+0009; remove it"
    ]


# --- Formulas -----------------------------------------------------------------------------------


def _formula_workbook() -> bytes:
    rows = _product_rows("=B2*2")
    return workbook(rows)


def test_a_formula_cell_with_its_saved_result_gives_that_result() -> None:
    # Given the workbook as Excel saves it: the formula and its result
    content = with_sheet_xml(
        _formula_workbook(), lambda xml: xml.replace("<f>B2*2</f><v />", "<f>B2*2</f><v>19.99</v>")
    )

    report = run_import(PRODUCTS_IMPORTER, content, name="p.xlsx")

    assert report.accepted, problem_lines(report)
    assert Product.objects.get().list_price == Decimal("19.99")


def test_a_formula_cell_without_a_saved_result_reads_as_an_empty_cell() -> None:
    # Given the workbook as openpyxl writes it: the formula, no result (Excel and LibreOffice
    # always save one; calamine cannot tell this cell from an empty one, docs/imports.md)
    before = everything()

    report = run_import(PRODUCTS_IMPORTER, _formula_workbook(), name="p.xlsx")

    assert problem_lines(report) == ["p.xlsx:Sheet1!2: list_price: a value is required"]
    assert everything() == before


def test_an_excel_error_in_a_cell_is_a_clear_problem() -> None:
    content = with_sheet_xml(
        _formula_workbook(),
        lambda xml: xml.replace(
            '<c r="E2"><f>B2*2</f><v /></c>', '<c r="E2" t="e"><f>B2*2</f><v>#VALUE!</v></c>'
        ),
    )

    report = run_import(PRODUCTS_IMPORTER, content, name="p.xlsx")

    assert problem_lines(report) == [
        "p.xlsx:Sheet1!2: list_price: the cell holds the Excel error #VALUE!; correct the formula "
        "or type the value"
    ]


@pytest.mark.parametrize("shared_strings", [False, True], ids=["inline", "shared-strings"])
def test_excel_errors_are_found_in_every_row_and_column_the_import_reads(
    shared_strings: bool,
) -> None:
    # Given errors as Excel saves them: in a later row, in a text column, with a namespace
    # prefix and single quotes, and one in a column the import does not read (no header name)
    rows = _product_rows(10)
    rows.append(["AV-ENT", "Lizenz", "Licence", "license", 20, "year"])
    rows.append(["AV-X", "X", "X", "license", 30, "year"])
    content = workbook(rows)
    if shared_strings:
        content = as_excel_saves(content)

    def errors(xml: str) -> str:
        xml = xml.replace('<c r="E3" t="n"><v>20</v></c>', '<c r="E3" t="e"><v>#DIV/0!</v></c>')
        xml = xml.replace('<c r="E4" t="n"><v>30</v></c>', "<c r='E4' s='0' t='e'><v>#N/A</v></c>")
        return xml.replace(
            "</row></sheetData>", '<c r="H4" t="e"><v>#REF!</v></c></row></sheetData>'
        )

    report = run_import(PRODUCTS_IMPORTER, with_sheet_xml(content, errors), name="p.xlsx")

    assert problem_lines(report) == [
        "p.xlsx:Sheet1!3: list_price: the cell holds the Excel error #DIV/0!; correct the formula "
        "or type the value",
        "p.xlsx:Sheet1!4: list_price: the cell holds the Excel error #N/A; correct the formula "
        "or type the value",
        "p.xlsx:Sheet1!4: has a value in column H, right of the header's last column; name the "
        "column in the header or clear the cell",
    ]


def test_an_excel_error_alone_in_the_last_row_is_a_problem_not_an_empty_row() -> None:
    # Given a last row holding nothing but an error (which calamine reads as an empty text)
    content = with_sheet_xml(
        workbook(_product_rows(10)),
        lambda xml: xml.replace(
            "</row></sheetData>",
            '</row><row r="3"><c r="E3" t="e"><v>#REF!</v></c></row></sheetData>',
        ),
    )

    report = run_import(PRODUCTS_IMPORTER, content, name="p.xlsx")

    assert problem_lines(report) == [
        "p.xlsx:Sheet1!3: list_price: the cell holds the Excel error #REF!; correct the formula "
        "or type the value"
    ]


def test_a_text_formula_with_an_empty_result_is_an_empty_cell() -> None:
    # Given an optional-looking cell whose formula Excel calculated to "" (t="str", empty <v>)
    rows = _product_rows(10)
    rows[1][2] = '=""'
    content = with_sheet_xml(
        workbook(rows),
        lambda xml: xml.replace(
            '<c r="C2"><f>""</f><v /></c>', '<c r="C2" t="str"><f>""</f><v/></c>'
        ),
    )

    report = run_import(PRODUCTS_IMPORTER, content, name="p.xlsx")

    # Then the cell is read as empty, not as a formula without a result
    assert problem_lines(report) == ["p.xlsx:Sheet1!2: name_en: a value is required"]


# --- Files that are not readable workbooks -----------------------------------------------------


def _truncated() -> bytes:
    content = workbook(_product_rows(10))
    return content[: len(content) // 2]


def _damaged_sheet() -> bytes:
    """The sheet's XML cut off in the middle of a tag (calamine reads past a misnamed end tag,
    so the damage is one no reader can read past)."""
    return with_sheet_xml(workbook(_product_rows(10)), lambda xml: xml[: xml.index("</row>") + 3])


def _plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a workbook")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "name", "problem"),
    [
        (
            b"sku;name_de\nAV-BOX;Box\n",
            "products.xlsx",
            "products.xlsx: not a readable .xlsx workbook (File is not a zip file)",
        ),
        (
            _truncated(),
            "products.xlsx",
            "products.xlsx: not a readable .xlsx workbook (File is not a zip file)",
        ),
        (
            _plain_zip(),
            "products.xlsx",
            "products.xlsx: a zip archive, but not an .xlsx workbook "
            "(\"There is no item named '[Content_Types].xml' in the archive\")",
        ),
        (
            spreadsheets.OLE_SIGNATURE + b"\x00" * 504,
            "products.xlsx",
            "products.xlsx: an encrypted (password-protected) workbook or an old .xls file; "
            "save it as .xlsx without a password, or as CSV",
        ),
        (
            spreadsheets.OLE_SIGNATURE + b"\x00" * 504,
            "products.csv",
            "products.csv: an encrypted (password-protected) workbook or an old .xls file; "
            "save it as .xlsx without a password, or as CSV",
        ),
        (
            workbook([]),
            "products.xlsx",
            "products.xlsx:Sheet1: the sheet is empty; expected a header row: "
            "sku, name_de, name_en, kind, list_price, unit",
        ),
        (
            workbook([[None, None], []]),
            "products.xlsx",
            "products.xlsx:Sheet1: the sheet is empty; expected a header row: "
            "sku, name_de, name_en, kind, list_price, unit",
        ),
    ],
    ids=["text", "truncated", "plain-zip", "encrypted", "encrypted-as-csv", "empty", "blank"],
)
def test_a_file_that_is_no_readable_workbook_is_one_clear_problem(
    content: bytes, name: str, problem: str
) -> None:
    before = everything()

    report = run_import(PRODUCTS_IMPORTER, content, name=name)

    assert problem_lines(report) == [problem]
    assert everything() == before


def test_a_damaged_sheet_is_a_clear_problem() -> None:
    report = run_import(PRODUCTS_IMPORTER, _damaged_sheet(), name="products.xlsx")

    [problem] = problem_lines(report)
    assert problem.startswith("products.xlsx:Sheet1: the sheet 'Sheet1' is damaged (")
    assert not Product.objects.exists()


def test_a_workbook_is_told_by_its_first_bytes_whatever_its_name() -> None:
    report = run_import(PRODUCTS_IMPORTER, workbook(_product_rows(19.99)), name="export.dat")

    assert counts(report) == (True, 1, 0, 0)
    assert report.encoding == "xlsx"


def test_a_workbook_unpacking_beyond_the_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a limit below what this workbook unpacks to
    content = workbook(_product_rows(10))
    monkeypatch.setattr(spreadsheets, "MAX_UNPACKED_BYTES", 4_000)

    report = run_import(PRODUCTS_IMPORTER, content, name="p.xlsx")

    [problem] = problem_lines(report)
    assert problem.startswith("p.xlsx: the workbook unpacks to ")
    assert problem.endswith(" bytes, more than the 4,000 allowed; split it into several files")
    assert not Product.objects.exists()


def _declaring(content: bytes, part: str, size: int) -> bytes:
    """The archive with `part` declaring `size` unpacked bytes (in its local header and in the
    central directory), less than it unpacks to: how a zip bomb hides from a size check."""
    data = bytearray(content)
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(part)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + length] == part.encode():
            struct.pack_into("<I", data, central + 24, size)
            return bytes(data)
        central = data.find(b"PK\x01\x02", central + 4)
    raise AssertionError(part)


@pytest.mark.parametrize(
    ("part", "problem"),
    [
        ("xl/worksheets/sheet1.xml", "p.xlsx:Sheet1: the sheet 'Sheet1' is damaged (Bad CRC-32"),
        ("xl/styles.xml", "p.xlsx: the workbook is damaged (Bad CRC-32"),
    ],
    ids=["sheet", "styles"],
)
def test_a_part_unpacking_to_more_than_it_declares_is_never_unpacked_past_it(
    part: str, problem: str
) -> None:
    # Given an archive whose part says it unpacks to 100 bytes, and unpacks to more
    content = _declaring(workbook(_product_rows(10)), part, 100)

    report = run_import(PRODUCTS_IMPORTER, content, name="p.xlsx")

    [line] = problem_lines(report)
    assert line.startswith(problem)
    assert not Product.objects.exists()


def test_a_workbook_with_too_much_text_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    content = as_excel_saves(workbook(_product_rows(10)))
    monkeypatch.setattr(spreadsheets, "MAX_SHARED_STRINGS_BYTES", 10)

    report = run_import(PRODUCTS_IMPORTER, content, name="p.xlsx")

    [problem] = problem_lines(report)
    assert problem.startswith("p.xlsx: the workbook's texts take ")
    assert not Product.objects.exists()


# --- Large workbooks: staged a chunk at a time, with progress ----------------------------------


def _large_orders(lines: int) -> bytes:
    """An orders workbook of `lines` lines, written in openpyxl's streaming mode."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Orders")
    sheet.append(ORDERS_HEADER)
    day = dt.date(2026, 3, 15)
    for line in range(lines):
        sheet.append([f"SO-{line // 2}", "P-1001", day, "AV-BOX", 1, line % 90 + 1.5])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.usefixtures("catalogue")
def test_a_large_workbook_is_staged_a_chunk_at_a_time_with_rising_progress(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a workbook of more lines than a chunk, and the staging writes recorded
    from channeldesk.core.staging import StagingTable

    written: list[int] = []
    original = StagingTable.write

    def recorded(self: StagingTable, rows: Sequence[tuple[Any, ...]]) -> None:
        written.append(len(rows))
        original(self, rows)

    monkeypatch.setattr(StagingTable, "write", recorded)
    monkeypatch.setattr(importing, "PROGRESS_STEP_BYTES", 40_000)
    lines = CHUNK_ROWS * 2 + 10
    content = _large_orders(lines)
    seen: list[ImportProgress] = []

    # When it is imported with a progress callback
    report = import_file(
        importer=ORDERS_IMPORTER,
        source=io.BytesIO(content),
        file_name="orders.xlsx",
        total_bytes=len(content),
        progress=seen.append,
    )

    # Then every line was imported, never more than a chunk held at a time
    assert counts(report) == (True, lines // 2, 0, 0)
    assert written == [CHUNK_ROWS, CHUNK_ROWS, 10]
    assert OrderLine.objects.count() == lines
    # And reading reported its progress rising to the whole file, then the later stages
    reading = [item for item in seen if item.stage is ImportStage.READING]
    assert len(reading) >= 3
    assert [item.done for item in reading] == sorted(item.done for item in reading)
    assert 0 < reading[0].done < len(content)
    assert reading[-1] == ImportProgress(ImportStage.READING, len(content), len(content), lines)
    assert [item.stage for item in seen][-2:] == [ImportStage.CHECKING, ImportStage.WRITING]


# --- Damaged archives: a clean problem, never a traceback -------------------------------------


def _central_entry(data: bytearray, part: str) -> int:
    """Where the central directory's entry of `part` starts."""
    central = data.find(b"PK\x01\x02")
    while central >= 0:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + length] == part.encode():
            return central
        central = data.find(b"PK\x01\x02", central + 4)
    raise AssertionError(part)


def _flagged(content: bytes, part: str, bit: int) -> bytes:
    """`part` with general purpose flag `bit` set: 0 encrypted (zipfile asks for a password),
    5 compressed patched data and 6 strong encryption (zipfile cannot unpack either)."""
    data = bytearray(content)
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(part)
    for flags in (info.header_offset + 6, _central_entry(data, part) + 8):
        data[flags] |= 1 << bit
    return bytes(data)


def _compressed_with(content: bytes, part: str, method: int) -> bytes:
    """`part` saying it is compressed with `method` (99: AES, which zipfile cannot unpack)."""
    data = bytearray(content)
    info = zipfile.ZipFile(io.BytesIO(content)).getinfo(part)
    struct.pack_into("<H", data, info.header_offset + 8, method)
    struct.pack_into("<H", data, _central_entry(data, part) + 10, method)
    return bytes(data)


def _needing_zip_version(content: bytes, part: str, version: int) -> bytes:
    """`part` needing a newer zip version to unpack than zipfile knows."""
    data = bytearray(content)
    struct.pack_into("<H", data, _central_entry(data, part) + 6, version)
    return bytes(data)


def _damaged_central_directory(content: bytes) -> bytes:
    """The end record placing the central directory further on than it is: the parts' offsets
    are moved by the difference, before the start of the file ("negative seek value")."""
    data = bytearray(content)
    end = data.rfind(b"PK\x05\x06")
    offset = struct.unpack_from("<I", data, end + 16)[0]
    struct.pack_into("<I", data, end + 16, offset + len(data))
    return bytes(data)


def _products_workbook() -> bytes:
    return workbook(_product_rows(19.99))


DAMAGED = {
    "encrypted-styles": (
        lambda: _flagged(_products_workbook(), "xl/styles.xml", 0),
        "p.xlsx: the workbook's part 'xl/styles.xml' is encrypted (password-protected); save it "
        "as .xlsx without a password, or as CSV",
    ),
    "encrypted-sheet": (
        lambda: _flagged(_products_workbook(), "xl/worksheets/sheet1.xml", 0),
        "p.xlsx: the workbook's part 'xl/worksheets/sheet1.xml' is encrypted "
        "(password-protected); save it as .xlsx without a password, or as CSV",
    ),
    "patched-data-sheet": (
        lambda: _flagged(_products_workbook(), "xl/worksheets/sheet1.xml", 5),
        "p.xlsx:Sheet1: the sheet 'Sheet1' is damaged (compressed patched data (flag bit 5))",
    ),
    "strong-encryption-styles": (
        lambda: _flagged(_products_workbook(), "xl/styles.xml", 6),
        "p.xlsx: the workbook is damaged (strong encryption (flag bit 6))",
    ),
    "compression-99-sheet": (
        lambda: _compressed_with(_products_workbook(), "xl/worksheets/sheet1.xml", 99),
        "p.xlsx:Sheet1: the sheet 'Sheet1' is damaged (That compression method is not supported)",
    ),
    "compression-99-styles": (
        lambda: _compressed_with(_products_workbook(), "xl/styles.xml", 99),
        "p.xlsx: the workbook is damaged (That compression method is not supported)",
    ),
    "zip-version": (
        lambda: _needing_zip_version(_products_workbook(), "xl/styles.xml", 99),
        "p.xlsx: not a readable .xlsx workbook (zip file version 9.9)",
    ),
    "central-directory": (
        lambda: _damaged_central_directory(_products_workbook()),
        "p.xlsx: the workbook is damaged (negative seek value -",
    ),
}


@pytest.mark.parametrize(("make", "problem"), DAMAGED.values(), ids=DAMAGED.keys())
def test_a_damaged_archive_is_one_clear_problem_naming_the_file(
    make: Callable[[], bytes], problem: str
) -> None:
    before = everything()

    report = run_import(PRODUCTS_IMPORTER, make(), name="p.xlsx")

    [line] = problem_lines(report)
    assert line.startswith(problem)
    assert everything() == before


def _flipped(content: bytes, rng: random.Random) -> bytes:
    data = bytearray(content)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return bytes(data)


@pytest.mark.parametrize("shared_strings", [False, True], ids=["inline", "shared-strings"])
def test_flipped_bits_give_a_clean_import_or_clear_problems_never_an_exception(
    shared_strings: bool,
) -> None:
    # Given a valid workbook (with an error cell, so that its scan runs) and a fixed seed
    content = workbook([*_product_rows(19.99), ["AV-TWO", "Zwei", "Two", "retail", 5, "Stück"]])
    content = with_sheet_xml(
        content, lambda xml: xml.replace('<c r="E3" t="n"><v>5</v>', '<c r="E3" t="e"><v>#N/A</v>')
    )
    if shared_strings:
        content = as_excel_saves(content)
    rng = random.Random(16)
    outcomes = {"imported": 0, "problems": 0}

    for _ in range(200):
        # When a few bits of it are flipped, the import either takes it or lists problems
        report = run_import(PRODUCTS_IMPORTER, _flipped(content, rng), name="p.xlsx", dry_run=True)

        assert report.accepted or report.problems, problem_lines(report)
        outcomes["imported" if report.accepted else "problems"] += 1

    assert outcomes["problems"] > 100


def test_the_api_answers_a_damaged_archive_with_400_and_the_problem(
    personas: Personas, api_client: APIClient
) -> None:
    api_client.force_authenticate(personas.staff)
    upload = SimpleUploadedFile(
        "products.xlsx",
        _damaged_central_directory(_products_workbook()),
        content_type=spreadsheets.XLSX_CONTENT_TYPE,
    )

    response = api_client.post("/api/v1/imports/products", {"file": upload}, format="multipart")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    [detail] = error["details"]
    assert detail["message"].startswith("the workbook is damaged (")
    assert detail == {
        "file": "products.xlsx",
        "row": None,
        "column": None,
        "message": detail["message"],
    }
    assert not Product.objects.exists()


def test_the_command_names_a_damaged_archive_and_fails_without_a_traceback(
    tmp_path: Path,
) -> None:
    path = tmp_path / "products.xlsx"
    path.write_bytes(_compressed_with(_products_workbook(), "xl/worksheets/sheet1.xml", 99))
    stderr = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("import", "products", str(path), stderr=stderr)

    assert str(raised.value) == f"{path}:Sheet1: rejected with 1 problem; nothing was imported."
    assert stderr.getvalue().splitlines() == [
        f"{path}:Sheet1: the sheet 'Sheet1' is damaged (That compression method is not supported)"
    ]
    assert not Product.objects.exists()
