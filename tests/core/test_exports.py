"""The one CSV writer: the reader's dialect, translated headers, and cells safe from formulas."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext_lazy

from channeldesk.contracts.models import CustomerSector
from channeldesk.core.exports import (
    GERMAN_EXCEL,
    PLAIN_CSV,
    CsvExport,
    ExportColumn,
    Month,
    export_format,
    neutralise_text,
)

COLUMNS = (
    ExportColumn("customer_name", gettext_lazy("Customer")),
    ExportColumn("sector", gettext_lazy("Sector")),
    ExportColumn("day", gettext_lazy("Date")),
    ExportColumn("usage_month", gettext_lazy("Usage month")),
    ExportColumn("net_amount", gettext_lazy("Net amount")),
    ExportColumn("seats", gettext_lazy("Seats")),
    ExportColumn("active", gettext_lazy("Status")),
)
ROW = (
    "Müller GmbH",
    CustomerSector.PUBLIC_AUTHORITY.label,
    dt.date(2026, 12, 31),
    Month(dt.date(2026, 10, 1)),
    Decimal("-1234.50"),
    12,
    True,
)


def _read(text: str, *, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=delimiter))


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+49 89 123", "'+49 89 123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Müller GmbH", "Müller GmbH"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_text_that_would_run_as_a_formula_gets_a_leading_apostrophe(
    text: str, written: str
) -> None:
    assert neutralise_text(text) == written


def test_german_reader_gets_german_excel_with_translated_header_and_names() -> None:
    # Given a German reader
    with translation.override("de"):
        export = export_format()

    # When a row is written
    text = CsvExport(columns=COLUMNS, export=export).text([ROW])

    # Then it is what German Excel reads: BOM, semicolons, CRLF, decimal comma, German dates
    assert export is GERMAN_EXCEL
    assert text.startswith("\ufeff")
    assert text.endswith("\r\n")
    assert _read(text, delimiter=";") == [
        ["Kunde", "Branche", "Datum", "Nutzungsmonat", "Nettobetrag", "Lizenzen", "Status"],
        ["Müller GmbH", "Behörde", "31.12.2026", "10.2026", "-1234,50", "12", "ja"],
    ]


def test_english_reader_gets_plain_csv_with_iso_dates_and_decimal_points() -> None:
    # Given an English reader
    with translation.override("en"):
        export = export_format()

    # When a row is written
    text = CsvExport(columns=COLUMNS, export=export).text([ROW])

    # Then it is plain CSV in English: no BOM, commas, ISO dates, decimal point
    assert export is PLAIN_CSV
    assert not text.startswith("\ufeff")
    assert _read(text, delimiter=",") == [
        ["Customer", "Sector", "Date", "Usage month", "Net amount", "Seats", "Status"],
        ["Müller GmbH", "public authority", "2026-12-31", "2026-10", "-1234.50", "12", "yes"],
    ]


def test_negative_numbers_stay_numbers_but_text_that_looks_negative_is_neutralised() -> None:
    writer = CsvExport(
        columns=(ExportColumn("a", "a"), ExportColumn("b", "b")), export=GERMAN_EXCEL
    )

    assert writer.texts([Decimal("-12.50"), "-12,50"]) == ["-12,50", "'-12,50"]


def test_a_formula_in_a_name_cannot_break_out_of_its_cell() -> None:
    writer = CsvExport(columns=(ExportColumn("a", "a"), ExportColumn("b", "b")), export=PLAIN_CSV)

    text = writer.text([['=1+1;"x"\n=2', "ok"]])

    assert _read(text, delimiter=",")[1] == ['\'=1+1;"x"\n=2', "ok"]


def test_empty_cells_and_cells_of_an_unknown_type() -> None:
    writer = CsvExport(columns=(ExportColumn("a", "a"),), export=PLAIN_CSV)

    assert writer.texts([None]) == [""]
    with pytest.raises(TypeError, match="cannot export a float cell"):
        writer.texts([1.5])
    with pytest.raises(ValueError, match="2 cells for 1 columns"):
        writer.texts(["x", "y"])


def test_the_active_language_chooses_the_dialect_when_none_is_given() -> None:
    assert export_format(language="de-de") is GERMAN_EXCEL
    assert export_format(language="en") is PLAIN_CSV
    assert export_format(language="fr") is PLAIN_CSV
