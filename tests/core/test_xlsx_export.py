"""The Excel variant of the one export writer: typed cells, the reader's language, no formulas."""

from __future__ import annotations

import datetime as dt
import io
import tracemalloc
import zipfile
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import BadRequest
from django.http import FileResponse, HttpResponse
from django.test import RequestFactory
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from channeldesk.core import exports
from channeldesk.core.exports import (
    GERMAN_EXCEL,
    PLAIN_CSV,
    XLSX_CONTENT_TYPE,
    CsvExport,
    ExportColumn,
    ExportFormat,
    FileFormat,
    XlsxExport,
    requested_file_format,
    sheet_name,
    xlsx_download,
)
from tests.core.test_exports import COLUMNS, ROW

ONE = (ExportColumn("a", "a"),)


def _workbook_bytes(
    rows: Sequence[Sequence[object]],
    *,
    export: ExportFormat = PLAIN_CSV,
    columns: Sequence[ExportColumn] = COLUMNS,
    title: str = "Customers",
) -> bytes:
    target = io.BytesIO()
    count = XlsxExport(columns=columns, export=export, title=title).write(target=target, rows=rows)
    assert count == len(rows)
    return target.getvalue()


def _sheet(data: bytes) -> Worksheet:
    sheet = load_workbook(io.BytesIO(data)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def _single(value: object, *, export: ExportFormat = PLAIN_CSV) -> tuple[object, str, str]:
    """The value, data type and number format of a one-cell row as read back."""
    cell = _sheet(_workbook_bytes([[value]], export=export, columns=ONE))["A2"]
    return cell.value, cell.data_type, cell.number_format


def test_english_reader_gets_typed_cells_with_iso_formats_and_an_english_header() -> None:
    sheet = _sheet(_workbook_bytes([ROW], export=PLAIN_CSV))

    header, row = list(sheet.iter_rows())
    assert [cell.value for cell in header] == [
        "Customer",
        "Sector",
        "Date",
        "Usage month",
        "Net amount",
        "Seats",
        "Status",
    ]
    assert all(cell.font.b for cell in header)
    assert [(cell.value, cell.data_type, cell.number_format) for cell in row] == [
        ("Müller GmbH", "s", "General"),
        ("public authority", "s", "General"),
        (dt.datetime(2026, 12, 31), "d", "YYYY-MM-DD"),
        (dt.datetime(2026, 10, 1), "d", "YYYY-MM"),
        (-1234.5, "n", "0.00"),
        (12, "n", "0"),
        (True, "b", "General"),
    ]


def test_german_reader_gets_a_german_header_names_and_german_date_formats() -> None:
    sheet = _sheet(_workbook_bytes([ROW], export=GERMAN_EXCEL))

    header, row = list(sheet.iter_rows())
    assert [cell.value for cell in header] == [
        "Kunde",
        "Branche",
        "Datum",
        "Nutzungsmonat",
        "Nettobetrag",
        "Lizenzen",
        "Status",
    ]
    assert row[1].value == "Behörde"
    assert [cell.number_format for cell in row[2:6]] == ["DD.MM.YYYY", "MM.YYYY", "0.00", "0"]
    assert row[4].value == -1234.5


def test_the_sheet_is_named_after_the_export_with_a_frozen_header_and_widths() -> None:
    sheet = _sheet(_workbook_bytes([ROW], title="Renewals: 2026/12"))

    assert sheet.title == "Renewals  2026 12"
    assert sheet.freeze_panes == "A2"
    # "public authority" (16 characters) and two of margin; short columns get the minimum.
    assert sheet.column_dimensions["B"].width == 18
    assert sheet.column_dimensions["F"].width == 8


def test_a_sheet_name_is_at_most_31_characters_without_forbidden_ones() -> None:
    assert sheet_name("a" * 40) == "a" * 31
    assert sheet_name("[*?]") == "Export"


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil")',
        "=1+1",
        "+49 89 123",
        "-2+3",
        "@SUM(A1)",
        "\t=1+1",
        "\r=1+1",
        "=cmd|' /C calc'!A0",
    ],
)
def test_text_that_would_run_as_a_formula_is_stored_as_text_never_as_a_formula(
    text: str,
) -> None:
    data = _workbook_bytes([[text]], columns=ONE)

    cell = _sheet(data)["A2"]
    assert cell.data_type == "s"
    # XML reads a carriage return as a line feed: still text that runs nothing.
    assert cell.value == text.replace("\r", "\n")
    # Excel's quote prefix keeps it text when someone edits the cell.
    assert cell.quotePrefix is True
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")


@pytest.mark.parametrize("text", ["Müller GmbH", "a=b", "1+1"])
def test_ordinary_text_is_a_string_cell_without_a_quote_prefix(text: str) -> None:
    cell = _sheet(_workbook_bytes([[text]], columns=ONE))["A2"]

    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", False)


def test_a_translated_label_is_text_and_neutralised_too() -> None:
    cell = _sheet(_workbook_bytes([[gettext_lazy("=1+1")]], columns=ONE))["A2"]

    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=1+1", "s", True)


def test_amounts_excel_holds_exactly_are_numbers_with_their_decimals_shown() -> None:
    assert _single(Decimal("9999999999999.99")) == (9999999999999.99, "n", "0.00")
    assert _single(Decimal("0.05")) == (0.05, "n", "0.00")
    assert _single(Decimal("12.5")) == (12.5, "n", "0.0")
    assert _single(Decimal("1E+2")) == (100, "n", "0")
    assert _single(Decimal("-0.00")) == (0, "n", "0.00")
    value, _type, _format = _single(Decimal("1234567890123.45"))
    assert Decimal(str(value)) == Decimal("1234567890123.45")


def test_numbers_excel_cannot_hold_exactly_are_text_in_the_readers_notation() -> None:
    assert _single(Decimal("12345678901234.567"), export=GERMAN_EXCEL) == (
        "12345678901234,567",
        "s",
        "General",
    )
    assert _single(Decimal("12345678901234.567")) == ("12345678901234.567", "s", "General")
    assert _single(12345678901234567) == ("12345678901234567", "s", "General")
    assert _single(Decimal("NaN")) == ("NaN", "s", "General")


def test_a_negative_number_is_a_number_but_text_that_looks_negative_is_text() -> None:
    columns = (ExportColumn("a", "a"), ExportColumn("b", "b"))

    amount, text = _sheet(_workbook_bytes([[Decimal("-12.50"), "-12,50"]], columns=columns))[2]

    assert (amount.value, amount.data_type) == (-12.5, "n")
    assert (text.value, text.data_type, text.quotePrefix) == ("-12,50", "s", True)


def test_a_moment_is_written_in_local_time_without_a_time_zone() -> None:
    moment = dt.datetime(2026, 7, 1, 10, 30, tzinfo=dt.UTC)

    english = _single(moment)
    german = _single(moment, export=GERMAN_EXCEL)

    local = timezone.localtime(moment).replace(tzinfo=None)
    assert english == (local, "d", "YYYY-MM-DD HH:MM:SS")
    assert german == (local, "d", "DD.MM.YYYY HH:MM")


def test_empty_cells_characters_xml_cannot_hold_and_unknown_types() -> None:
    assert _single(None)[0] is None
    assert _single("a\x00b\x1fc\nd")[0] == "a\ufffdb\ufffdc\nd"
    writer = XlsxExport(columns=ONE, export=PLAIN_CSV, title="x")
    with pytest.raises(TypeError, match="cannot export a float cell"):
        writer.write(target=io.BytesIO(), rows=[[1.5]])
    with pytest.raises(ValueError, match="2 cells for 1 columns"):
        writer.write(target=io.BytesIO(), rows=[["x", "y"]])


def test_the_workbook_holds_the_same_rows_as_the_csv_of_the_same_export() -> None:
    rows = [ROW, ("=evil", None, dt.date(2027, 1, 2), None, Decimal("0.10"), 0, False)]

    sheet = _sheet(_workbook_bytes(rows, export=GERMAN_EXCEL))
    csv_writer = CsvExport(columns=COLUMNS, export=GERMAN_EXCEL)

    # The CSV notation of what the workbook holds is the CSV's, but for the apostrophe and the
    # booleans (Excel cells of their own).
    read = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(read) == 2
    assert read[1][0] == "=evil"
    assert csv_writer.texts(rows[1])[0] == "'=evil"
    assert read[1][2] == dt.datetime(2027, 1, 2)
    assert Decimal(str(read[1][4])) == Decimal("0.10")
    assert read[1][5:] == (0, False)


def test_requested_file_format_is_csv_unless_xlsx_is_asked_for() -> None:
    factory = RequestFactory()

    assert requested_file_format(factory.get("/x")) is FileFormat.CSV
    assert requested_file_format(factory.get("/x", {"format": "csv"})) is FileFormat.CSV
    assert requested_file_format(factory.get("/x", {"format": "xlsx"})) is FileFormat.XLSX
    with translation.override("en"), pytest.raises(BadRequest, match="Unknown export format ods"):
        requested_file_format(factory.get("/x", {"format": "ods"}))


def test_the_download_is_an_xlsx_attachment() -> None:
    writer = XlsxExport(columns=COLUMNS, export=PLAIN_CSV, title="Customers")

    response = xlsx_download(writer=writer, rows=[ROW], filename="customers-2026-12-07.xlsx")

    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == ('attachment; filename="customers-2026-12-07.xlsx"')
    assert isinstance(response, FileResponse)
    data = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert _sheet(data)["A2"].value == "Müller GmbH"
    with pytest.raises(ValueError, match=r"not the name of an \.xlsx file"):
        xlsx_download(writer=writer, rows=[], filename="customers.csv")


def test_a_download_beyond_the_row_cap_is_refused_pointing_to_the_csv(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 3)
    writer = XlsxExport(columns=ONE, export=PLAIN_CSV, title="Few")
    taken: list[int] = []

    def rows(count: int) -> Iterator[list[object]]:
        for number in range(count):
            taken.append(number)
            yield [f"row {number}"]

    # Up to the cap: the workbook, every row in it
    response = xlsx_download(writer=writer, rows=rows(3), filename="few.xlsx")
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    assert isinstance(response, FileResponse)
    data = b"".join(response.streaming_content)  # type: ignore[arg-type]
    assert [cell.value for cell in _sheet(data)["A"]] == ["a", "row 0", "row 1", "row 2"]

    # One more: 400 in plain text, saying to take the CSV; writing stopped at the first beyond
    taken.clear()
    with translation.override("en"):
        refused = xlsx_download(writer=writer, rows=rows(1_000), filename="few.xlsx")
    assert isinstance(refused, HttpResponse)
    assert refused.status_code == 400
    assert refused["Content-Type"] == "text/plain; charset=utf-8"
    assert refused.content.decode() == (
        "This export has more than 3 rows, more than an Excel download holds. Download it as "
        "CSV instead (without format=xlsx): the CSV file has no limit."
    )
    # (the first rows are read ahead for the column widths)
    assert len(taken) == max(exports.WIDTH_SAMPLE_ROWS, 4) < 1_000
    with pytest.raises(exports.TooManyRows):
        writer.write(target=io.BytesIO(), rows=rows(5), max_rows=4)


def test_the_row_cap_is_within_excels_sheet() -> None:
    assert 0 < exports.XLSX_MAX_ROWS < 1_048_576 - 1


def _rows(count: int) -> Iterator[list[object]]:
    for number in range(count):
        yield [f"Kunde {number:06d} GmbH", Decimal(number) / 100, dt.date(2026, 1, 1)]


def _peak_memory(count: int, path: str) -> int:
    """The writer's peak of traced memory while writing `count` rows to the file `path`."""
    columns = (ExportColumn("a", "a"), ExportColumn("b", "b"), ExportColumn("c", "c"))
    writer = XlsxExport(columns=columns, export=GERMAN_EXCEL, title="Big")
    with open(path, "wb") as target:
        tracemalloc.start()
        try:
            assert writer.write(target=target, rows=_rows(count)) == count
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_the_writer_streams_rows_so_five_times_the_rows_need_no_more_memory(
    tmp_path: Path,
) -> None:
    # The rows go to a temporary file as they come; what stays in memory is the workbook's
    # fixed parts and the sample of rows the column widths come from.
    few = _peak_memory(1_000, str(tmp_path / "few.xlsx"))
    many = _peak_memory(5_000, str(tmp_path / "many.xlsx"))

    assert many < few + 128 * 1024
    assert many < 2 * 1024 * 1024
    sheet = load_workbook(tmp_path / "many.xlsx", read_only=True).active
    assert sheet is not None
    last = next(iter(sheet.iter_rows(min_row=5_001, values_only=True)))
    assert last == ("Kunde 004999 GmbH", 49.99, dt.datetime(2026, 1, 1))
