"""The one CSV writer for every download: the reader's dialect, names not codes, safe cells.

Every export of ChannelDesk (renewals, usage statements and their evidence, the compliance
report, and any list a page offers as a file) goes through `CsvExport`, so they all follow one
convention:

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
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext

UTF8_BOM = "\ufeff"
# A cell starting with one of these is a formula (or becomes one) in Excel and LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
FORMULA_ESCAPE = "'"
CONTENT_TYPE = "text/csv; charset=utf-8"

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


GERMAN_EXCEL = ExportFormat(
    language="de",
    delimiter=";",
    byte_order_mark=True,
    decimal_mark=",",
    date_pattern="%d.%m.%Y",
    month_pattern="%m.%Y",
    datetime_pattern="%d.%m.%Y %H:%M",
    line_end="\r\n",
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
