"""Reading an export's two files in tests: the CSV and the `?format=xlsx` workbook of the same
URL, and the workbook's typed cells in the CSV's notation, so a test can say "the same rows"."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from typing import Any

from django.test import Client
from django.utils import translation
from openpyxl import load_workbook
from openpyxl.cell.cell import Cell, MergedCell
from openpyxl.worksheet.worksheet import Worksheet

from channeldesk.core.exports import (
    CONTENT_TYPE,
    GERMAN_EXCEL,
    PLAIN_CSV,
    XLSX_CONTENT_TYPE,
    ExportFormat,
    neutralise_text,
)


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return bytes(response.content)


def xlsx_of(client: Client, url: str, query: dict[str, str] | None = None) -> Worksheet:
    """The sheet of the export's workbook (asserting the response is an .xlsx download)."""
    response = client.get(url, {**(query or {}), "format": "xlsx"})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="'), disposition
    assert disposition.endswith('.xlsx"'), disposition
    sheet = load_workbook(io.BytesIO(_body(response))).active
    assert isinstance(sheet, Worksheet)
    assert sheet.freeze_panes == "A2"
    return sheet


def csv_rows_of(client: Client, url: str, query: dict[str, str] | None = None) -> list[list[str]]:
    """The export's CSV, header included, as cells (either dialect)."""
    response = client.get(url, query or {})
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == CONTENT_TYPE
    assert response["Content-Disposition"].endswith('.csv"')
    text = _body(response).decode("utf-8")
    german = text.startswith("\ufeff")
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";" if german else ",")
    return list(reader)


def _number_text(cell: Cell, export: ExportFormat) -> str:
    if cell.number_format == "0":
        assert float(cell.value) == int(cell.value)  # type: ignore[arg-type]
        return str(int(cell.value))  # type: ignore[arg-type]
    places = len(cell.number_format.removeprefix("0."))
    value = Decimal(str(cell.value)).quantize(Decimal(1).scaleb(-places))
    return f"{value:f}".replace(".", export.decimal_mark)


def _date_text(cell: Cell, export: ExportFormat) -> str:
    value = cell.value
    assert isinstance(value, dt.datetime)
    patterns = {
        export.excel_date_format: export.date_pattern,
        export.excel_month_format: export.month_pattern,
    }
    return value.strftime(patterns[cell.number_format])


def cell_as_csv_text(cell: Cell | MergedCell, export: ExportFormat) -> str:
    """What the CSV writer writes for the value the workbook holds in `cell`."""
    assert isinstance(cell, Cell)  # an export merges no cells
    match cell.data_type:
        case "s":
            return neutralise_text(str(cell.value))
        case "n" if cell.value is None:
            return ""
        case "n":
            return _number_text(cell, export)
        case "d":
            return _date_text(cell, export)
        case "b":
            with translation.override(export.language):
                return translation.gettext("yes") if cell.value else translation.gettext("no")
    raise AssertionError(f"unexpected cell type {cell.data_type} in {cell.coordinate}")


def xlsx_as_csv_rows(sheet: Worksheet, *, language: str) -> list[list[str]]:
    """The sheet, header included, in the CSV's notation for a reader of `language`."""
    export = GERMAN_EXCEL if language == "de" else PLAIN_CSV
    width = sheet.max_column
    return [
        [cell_as_csv_text(cell, export) for cell in row][:width]
        for row in sheet.iter_rows(min_row=1, max_col=width)
    ]


def assert_same_rows(
    client: Client, url: str, query: dict[str, str] | None = None, *, language: str
) -> list[list[str]]:
    """The CSV and the workbook of the export hold the same header and rows; returns them."""
    client.cookies["django_language"] = language
    expected = csv_rows_of(client, url, query)
    sheet = xlsx_of(client, url, query)
    assert xlsx_as_csv_rows(sheet, language=language) == expected
    return expected
