"""The one export writer for every download: the reader's dialect, names not codes, safe cells.

Every export of ChannelDesk (renewals, usage statements and their evidence, the compliance
report, and any list a page offers as a file) goes through `CsvExport`, and every list a page
offers also as an Excel workbook through `XlsxExport` with the same columns and rows, so they all
follow one convention:

- **German Excel for a German reader**: `;` between cells, a UTF-8 byte order mark (Excel then
  reads the umlauts right), decimal comma without grouping (`1234,50`), dates `31.12.2026`,
  months `10.2026`, headers and names in German.
- **Plain CSV in English for everyone else**: `,`, no byte order mark, decimal point, ISO dates
  (`2026-12-31`), months `2026-10`, headers and names in English.

The dialect follows the reader's language (`export_format(language=...)`, the request's active
language in a view); callers without a reader (the CLI) get `PLAIN_CSV`.

Cells are typed, and the writer formats them:

- `str`: written as it is, except that **text a spreadsheet would run as a formula** (it starts
  with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading apostrophe, so Excel and
  LibreOffice show it as text. Text comes from people and other systems (customer names, the
  usage platform's user keys), so every text cell is checked; nothing else needs to be.
- `Decimal` and `int`: numbers, in the dialect's notation and never neutralised: a credit of
  -12.50 stays the number `-12,50` (German) / `-12.50` (plain) that a spreadsheet can add up.
  A number is a number because the code passes a number, never because a text looks like one.
- `datetime.date`, `Month`, `datetime.datetime` (local time): in the dialect's notation.
- `bool`: "ja"/"nein" or "yes"/"no"; `None`: an empty cell.
- Lazy translations (a choice's `label`, a column's label): rendered in the export's language.

The workbook (`XlsxExport`, `.xlsx`) takes the same columns and the same rows and keeps the
cells' types instead of writing them as text, so Excel needs no guessing and an import reads
them back as they were:

- one sheet named after the export, the header row bold and frozen, column widths from the
  header and the first rows, headers and names in the reader's language as in the CSV;
- `str`: always a string cell, never a formula. Text that starts with `=`, `+`, `-`, `@`, a tab
  or a carriage return is stored as it is (no apostrophe is added to the value) but as a string
  cell with Excel's "quote prefix", so Excel shows it as text and keeps it text when edited.
  Characters XML cannot hold (C0 control codes other than tab, line feed and carriage return)
  become U+FFFD;
- `Decimal` and `int`: a number cell when Excel holds the value exactly (at most 15 significant
  digits, Excel's precision: every amount up to 9,999,999,999,999.99), with a number format
  that shows the value's decimals (`0.00` for an amount); a value with more digits is written
  as text in the CSV's notation, so no digit is lost;
- `datetime.date`: an Excel date with the format `DD.MM.YYYY` (German) or `YYYY-MM-DD`;
  `Month`: the month's first day formatted `MM.YYYY` / `YYYY-MM`; `datetime.datetime`: the local
  time (Excel has no time zones) as `DD.MM.YYYY HH:MM` / `YYYY-MM-DD HH:MM:SS`;
- `bool`: an Excel boolean cell (Excel shows it in its own language); `None`: an empty cell.

The workbook is written with openpyxl's write-only mode: each row goes to a temporary file as
it comes, so memory stays flat however long the export (`xlsx_download` hands the finished file
to the response). An `.xlsx` download holds at most `XLSX_MAX_ROWS` rows: the workbook is built
whole before the answer starts (some 10,000 rows a second), so a longer one would outlast the web
server's timeout, and a sheet holds at most 1,048,576 rows anyway. A longer export is refused
with 400 and a text telling to take the CSV, which streams and has no limit.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import IO, Any, Protocol

from django.core.exceptions import BadRequest
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

UTF8_BOM = "\ufeff"
# A cell starting with one of these is a formula (or becomes one) in Excel and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"
CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Significant digits Excel keeps of a number; a value with more is written as text.
EXCEL_DIGITS = 15
# Column widths (in characters) come from the header and this many first rows, within bounds.
WIDTH_SAMPLE_ROWS = 100
MIN_COLUMN_WIDTH = 8
MAX_COLUMN_WIDTH = 60
# A workbook up to this size is built in memory, a larger one in a temporary file.
XLSX_SPOOL_BYTES = 4 * 1024 * 1024
# The most data rows an .xlsx download holds (module docstring): built in some 10 s, well within
# the web timeout, and far below Excel's 1,048,575 rows under a header. Longer: take the CSV.
XLSX_MAX_ROWS = 100_000
# Sheet names: at most 31 characters, none of these.
SHEET_NAME_LENGTH = 31
_SHEET_NAME_FORBIDDEN = re.compile(r"[\\/*?:\[\]]")
# Characters XML 1.0 cannot hold (openpyxl refuses them): C0 codes but tab, line feed, return.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

type Label = str | Promise


class TextTarget(Protocol):
    """Where CSV goes: an open text file, an HttpResponse, a command's stdout."""

    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month as a cell: `10.2026` in German Excel, `2026-10` in plain CSV."""

    first_day: dt.date


@dataclass(frozen=True, slots=True)
class ExportColumn:
    """A column: its stable key (what code and tests refer to) and its header, translated."""

    key: str
    label: Label


@dataclass(frozen=True, slots=True)
class ExportFormat:
    """A dialect: separator, byte order mark, notation of numbers and dates, language."""

    language: str
    delimiter: str
    byte_order_mark: bool
    decimal_mark: str
    date_pattern: str
    month_pattern: str
    datetime_pattern: str
    line_end: str
    # The same notations as Excel number formats, for the workbook's date cells.
    excel_date_format: str
    excel_month_format: str
    excel_datetime_format: str


GERMAN_EXCEL = ExportFormat(
    language="de",
    delimiter=";",
    byte_order_mark=True,
    decimal_mark=",",
    date_pattern="%d.%m.%Y",
    month_pattern="%m.%Y",
    datetime_pattern="%d.%m.%Y %H:%M",
    line_end="\r\n",
    excel_date_format="DD.MM.YYYY",
    excel_month_format="MM.YYYY",
    excel_datetime_format="DD.MM.YYYY HH:MM",
)
PLAIN_CSV = ExportFormat(
    language="en",
    delimiter=",",
    byte_order_mark=False,
    decimal_mark=".",
    date_pattern="%Y-%m-%d",
    month_pattern="%Y-%m",
    datetime_pattern="%Y-%m-%dT%H:%M:%S%z",
    line_end="\n",
    excel_date_format="YYYY-MM-DD",
    excel_month_format="YYYY-MM",
    excel_datetime_format="YYYY-MM-DD HH:MM:SS",
)


def export_format(*, language: str | None = None) -> ExportFormat:
    """German Excel for a German reader, plain CSV in English for any other; `language` None
    means the active language (in a view: the request's)."""
    code = language if language is not None else (translation.get_language() or "")
    return GERMAN_EXCEL if code.lower().startswith("de") else PLAIN_CSV


def neutralise_text(text: str) -> str:
    """Text that a spreadsheet would run as a formula, with a leading apostrophe; other text as
    it is. `=1+1` → `'=1+1`, `-Müller` → `'-Müller`, `Müller` → `Müller`."""
    return FORMULA_ESCAPE + text if text.startswith(FORMULA_PREFIXES) else text


class _Line:
    """csv.writer wants a file; this one hands each written line back."""

    def write(self, text: str, /) -> str:
        return text


class CsvExport:
    """Writes rows of typed cells as CSV in one `ExportFormat` (see the module docstring).

    `lines()` yields the header and then one text line per row (for streaming responses);
    `write()` writes them to a file-like target and returns the number of data rows.
    """

    def __init__(self, *, columns: Sequence[ExportColumn], export: ExportFormat) -> None:
        self.columns = tuple(columns)
        self.export = export
        self._writer = csv.writer(
            _Line(), delimiter=export.delimiter, lineterminator=export.line_end
        )

    def header(self) -> str:
        with translation.override(self.export.language):
            line = self._writer.writerow([self.cell(column.label) for column in self.columns])
        return (UTF8_BOM if self.export.byte_order_mark else "") + str(line)

    def row(self, values: Sequence[object]) -> str:
        return str(self._writer.writerow(self.texts(values)))

    def texts(self, values: Sequence[object]) -> list[str]:
        """The cells of one row as text in the export's notation and language."""
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} cells for {len(self.columns)} columns")
        with translation.override(self.export.language):
            return [self.cell(value) for value in values]

    def lines(self, rows: Iterable[Sequence[object]]) -> Iterator[str]:
        yield self.header()
        for values in rows:
            yield self.row(values)

    def write(self, *, target: TextTarget, rows: Iterable[Sequence[object]]) -> int:
        count = -1
        for line in self.lines(rows):
            target.write(line)
            count += 1
        return count

    def text(self, rows: Iterable[Sequence[object]]) -> str:
        return "".join(self.lines(rows))

    def cell(self, value: object) -> str:
        """One cell as text, in the export's notation (call within its language)."""
        if isinstance(value, str | Promise):
            return neutralise_text(str(value))
        if value is None:
            return ""
        return self._not_text(value)

    def _not_text(self, value: object) -> str:
        export = self.export
        match value:
            case bool():
                text = gettext("yes") if value else gettext("no")
            case int():
                text = str(value)
            case Decimal():
                text = f"{value:f}".replace(".", export.decimal_mark)
            case dt.datetime():
                text = timezone.localtime(value).strftime(export.datetime_pattern)
            case dt.date():
                text = value.strftime(export.date_pattern)
            case Month():
                text = value.first_day.strftime(export.month_pattern)
            case _:
                raise TypeError(f"cannot export a {type(value).__name__} cell")
        return text


def csv_download(*, lines: Iterable[str], filename: str) -> StreamingHttpResponse:
    """A streamed CSV download of `CsvExport.lines(...)`."""
    response = StreamingHttpResponse(lines, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_attachment(*, text: str, filename: str) -> HttpResponse:
    """A CSV download of `CsvExport.text(...)`, for small exports built at once."""
    response = HttpResponse(text, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class FileFormat(StrEnum):
    """The file a list export is downloaded as (`?format=` on the export's URL)."""

    CSV = "csv"
    XLSX = "xlsx"


def requested_file_format(request: HttpRequest) -> FileFormat:
    """The `?format=` of an export's URL: `csv` (also when absent) or `xlsx`; anything else is a
    400 (a file in another format than asked for would mislead)."""
    value = request.GET.get("format") or FileFormat.CSV
    try:
        return FileFormat(value)
    except ValueError:
        raise BadRequest(
            gettext("Unknown export format %(format)s; use csv or xlsx.") % {"format": value}
        ) from None


def sheet_name(title: str) -> str:
    """A valid sheet name for `title`: without `\\ / * ? : [ ]`, at most 31 characters."""
    cleaned = _SHEET_NAME_FORBIDDEN.sub(" ", title).strip()
    return cleaned[:SHEET_NAME_LENGTH] or "Export"


def xml_safe_text(text: str) -> str:
    """`text` with the control characters XML cannot hold replaced by U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def _decimal_places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _exact_in_excel(value: Decimal) -> bool:
    """Whether Excel holds `value` exactly: finite, at most EXCEL_DIGITS significant digits."""
    return value.is_finite() and len(value.as_tuple().digits) <= EXCEL_DIGITS


class TooManyRows(Exception):
    """An export has more rows than the workbook may hold (`XlsxExport.write(max_rows=…)`)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"more than {limit:,} rows")
        self.limit = limit


class XlsxExport:
    """Writes rows of typed cells as one Excel sheet (see the module docstring): the same columns
    and rows as `CsvExport`, cells typed instead of text, formulas never.

    `write()` writes the workbook to a binary target and returns the number of data rows; with
    `max_rows` it stops at the first row beyond and raises `TooManyRows`.
    """

    def __init__(
        self, *, columns: Sequence[ExportColumn], export: ExportFormat, title: Label
    ) -> None:
        self.columns = tuple(columns)
        self.export = export
        self.title = title
        # The CSV notation of a cell: the text of a number Excel cannot hold, and the width of
        # a column.
        self._text = CsvExport(columns=columns, export=export)
        self._bold = Font(bold=True)

    def write(
        self,
        *,
        target: IO[bytes],
        rows: Iterable[Sequence[object]],
        max_rows: int | None = None,
    ) -> int:
        workbook = Workbook(write_only=True)
        with translation.override(self.export.language):
            sheet = workbook.create_sheet(sheet_name(str(self.title)))
            rows = iter(rows)
            sample = list(itertools.islice(rows, WIDTH_SAMPLE_ROWS))
            self._set_up(sheet, sample)
            try:
                count = self._append(sheet, itertools.chain(sample, rows), max_rows)
            except BaseException:
                # Finish the half-written sheet and drop it: saving removes its temporary file.
                workbook.save(io.BytesIO())
                raise
        workbook.save(target)
        return count

    def _append(
        self, sheet: WriteOnlyWorksheet, rows: Iterable[Sequence[object]], max_rows: int | None
    ) -> int:
        count = 0
        for values in rows:
            if max_rows is not None and count >= max_rows:
                raise TooManyRows(max_rows)
            sheet.append(self.cells(sheet, values))
            count += 1
        return count

    def _set_up(self, sheet: WriteOnlyWorksheet, sample: list[Sequence[object]]) -> None:
        """Widths, the frozen header row and the header: all before the first row is written."""
        labels = [str(column.label) for column in self.columns]
        widths = [len(label) for label in labels]
        for values in sample:
            texts = self._text.texts(values)
            widths = [max(width, len(text)) for width, text in zip(widths, texts, strict=True)]
        # types-openpyxl leaves out a write-only sheet's column dimensions.
        dimensions: Any = sheet.column_dimensions  # type: ignore[attr-defined]
        for index, width in enumerate(widths, start=1):
            dimensions[get_column_letter(index)].width = min(
                max(width + 2, MIN_COLUMN_WIDTH), MAX_COLUMN_WIDTH
            )
        sheet.freeze_panes = "A2"
        header = [self._text_cell(sheet, label) for label in labels]
        for cell in header:
            cell.font = self._bold
        sheet.append(header)

    def cells(self, sheet: WriteOnlyWorksheet, values: Sequence[object]) -> list[Cell]:
        """The cells of one row (call within the export's language)."""
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} cells for {len(self.columns)} columns")
        return [self.cell(sheet, value) for value in values]

    def cell(  # noqa: PLR0911 - one return per kind of cell reads best here
        self, sheet: WriteOnlyWorksheet, value: object
    ) -> Cell:
        """One typed cell (see the module docstring)."""
        export = self.export
        match value:
            case None:
                return WriteOnlyCell(sheet, value=None)
            case str() | Promise():
                return self._text_cell(sheet, str(value))
            case bool():
                return WriteOnlyCell(sheet, value=value)
            case int():
                return self._number_cell(sheet, Decimal(value))
            case Decimal():
                return self._number_cell(sheet, value)
            case dt.datetime():
                local = timezone.localtime(value) if timezone.is_aware(value) else value
                return self._dated(sheet, local.replace(tzinfo=None), export.excel_datetime_format)
            case dt.date():
                return self._dated(sheet, value, export.excel_date_format)
            case Month():
                return self._dated(sheet, value.first_day, export.excel_month_format)
            case _:
                raise TypeError(f"cannot export a {type(value).__name__} cell")

    def _text_cell(self, sheet: WriteOnlyWorksheet, text: str) -> Cell:
        """A string cell, never a formula: openpyxl would make `=…` a formula cell, so the type
        is set after the value; text a spreadsheet would run gets the quote prefix as well."""
        cell = WriteOnlyCell(sheet, value=xml_safe_text(text))
        cell.data_type = "s"
        if text.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True
        return cell

    def _number_cell(self, sheet: WriteOnlyWorksheet, value: Decimal) -> Cell:
        if not _exact_in_excel(value):
            return self._text_cell(sheet, self._text.cell(value))
        places = _decimal_places(value)
        # The plain notation: openpyxl would write `1E+2` as it is.
        cell = WriteOnlyCell(sheet)
        cell.value = Decimal(f"{value:f}") if places else int(value)
        cell.number_format = "0." + "0" * places if places else "0"
        return cell

    def _dated(self, sheet: WriteOnlyWorksheet, value: dt.date, pattern: str) -> Cell:
        cell = WriteOnlyCell(sheet)
        cell.value = value
        cell.number_format = pattern
        return cell


def xlsx_download(
    *, writer: XlsxExport, rows: Iterable[Sequence[object]], filename: str
) -> HttpResponseBase:
    """An Excel download of `rows` written by `writer`: the workbook is written to a temporary
    file (in memory while small) and streamed from there; `filename` ends in `.xlsx`. More than
    `XLSX_MAX_ROWS` rows are refused (400, plain text: take the CSV; module docstring): writing
    stops at the first row beyond."""
    if not filename.endswith(".xlsx"):
        raise ValueError(f"{filename} is not the name of an .xlsx file")
    target = tempfile.SpooledTemporaryFile(max_size=XLSX_SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    try:
        writer.write(target=target, rows=rows, max_rows=XLSX_MAX_ROWS)
    except TooManyRows as error:
        target.close()
        return HttpResponseBadRequest(
            gettext(
                "This export has more than %(limit)s rows, more than an Excel download holds. "
                "Download it as CSV instead (without format=xlsx): the CSV file has no limit."
            )
            % {"limit": f"{error.limit:,}"},
            content_type="text/plain; charset=utf-8",
        )
    except BaseException:
        target.close()
        raise
    target.seek(0)
    return FileResponse(
        target, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
