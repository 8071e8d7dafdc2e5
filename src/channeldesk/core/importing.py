"""The import framework: CSV files from the vendor's ERP (or from Excel) into the database.

Every import (partners, products, orders, and later customers, contracts, training completions)
plugs an `Importer` into `import_file`: a pydantic row model whose field names are the column
names, and a planner that checks the rows against the database and works out what to write.

Why it is built this way: the files come from people and from an ERP, so they arrive as German
Excel writes them as often as they arrive plain, and a half-imported file is worse than none.
`import_file` therefore works in five steps:

1. Read the bytes line by line (never the whole file at once) and settle the encoding on the
   first line that is not plain ASCII: UTF-8 (with or without BOM), otherwise Windows-1252.
2. Read the header: names are normalised (trimmed, lower case, spaces and dashes to `_`), the
   separator is `;` or `,` (whichever the header uses), required columns must be there, unknown
   columns are ignored with a warning.
3. Validate each row with the row model. Numbers and dates are read the German way in a
   `;`-separated file (`1.234,50`, `15.03.2026`) and accepted in ISO form everywhere.
4. Let the importer plan: database-level checks (unknown keys, duplicates) add problems to the
   same list, so one run reports every problem of the file, each with file, line and column.
5. Apply the plan in one transaction, and only when no problem was found and it is not a dry run.

An Excel workbook (`.xlsx`, told by its name or its first bytes) takes the place of steps 1-2:
its sheet is read row by row as typed cells, each turned into the text a plain CSV file would
hold for it, so steps 3-5 and every row model read a workbook as they read its CSV twin
(`_workbook_values`, `core/spreadsheets.py`; problems then read `FILE:SHEET!ROW`).

Registers (partners, products, customers, contracts, training records) keep their valid rows in
memory for the planner, which checks them against each other. An import whose files grow
without bound (orders: millions of lines) has a *stager* instead: steps 3-4 then write each valid
row to a temporary staging table, CHUNK_ROWS at a time, and plan with set-based SQL over it, so
memory stays flat whatever the file's length (`_import_staged`, `core/staging.py`). Problems are
kept up to MAX_PROBLEMS (the earliest in the file) and counted beyond.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import heapq
import io
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Context, Decimal
from enum import StrEnum
from typing import IO, Annotated, Any, Protocol

from babel import Locale
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.db.models import QuerySet
from django.utils import timezone
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
)
from pydantic_core import ErrorDetails

from channeldesk.audit.services import audit_record
from channeldesk.core.database import commit_mark, others_committed_since
from channeldesk.core.money import CENT
from channeldesk.core.spreadsheets import (
    OLE_SIGNATURE,
    WORKBOOK_SUFFIXES,
    CellError,
    SheetReader,
    WorkbookError,
    cell_text,
    column_letter,
    is_encrypted_or_legacy,
    is_workbook_start,
)
from channeldesk.core.staging import StagingTable, staging_table

# Lookups pass at most this many keys per query: one query for any ERP file we know of, and well
# below the bound-parameter limits of SQLite (32,766) and PostgreSQL (65,535).
LOOKUP_BATCH = 10_000
# Rows per INSERT/UPDATE statement when writing.
WRITE_BATCH = 1_000
# The progress callback is told about every this many bytes read, not about every line.
PROGRESS_STEP_BYTES = 256 * 1024
# Problems kept per file (the earliest in the file); the rest are counted. A report of a
# thousand problems already says "this is the wrong file".
MAX_PROBLEMS = 1_000
# Rows a staged import validates and holds before it writes them to its staging table.
CHUNK_ROWS = 5_000
# The pydantic validation context key telling the cell types that the file is German Excel.
GERMAN_NUMBERS = "german_numbers"

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


# --- Problems and the report -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One finding about a file: where it is (file, line, column) and what is wrong."""

    file: str
    row: int | None
    column: str | None
    reason: str
    sheet: str | None = None  # the worksheet, in a workbook (.xlsx)

    def __str__(self) -> str:
        """`FILE:ROW: column: reason`, or `FILE:SHEET!ROW: column: reason` in a workbook."""
        place = self.file if self.sheet is None else f"{self.file}:{self.sheet}"
        if self.row is not None:
            place = f"{place}:{self.row}" if self.sheet is None else f"{place}!{self.row}"
        column = f" {self.column}:" if self.column else ""
        return f"{place}:{column} {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        """As the API answers it; `sheet` only for a workbook, so a CSV file's stays as it was."""
        if self.sheet is None:
            return {
                "file": self.file,
                "row": self.row,
                "column": self.column,
                "message": self.reason,
            }
        return {
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column,
            "message": self.reason,
        }


class ProblemLog:
    """Collects problems (or warnings) of one file; every step of an import appends to it.

    It keeps at most `limit` of them, the ones earliest in the file, and counts the rest: a file
    with a wrong column in each of its million lines must not fill the memory with messages
    nobody reads. `len()` is the number found, `items` the ones kept (in the order found).
    """

    def __init__(self, file: str, *, limit: int | None = None) -> None:
        self.file = file
        self.sheet: str | None = None  # set once a workbook's sheet is chosen
        self.limit = MAX_PROBLEMS if limit is None else limit
        self._kept: list[tuple[int, int, ImportProblem]] = []  # heap of (-row, -order, problem)
        self._found = 0

    def __len__(self) -> int:
        return self._found

    @property
    def items(self) -> list[ImportProblem]:
        return [problem for _, _, problem in sorted(self._kept, key=lambda item: -item[1])]

    @property
    def omitted(self) -> int:
        """How many problems were found but not kept."""
        return self._found - len(self._kept)

    def add(self, *, row: int | None, column: str | None, reason: str) -> None:
        self._found += 1
        problem = ImportProblem(self.file, row, column, reason, self.sheet)
        entry = (-(row or 0), -self._found, problem)
        if len(self._kept) < self.limit:
            heapq.heappush(self._kept, entry)
        elif entry > self._kept[0]:
            # Earlier in the file than the latest kept one: keep it instead.
            heapq.heapreplace(self._kept, entry)

    def count_more(self, count: int) -> None:
        """Count problems beyond the ones added (a check that found more than it listed)."""
        self._found += count

    def in_file_order(self) -> list[ImportProblem]:
        return [
            problem for _, _, problem in sorted(self._kept, key=lambda item: item[:2], reverse=True)
        ]


@dataclass(frozen=True)
class ImportResult:
    """What an import did, or in a dry run would do. Counts are zero when the file is rejected."""

    kind: str
    file: str
    dry_run: bool
    encoding: str
    delimiter: str
    rows: int
    created: int
    updated: int
    unchanged: int
    warnings: list[ImportProblem]
    problems: list[ImportProblem]
    omitted_problems: int = 0  # found beyond the MAX_PROBLEMS listed in `problems`
    sheet: str | None = None  # the worksheet read, for a workbook (.xlsx)

    @property
    def place(self) -> str:
        """The file, and in a workbook its sheet (`orders.xlsx:Orders`)."""
        return self.file if self.sheet is None else f"{self.file}:{self.sheet}"

    @property
    def accepted(self) -> bool:
        return not self.problems

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.omitted_problems

    def summary(self) -> str:
        if not self.accepted:
            count = self.problem_count
            noun = "problem" if count == 1 else "problems"
            listed = f" (the first {len(self.problems):,} listed)" if self.omitted_problems else ""
            return f"{self.place}: rejected with {count:,} {noun}{listed}; nothing was imported."
        counts = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        if self.dry_run:
            counts = f"dry run, nothing written; would be {counts}"
        rows = "1 row" if self.rows == 1 else f"{self.rows} rows"
        return f"{self.place}: {rows}, {self.kind}: {counts}."


class ImportStage(StrEnum):
    READING = "reading"
    CHECKING = "checking"
    WRITING = "writing"


@dataclass(frozen=True, slots=True)
class ImportProgress:
    """Where an import is: bytes read of the total while reading, then the later stages;
    `rows` is the number of data rows read so far."""

    stage: ImportStage
    done: int
    total: int | None
    rows: int = 0


type ProgressCallback = Callable[[ImportProgress], None]


def _ignore_progress(progress: ImportProgress) -> None:
    """The progress callback used when the caller does not want one."""


# --- Cell types: German and ISO numbers and dates ----------------------------------------------

_GROUPED = {
    ".": re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+"),
    ",": re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+"),
}
_DIGITS = re.compile(r"[0-9]*")
_GERMAN_DATE = re.compile(r"([0-9]{1,2})\.([0-9]{1,2})\.([0-9]+)")
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")


def _decimal_mark(text: str, *, german: bool) -> str:
    """Which of `.` and `,` separates the decimals in `text` (the other one groups thousands)."""
    if "," in text and "." in text:
        return "," if text.rfind(",") > text.rfind(".") else "."
    if text.count(",") == 1:
        return ","
    if text.count(".") == 1:
        # "1.234" is 1234 in German Excel, and 1.234 anywhere else.
        return "," if german and _GROUPED["."].fullmatch(text) else "."
    return "," if text.count(".") > 1 else "."


def parse_decimal(text: str, *, german: bool = False) -> Decimal:
    """A number as German Excel writes it (`1.234,50`, `-0,5`, `12,00-`, `1.234,50 €`) or plainly.

    The decimal mark is the last of `.` and `,` when both occur, a single `,`, or a single `.`
    (except `1.234` in a German file, which is one thousand two hundred and thirty-four). Marks
    that group thousands must group exactly three digits. A trailing minus is how SAP writes
    credits.
    """
    cleaned = text.strip().removesuffix("€").replace("\u00a0", "").replace(" ", "")
    sign = ""
    if cleaned[:1] in ("-", "+") and cleaned:
        sign, cleaned = cleaned[0], cleaned[1:]
    elif cleaned.endswith("-"):
        sign, cleaned = "-", cleaned[:-1]
    mark = _decimal_mark(cleaned, german=german)
    whole, _, fraction = cleaned.partition(mark)
    group = "," if mark == "." else "."
    if group in whole and _GROUPED[group].fullmatch(whole):
        whole = whole.replace(group, "")
    if not (whole or fraction) or not _DIGITS.fullmatch(whole) or not _DIGITS.fullmatch(fraction):
        raise ValueError(f"{text.strip()!r} is not a number (write e.g. 1.234,50 or 1234.50)")
    return Decimal(f"{sign}{whole or '0'}.{fraction}" if fraction else f"{sign}{whole}")


def parse_int(text: str, *, german: bool = False) -> int:
    """A whole number, with the same notations as `parse_decimal` (`1.234`, `3,00`, `5-`)."""
    value = parse_decimal(text, german=german)
    if value != value.to_integral_value():
        raise ValueError(f"{text.strip()!r} is not a whole number")
    return int(value)


def parse_date(text: str) -> dt.date:
    """A date as `dd.mm.yyyy` (German Excel, also `d.m.yyyy`) or ISO `yyyy-mm-dd`."""
    cleaned = text.strip()
    if match := _GERMAN_DATE.fullmatch(cleaned):
        day, month, year = (int(part) for part in match.groups())
        if len(match.group(3)) != 4:
            raise ValueError(f"{cleaned!r} needs a four-digit year (dd.mm.yyyy)")
    elif match := _ISO_DATE.fullmatch(cleaned):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise ValueError(f"{cleaned!r} is not a date (write dd.mm.yyyy or yyyy-mm-dd)")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueError(f"{cleaned!r} is not a valid calendar date") from None


def _is_german(info: ValidationInfo) -> bool:
    context = info.context
    return bool(context.get(GERMAN_NUMBERS)) if isinstance(context, Mapping) else False


def _require_cell(value: str) -> str:
    if not value.strip():
        raise ValueError("a value is required")
    return value


def _decimal_cell(value: object, info: ValidationInfo) -> object:
    if isinstance(value, str):
        return parse_decimal(_require_cell(value), german=_is_german(info))
    return value


def _int_cell(value: object, info: ValidationInfo) -> object:
    if isinstance(value, str):
        return parse_int(_require_cell(value), german=_is_german(info))
    return value


def _date_cell(value: object) -> object:
    return parse_date(_require_cell(value)) if isinstance(value, str) else value


def _blank_as_none(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


def _cents(value: Decimal) -> Decimal:
    # Enough precision for any number of digits, so a 30-digit amount reaches the column's
    # `max_digits` check (a row error) instead of failing the quantize (a crash).
    digits = len(value.as_tuple().digits) + 3
    rounded = value.quantize(CENT, context=Context(prec=max(digits, 28)))
    if rounded != value:
        raise ValueError(f"{value} has more than two decimal places")
    return rounded


def _email(value: str) -> str:
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError(f"{value!r} is not a valid e-mail address") from None
    return value


def _email_or_blank(value: str) -> str:
    return _email(value) if value else value


_COUNTRIES = frozenset(
    code
    for code in Locale("en").territories
    if isinstance(code, str) and re.fullmatch("[A-Z]{2}", code)
)


def _country(value: str) -> str:
    if value not in _COUNTRIES:
        raise ValueError(f"{value!r} is not a two-letter ISO 3166 country code (e.g. DE, AT)")
    return value


def _language_or_none(value: object) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    language = value.strip().lower()
    codes = [code for code, _ in settings.LANGUAGES]
    if language not in codes:
        raise ValueError(f"{value!r} is not a language of ChannelDesk ({', '.join(codes)})")
    return language


# Reusable types for row models. Plain `str` fields are trimmed by `ImportRow`; give them a
# `Field(max_length=...)` matching the model field so PostgreSQL never sees a too-long value, and
# `NotBlank` after it when the cell must not be empty:
#     order_number: Annotated[str, Field(max_length=64), NotBlank]
# (after, not before: pydantic then keeps its plain "at most 64 characters" message).
NotBlank = AfterValidator(_require_cell)
CsvDecimal = Annotated[Decimal, BeforeValidator(_decimal_cell)]
CsvInt = Annotated[int, BeforeValidator(_int_cell)]
CsvDate = Annotated[dt.date, BeforeValidator(_date_cell)]
Money = Annotated[Decimal, BeforeValidator(_decimal_cell), AfterValidator(_cents)]
OptionalDecimal = Annotated[CsvDecimal | None, BeforeValidator(_blank_as_none)]
OptionalInt = Annotated[CsvInt | None, BeforeValidator(_blank_as_none)]
OptionalDate = Annotated[CsvDate | None, BeforeValidator(_blank_as_none)]
EmailAddress = Annotated[str, Field(max_length=254), NotBlank, AfterValidator(_email)]
EmailOrBlank = Annotated[str, Field(max_length=254), AfterValidator(_email_or_blank)]
CountryCode = Annotated[str, BeforeValidator(_upper), AfterValidator(_country)]
# A language of ChannelDesk (`de`, `en`); an empty cell is None (the stored language stays).
LanguageOrNone = Annotated[str | None, BeforeValidator(_language_or_none)]
# Metadata for choices: `Annotated[PartnerStatus, CaseInsensitive]` accepts "Authorized".
CaseInsensitive = BeforeValidator(_lower)


class ImportRow(BaseModel):
    """Base of every row model: field names (or aliases) are the normalised column names.

    A field without a default is a required column; a field with a default is an optional column
    that may be left out of the file. `model_fields_set` tells which optional columns were there.
    """

    model_config = ConfigDict(str_strip_whitespace=True, frozen=True, extra="ignore")

    @classmethod
    def columns(cls) -> dict[str, bool]:
        """Column name → whether the column is required, in declaration order."""
        return {(info.alias or name): info.is_required() for name, info in cls.model_fields.items()}


@dataclass(frozen=True, slots=True)
class SourceRow[RowT: ImportRow]:
    """A validated row and the line of the file it starts on."""

    line: int
    data: RowT


# --- Reading the file ----------------------------------------------------------------------------


class _UnreadableFileError(Exception):
    """The file is not a CSV text file at all (a workbook, UTF-16); reading stops at once."""


class _ByteCounter:
    """Tells the progress callback how far reading has got, every PROGRESS_STEP_BYTES."""

    def __init__(
        self, *, total: int | None, progress: ProgressCallback, rows: Callable[[], int]
    ) -> None:
        self.total, self.progress, self.rows = total, progress, rows
        self.done = self.reported = 0

    def add(self, count: int) -> None:
        self.done += count
        if self.done - self.reported >= PROGRESS_STEP_BYTES:
            self.finish()

    def finish(self) -> None:
        self.reported = self.done
        self.progress(ImportProgress(ImportStage.READING, self.done, self.total, self.rows()))


class _LineDecoder:
    """Decodes byte lines, settling on UTF-8 or Windows-1252 at the first non-ASCII line.

    Splitting on b"\\n" before decoding is safe for both encodings, and lets a file of any size
    stream through without being read whole.
    """

    def __init__(self, *, problems: ProblemLog, counter: _ByteCounter) -> None:
        self.problems, self.counter = problems, counter
        self.encoding: str | None = None
        self.label = "utf-8"
        self.decided_on: int | None = None  # the line that settled the encoding
        self.offset = 0  # of the current line in the file, in bytes

    def decode(self, source: Iterable[bytes]) -> Iterator[str]:
        for number, raw in enumerate(source, start=1):
            self.offset = self.counter.done
            self.counter.add(len(raw))
            yield self._decode_line(self._strip_signature(raw) if number == 1 else raw, number)
        self.counter.finish()

    def _strip_signature(self, raw: bytes) -> bytes:
        if raw.startswith(UTF16_BOMS):
            raise _UnreadableFileError("the file is UTF-16 text; save it as CSV (UTF-8 or ANSI)")
        if raw.startswith(UTF8_BOM):
            self.encoding, self.label = "utf-8", "utf-8 (BOM)"
            self.offset += len(UTF8_BOM)
            return raw[len(UTF8_BOM) :]
        return raw

    def _decode_line(self, raw: bytes, number: int) -> str:
        if raw.isascii():
            return raw.decode("ascii")
        if self.encoding is None:
            self.encoding = "utf-8" if _is_utf8(raw) else "cp1252"
            self.label = "utf-8" if self.encoding == "utf-8" else "windows-1252"
            self.decided_on = number
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError as error:
            self.problems.add(row=number, column=None, reason=self._undecodable(raw, error))
            return raw.decode(self.encoding, errors="replace")

    def _undecodable(self, raw: bytes, error: UnicodeDecodeError) -> str:
        """Which byte, where in the file, and why the file was read in that encoding."""
        where = f"byte {raw[error.start]:#04x} at byte offset {self.offset + error.start}"
        if self.decided_on is None:
            why = "the file starts with a UTF-8 byte order mark"
        elif self.encoding == "utf-8":
            why = f"line {self.decided_on} was UTF-8; the file mixes encodings"
        else:
            why = f"line {self.decided_on} was not UTF-8, and Windows-1252 has no such character"
        return f"{where} cannot be read as {self.label}: {why}"


def _is_utf8(raw: bytes) -> bool:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _delimiter(header_line: str) -> str:
    """`;` (German Excel) or `,`, whichever the header line uses more; tabs are accepted too."""
    return max((";", ",", "\t"), key=header_line.count)


def normalise_column(name: str) -> str:
    """`" Partner Number "` → `partner_number`: trimmed, lower case, spaces/dashes as `_`."""
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def control_character(text: str) -> str | None:
    """The first control character in `text` (NUL, a tab or another C0 code, DEL, a C1 code, or
    a direction override that makes text read differently than it is stored), else None.

    Cells never need one: NUL or an escape code only ever comes from a corrupt file or an attack
    on whoever reads the data later, and a tab inside a cell is a broken export. Line breaks
    (LF, CR) are not control characters here: a quoted cell may span lines.
    """
    match = _CONTROL.search(text)
    return match.group() if match else None


def control_character_reason(character: str) -> str:
    return f"contains the control character U+{ord(character):04X}; remove it"


# Line breaks are allowed: a quoted cell may span lines (Excel writes Alt+Enter that way).
_CONTROL = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class _Header:
    """Maps each position of a record to a column of the row model, or to None (ignored)."""

    columns: tuple[str | None, ...]
    names: tuple[str, ...]

    def values(
        self, cells: list[str], line: int, problems: ProblemLog, *, joined: str | None = None
    ) -> dict[str, str] | None:
        """Column → cell of a record, or None after adding its problems. `joined` (the cells
        joined without a separator) lets the common clean record pass with one search."""
        if len(cells) > len(self.columns) and any(
            cell.strip() for cell in cells[len(self.columns) :]
        ):
            problems.add(
                row=line,
                column=None,
                reason=f"has {len(cells)} values but the header names {len(self.columns)} columns",
            )
            return None
        clean = joined is not None and control_character(joined) is None
        if not clean and not self._plain_text(cells, line, problems):
            return None
        if self.dense and len(cells) == len(self.columns):
            return dict(zip(self.columns, cells, strict=True))  # type: ignore[arg-type]
        padded = itertools.chain(cells, itertools.repeat(""))
        return {
            name: cell for name, cell in zip(self.columns, padded, strict=False) if name is not None
        }

    @functools.cached_property
    def dense(self) -> bool:
        """Every column of the file is a column of the row model (the common case)."""
        return None not in self.columns

    def _plain_text(self, cells: list[str], line: int, problems: ProblemLog) -> bool:
        """No cell of the record, read or ignored, holds a control character."""
        found = False
        for position, cell in enumerate(cells):
            if (character := control_character(cell)) is not None:
                column = self.names[position] if position < len(self.names) else None
                problems.add(
                    row=line, column=column or None, reason=control_character_reason(character)
                )
                found = True
        return not found


def _read_header(
    names: list[str],
    *,
    row_model: type[ImportRow],
    warnings: ProblemLog,
    problems: ProblemLog,
    line: int = 1,
) -> _Header | None:
    """Check the header (on `line`) against the row model's columns; None when a required column
    is missing."""
    known = row_model.columns()
    normalised = [normalise_column(name) for name in names]
    seen: set[str] = set()
    for position, name in enumerate(normalised, start=1):
        if (character := control_character(name)) is not None:
            reason = f"column {position}: {control_character_reason(character)}"
            problems.add(row=line, column=None, reason=reason)
        elif not name:
            warnings.add(row=line, column=None, reason=f"column {position} has no name; ignored")
        elif name in seen:
            problems.add(row=line, column=name, reason="the column appears twice in the header")
        elif name not in known:
            warnings.add(row=line, column=name, reason="unknown column; ignored")
        seen.add(name)
    missing = [name for name, required in known.items() if required and name not in seen]
    for name in missing:
        problems.add(row=line, column=name, reason="required column is missing from the header")
    if missing or len(problems):
        return None
    return _Header(tuple(name if name in known else None for name in normalised), tuple(normalised))


def _records(
    reader: Iterator[list[str]], line_number: Callable[[], int], problems: ProblemLog
) -> Iterator[tuple[int, list[str]]]:
    """Each CSV record with the line it starts on (a quoted value may span several lines)."""
    previous_end = 0
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            problems.add(row=line_number(), column=None, reason=f"not readable as CSV: {error}")
            return
        yield previous_end + 1, record
        previous_end = line_number()


def _reason(error: ErrorDetails) -> str:
    """A pydantic error for people: our own messages as they are, pydantic's with the input."""
    if error["type"] == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    shown = repr(error["input"])
    shown = shown if len(shown) <= 60 else f"{shown[:57]}..."
    return f"{error['msg']} (found {shown})"


def validate_row[RowT: ImportRow](
    *,
    row_model: type[RowT],
    values: Mapping[str, str],
    line: int,
    german: bool,
    problems: ProblemLog,
) -> RowT | None:
    """The row as its model, or None after adding one problem per invalid cell."""
    try:
        return row_model.model_validate(values, context={GERMAN_NUMBERS: german})
    except ValidationError as error:
        for item in error.errors(include_url=False):
            column = str(item["loc"][0]) if item["loc"] else None
            problems.add(row=line, column=column, reason=_reason(item))
        return None


@dataclass
class ParsedFile[RowT: ImportRow]:
    """The valid rows of a file, with what was found on the way."""

    file: str
    rows: list[SourceRow[RowT]]
    row_count: int
    encoding: str
    delimiter: str
    warnings: ProblemLog
    problems: ProblemLog
    sheet: str | None = None  # the worksheet read, for a workbook

    @property
    def german(self) -> bool:
        """Numbers are read the German way in a `;`-separated file."""
        return self.delimiter == ";"


def read_csv_rows[RowT: ImportRow](
    *,
    row_model: type[RowT],
    source: Iterable[bytes],
    file_name: str,
    total_bytes: int | None = None,
    progress: ProgressCallback | None = None,
    sheet: str | None = None,
) -> ParsedFile[RowT]:
    """Read and validate a CSV file line by line (steps 1-3 of the module docstring), or a
    workbook's sheet row by row, keeping every valid row: for the imports whose files are
    registers (partners, products, ...), whose planners check rows against each other. Staged
    imports use `stream_values` instead.

    `source` yields the file's lines as bytes; an open binary file or a Django upload does.
    Blank lines (Excel writes `;;;;` for formatted empty rows) are skipped.
    """
    parsed: ParsedFile[RowT] = ParsedFile(
        file_name, [], 0, "utf-8", ",", ProblemLog(file_name), ProblemLog(file_name)
    )
    values = stream_values(
        parsed,
        row_model=row_model,
        source=source,
        total_bytes=total_bytes,
        progress=progress,
        sheet=sheet,
    )
    for line, cells in values:
        row = validate_row(
            row_model=row_model,
            values=cells,
            line=line,
            german=parsed.german,
            problems=parsed.problems,
        )
        if row is not None:
            parsed.rows.append(SourceRow(line, row))
    return parsed


def stream_values[RowT: ImportRow](
    parsed: ParsedFile[RowT],
    *,
    row_model: type[RowT],
    source: Iterable[bytes],
    total_bytes: int | None = None,
    progress: ProgressCallback | None = None,
    sheet: str | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data record of the file as (line, column → cell), read line by line and never held.

    The header, blank lines, records with a control character or too many values are dealt
    with here (problems and warnings go to `parsed`); the cells are not yet validated.
    `parsed.encoding` is settled once the generator is exhausted.

    A workbook (`.xlsx`: the name, or a file starting as a zip archive does) is read from its
    first worksheet or from `sheet`, as `_workbook_values` describes; `sheet` on a CSV file is
    a problem.
    """
    counter = _ByteCounter(
        total=total_bytes, progress=progress or _ignore_progress, rows=lambda: parsed.row_count
    )
    head, source = _peek(source)
    if is_encrypted_or_legacy(head):
        parsed.problems.add(row=None, column=None, reason=_ENCRYPTED)
        return
    if is_workbook_start(head) or parsed.file.lower().endswith(WORKBOOK_SUFFIXES):
        parsed.encoding, parsed.delimiter = WORKBOOK_ENCODING, ""
        yield from _workbook_values(
            parsed, row_model=row_model, source=_seekable(source), sheet=sheet, counter=counter
        )
        return
    if sheet is not None:
        parsed.problems.add(row=None, column=None, reason=_SHEET_OF_CSV)
        return
    decoder = _LineDecoder(problems=parsed.problems, counter=counter)
    try:
        yield from _values_of(parsed, row_model=row_model, lines=decoder.decode(source))
    except _UnreadableFileError as error:
        parsed.problems.add(row=1, column=None, reason=str(error))
    parsed.encoding = decoder.label


def _values_of[RowT: ImportRow](
    parsed: ParsedFile[RowT], *, row_model: type[RowT], lines: Iterator[str]
) -> Iterator[tuple[int, dict[str, str]]]:
    first = next(lines, None)
    if first is None or not first.strip():
        columns = ", ".join(row_model.columns())
        parsed.problems.add(row=1, column=None, reason=f"no header line; expected: {columns}")
        return
    parsed.delimiter = _delimiter(first)
    reader = csv.reader(itertools.chain([first], lines), delimiter=parsed.delimiter, strict=True)
    records = _records(reader, lambda: reader.line_num, parsed.problems)
    _, names = next(records, (1, []))
    header = _read_header(
        names, row_model=row_model, warnings=parsed.warnings, problems=parsed.problems
    )
    if header is None:
        return
    for line, cells in records:
        joined = "".join(cells)
        if joined and not joined.isspace():
            parsed.row_count += 1
            values = header.values(cells, line, parsed.problems, joined=joined)
            if values is not None:
                yield line, values


# --- Reading a workbook --------------------------------------------------------------------------

# What a report says for the encoding of a workbook (its cells are typed; nothing is decoded).
WORKBOOK_ENCODING = "xlsx"
# Rows read between two progress reports of a workbook.
_WORKBOOK_PROGRESS_ROWS = 2_000
_ENCRYPTED = (
    "an encrypted (password-protected) workbook or an old .xls file; save it as .xlsx "
    "without a password, or as CSV"
)
_SHEET_OF_CSV = "a sheet was named, but the file is CSV, not an .xlsx workbook"


def _peek(source: Iterable[bytes]) -> tuple[bytes, Iterable[bytes]]:
    """The file's first bytes (enough to tell its format), and the source to read it whole."""
    if _is_seekable(source):
        head = source.read(len(OLE_SIGNATURE))  # type: ignore[attr-defined]
        source.seek(0)  # type: ignore[attr-defined]
        return head, source
    lines = iter(source)
    first = next(lines, b"")
    return first, itertools.chain([first], lines)


def _is_seekable(source: object) -> bool:
    seekable = getattr(source, "seekable", None)
    return hasattr(source, "read") and seekable is not None and bool(seekable())


def _seekable(source: Iterable[bytes]) -> IO[bytes]:
    """A zip archive is read from its end: an open file or an upload is used as it is; the
    lines of an iterable (tests, small bodies) are joined into one buffer."""
    if _is_seekable(source):
        return source  # type: ignore[return-value]
    return io.BytesIO(b"".join(source))


def _workbook_values[RowT: ImportRow](
    parsed: ParsedFile[RowT],
    *,
    row_model: type[RowT],
    source: IO[bytes],
    sheet: str | None,
    counter: _ByteCounter,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Each data row of a workbook's sheet as (row number, column → cell text), like a CSV
    file's records (`stream_values`):

    1. Open the workbook and choose the sheet (the first worksheet, or the one named); a file
       that is not a readable workbook, or a sheet not in it, is one problem.
    2. The first row with a value is the header; empty rows are skipped (formatted and merged
       rows at the end of a sheet included).
    3. Each cell becomes the text a plain CSV file would hold (`spreadsheets.cell_text`):
       numbers and dates as Excel stores them, never read the German way. An Excel error in a
       column the import reads is a problem of its row, as is a value right of the header's
       last column.
    """
    try:
        reader = SheetReader(source, sheet=sheet)
    except WorkbookError as error:
        parsed.problems.add(row=None, column=None, reason=str(error))
        return
    parsed.sheet = parsed.problems.sheet = parsed.warnings.sheet = reader.name
    scale = counter.total if counter.total is not None else reader.size
    try:
        for number, values in _sheet_rows(parsed, row_model=row_model, reader=reader):
            yield number, values
            if parsed.row_count % _WORKBOOK_PROGRESS_ROWS == 0:
                counter.add(round(scale * reader.fraction_read()) - counter.done)
    except WorkbookError as error:
        parsed.problems.add(row=None, column=None, reason=str(error))
    finally:
        reader.close()
    counter.add(scale - counter.done)
    counter.finish()


def _sheet_rows[RowT: ImportRow](
    parsed: ParsedFile[RowT], *, row_model: type[RowT], reader: SheetReader
) -> Iterator[tuple[int, dict[str, str]]]:
    header: _Header | None = None
    for number, cells in reader.rows():
        if header is None:
            names = [cell_text(cell) for cell in cells]
            while names and not names[-1].strip():
                names.pop()
            if not names:
                continue
            header = _read_header(
                names,
                row_model=row_model,
                warnings=parsed.warnings,
                problems=parsed.problems,
                line=number,
            )
            if header is None:
                return
            continue
        texts = _row_texts(header, cells, number, parsed)
        if texts is not None:
            values = header.values(texts, number, parsed.problems, joined="".join(texts))
            if values is not None:
                yield number, values
    if header is None:
        expected = ", ".join(row_model.columns())
        parsed.problems.add(
            row=None, column=None, reason=f"the sheet is empty; expected a header row: {expected}"
        )


def _row_texts[RowT: ImportRow](
    header: _Header, cells: tuple[object, ...], number: int, parsed: ParsedFile[RowT]
) -> list[str] | None:
    """The texts of a row's cells in the header's columns; None for an empty row (not counted)
    and, after adding its problems, for a row with a failed formula or a value beyond the
    header."""
    width = len(header.columns)
    texts = [cell_text(cell) for cell in cells[:width]]
    beyond = next(
        (position for position in range(width, len(cells)) if cell_text(cells[position]).strip()),
        None,
    )
    failed = [
        (header.columns[position], cell)
        for position, cell in enumerate(cells[:width])
        if isinstance(cell, CellError) and header.columns[position]
    ]
    if beyond is None and not failed and not "".join(texts).strip():
        return None
    parsed.row_count += 1
    for column, cell in failed:
        parsed.problems.add(row=number, column=column, reason=_failed_cell_reason(cell))
    if beyond is not None:
        reason = (
            f"has a value in column {column_letter(beyond + 1)}, right of the header's last "
            "column; name the column in the header or clear the cell"
        )
        parsed.problems.add(row=number, column=None, reason=reason)
    return None if failed or beyond is not None else texts


def _failed_cell_reason(cell: CellError) -> str:
    return f"the cell holds the Excel error {cell.code}; correct the formula or type the value"


# --- Planning and writing ----------------------------------------------------------------------


class ImportPlan(Protocol):
    """What an importer would write: the counts for the report, and how to write it."""

    @property
    def created(self) -> int: ...

    @property
    def updated(self) -> int: ...

    @property
    def unchanged(self) -> int: ...

    def apply(self) -> None:
        """Write the plan. Called inside the import's transaction, only for a valid file."""


class Planner[RowT: ImportRow](Protocol):
    def __call__(self, *, rows: Sequence[SourceRow[RowT]], problems: ProblemLog) -> ImportPlan:
        """Check the rows against the database, adding problems, and plan the writes."""
        ...


class Stager[RowT: ImportRow](Protocol):
    """One run of a staged import: what goes into the staging table for a row, and the plan
    worked out from that table by set-based SQL.

    `columns` name the staging table's columns and their SQL types; the first is `line`, the
    row's line in the file. `quick` may turn a row's cells straight into the staged values for
    the common, plainly valid row, and returns None for anything else, which then goes through
    the row model (with its exact messages) and `staged`.
    """

    prefix: str
    columns: Mapping[str, str]

    def quick(
        self, *, line: int, values: Mapping[str, str], german: bool
    ) -> tuple[Any, ...] | None:
        """The staged values of a plainly valid row, or None to let the row model decide."""
        ...

    def staged(self, *, line: int, row: RowT) -> tuple[Any, ...]:
        """The staged values of a row the row model accepted."""
        ...

    def plan(self, *, table: StagingTable, problems: ProblemLog) -> ImportPlan:
        """Check the staged rows against each other and the database, adding problems."""
        ...


@dataclass(frozen=True)
class Importer[RowT: ImportRow]:
    """One kind of import: its name (as in `channeldesk import NAME`), row model and either a
    planner (the valid rows in memory: for registers, whose rows are checked against each other)
    or a stager (the rows in a staging table, a chunk at a time: for files of any length)."""

    name: str
    row_model: type[RowT]
    plan: Planner[RowT] | None = None
    stager: Callable[[], Stager[RowT]] | None = None
    # The model whose rows the import writes: the audit trail's entry for a run names it.
    model: type[models.Model] | None = None

    def __post_init__(self) -> None:
        if (self.plan is None) == (self.stager is None):
            raise TypeError(f"importer {self.name} needs either a planner or a stager")

    @property
    def required_columns(self) -> list[str]:
        return [name for name, required in self.row_model.columns().items() if required]

    @property
    def optional_columns(self) -> list[str]:
        return [name for name, required in self.row_model.columns().items() if not required]


def import_file[RowT: ImportRow](
    *,
    importer: Importer[RowT],
    source: Iterable[bytes],
    file_name: str,
    total_bytes: int | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    sheet: str | None = None,
) -> ImportResult:
    """Import a whole CSV file or workbook sheet, or nothing of it (the five steps of the module
    docstring). `sheet` names a workbook's sheet (default: its first worksheet).

    The file is rejected when the report has problems; a dry run stops before writing but runs
    every check, including the database-level ones.
    """
    notify = progress or _ignore_progress
    if importer.stager is not None:
        return _import_staged(
            importer=importer,
            stager=importer.stager(),
            source=source,
            file_name=file_name,
            total_bytes=total_bytes,
            dry_run=dry_run,
            progress=notify,
            sheet=sheet,
        )
    parsed = read_csv_rows(
        row_model=importer.row_model,
        source=source,
        file_name=file_name,
        total_bytes=total_bytes,
        progress=notify,
        sheet=sheet,
    )
    notify(ImportProgress(ImportStage.CHECKING, 0, None, parsed.row_count))
    planner = importer.plan
    assert planner is not None  # an importer has a planner or a stager (__post_init__)
    plan = _plan_and_apply(
        lambda: planner(rows=parsed.rows, problems=parsed.problems),
        importer=importer,
        parsed=parsed,
        dry_run=dry_run,
        progress=notify,
    )
    return _report(importer=importer, parsed=parsed, plan=plan, dry_run=dry_run)


def _import_staged[RowT: ImportRow](
    *,
    importer: Importer[RowT],
    stager: Stager[RowT],
    source: Iterable[bytes],
    file_name: str,
    total_bytes: int | None,
    dry_run: bool,
    progress: ProgressCallback,
    sheet: str | None,
) -> ImportResult:
    """A staged import: the rows go into a staging table CHUNK_ROWS at a time, so memory does
    not grow with the file; the checks and the writes are set-based SQL over that table.

    Staging runs outside the transaction (the temporary table is the session's own, and on
    SQLite outside the main database file), so a long file keeps no write lock while it is
    read; the database checks and the writes then run in one transaction, as before.
    """
    parsed: ParsedFile[RowT] = ParsedFile(
        file_name, [], 0, "utf-8", ",", ProblemLog(file_name), ProblemLog(file_name)
    )
    with staging_table(prefix=stager.prefix, columns=stager.columns) as table:
        _stage_rows(
            parsed,
            importer=importer,
            stager=stager,
            table=table,
            source=source,
            total_bytes=total_bytes,
            progress=progress,
            sheet=sheet,
        )
        table.analyze()
        progress(ImportProgress(ImportStage.CHECKING, 0, None, parsed.row_count))
        if connection.vendor == "sqlite" and not dry_run and not len(parsed.problems):
            plan = _plan_then_apply_on_sqlite(
                importer=importer, stager=stager, table=table, parsed=parsed, progress=progress
            )
        else:
            plan = _plan_and_apply(
                lambda: stager.plan(table=table, problems=parsed.problems),
                importer=importer,
                parsed=parsed,
                dry_run=dry_run,
                progress=progress,
            )
    return _report(importer=importer, parsed=parsed, plan=plan, dry_run=dry_run)


def _plan_then_apply_on_sqlite[RowT: ImportRow](
    *,
    importer: Importer[RowT],
    stager: Stager[RowT],
    table: StagingTable,
    parsed: ParsedFile[RowT],
    progress: ProgressCallback,
) -> ImportPlan:
    """SQLite has one writer: plan (the checks and the comparison with what is stored) before
    taking the write lock, and hold it only for the writes, so that logins and jobs do not wait
    for a long file's checks. If another connection committed in between, what was read may
    have changed: plan again, inside the lock (docs/operations-sqlite.md)."""
    mark = commit_mark()
    plan = stager.plan(table=table, problems=parsed.problems)
    if len(parsed.problems):
        return plan
    with transaction.atomic():
        if others_committed_since(mark):
            table.drop_derived()
            plan = stager.plan(table=table, problems=parsed.problems)
            if len(parsed.problems):
                return plan
        progress(ImportProgress(ImportStage.WRITING, 0, None, parsed.row_count))
        plan.apply()
        _audit_import(importer=importer, parsed=parsed, plan=plan)
    return plan


def _stage_rows[RowT: ImportRow](
    parsed: ParsedFile[RowT],
    *,
    importer: Importer[RowT],
    stager: Stager[RowT],
    table: StagingTable,
    source: Iterable[bytes],
    total_bytes: int | None,
    progress: ProgressCallback,
    sheet: str | None,
) -> None:
    """Validate the rows and write the valid ones to the staging table, a chunk at a time.

    Rows of a file that already has problems are still staged: the database checks then report
    theirs too, so one run names every problem of the file.
    """
    chunk: list[tuple[Any, ...]] = []
    values = stream_values(
        parsed,
        row_model=importer.row_model,
        source=source,
        total_bytes=total_bytes,
        progress=progress,
        sheet=sheet,
    )
    for line, cells in values:
        staged = stager.quick(line=line, values=cells, german=parsed.german)
        if staged is None:
            row = validate_row(
                row_model=importer.row_model,
                values=cells,
                line=line,
                german=parsed.german,
                problems=parsed.problems,
            )
            if row is None:
                continue
            staged = stager.staged(line=line, row=row)
        chunk.append(staged)
        if len(chunk) >= CHUNK_ROWS:
            table.write(chunk)
            chunk = []
    table.write(chunk)


def _plan_and_apply[RowT: ImportRow](
    make_plan: Callable[[], ImportPlan],
    *,
    importer: Importer[RowT],
    parsed: ParsedFile[RowT],
    dry_run: bool,
    progress: ProgressCallback,
) -> ImportPlan:
    # Checks still run on a file that already has problems, so one run reports them all.
    if dry_run or len(parsed.problems):
        return make_plan()
    # Planning inside the transaction keeps the checks and the writes consistent.
    with transaction.atomic():
        plan = make_plan()
        if not len(parsed.problems):
            progress(ImportProgress(ImportStage.WRITING, 0, None, parsed.row_count))
            plan.apply()
            _audit_import(importer=importer, parsed=parsed, plan=plan)
    return plan


def _audit_import[RowT: ImportRow](
    *, importer: Importer[RowT], parsed: ParsedFile[RowT], plan: ImportPlan
) -> None:
    """One audit entry per import that wrote something, in its transaction: which import,
    which file, and its counts (the rows themselves are bulk writes the model log never sees)."""
    if importer.model is None or not (plan.created or plan.updated):
        return
    audit_record(
        action=f"import.{importer.name}",
        target=importer.model,
        counts={"created": plan.created, "updated": plan.updated, "unchanged": plan.unchanged},
        details={"file": parsed.file},
        operation="create",
    )


def _report[RowT: ImportRow](
    *, importer: Importer[RowT], parsed: ParsedFile[RowT], plan: ImportPlan, dry_run: bool
) -> ImportResult:
    accepted = not len(parsed.problems)
    return ImportResult(
        kind=importer.name,
        file=parsed.file,
        dry_run=dry_run,
        encoding=parsed.encoding,
        delimiter=parsed.delimiter,
        rows=parsed.row_count,
        created=plan.created if accepted else 0,
        updated=plan.updated if accepted else 0,
        unchanged=plan.unchanged if accepted else 0,
        warnings=parsed.warnings.in_file_order(),
        problems=parsed.problems.in_file_order(),
        omitted_problems=parsed.problems.omitted,
        sheet=parsed.sheet,
    )


# --- Helpers for planners ----------------------------------------------------------------------


def select_in[RowT](
    *, queryset: QuerySet[Any, RowT], field: str, keys: Collection[Any]
) -> list[RowT]:
    """The rows whose `field` is one of `keys`: a query per LOOKUP_BATCH keys, none for no keys."""
    ordered = list(keys)
    results: list[RowT] = []
    for start in range(0, len(ordered), LOOKUP_BATCH):
        batch = ordered[start : start + LOOKUP_BATCH]
        results.extend(queryset.filter(**{f"{field}__in": batch}))
    return results


def report_duplicates[RowT: ImportRow](
    *,
    rows: Sequence[SourceRow[RowT]],
    key: Callable[[RowT], str],
    column: str,
    problems: ProblemLog,
) -> None:
    """A key that must be unique in the file appears again: a problem on every repeat."""
    first_line: dict[str, int] = {}
    for row in rows:
        value = key(row.data)
        if value in first_line:
            reason = f"{value} appears more than once (first on line {first_line[value]})"
            problems.add(row=row.line, column=column, reason=reason)
        else:
            first_line[value] = row.line


@dataclass
class UpsertPlan[ModelT: models.Model]:
    """Records to create and to update for an import keyed by one unique field."""

    model: type[ModelT]
    to_create: list[ModelT]
    to_update: list[ModelT]
    update_fields: list[str]
    unchanged: int

    @property
    def created(self) -> int:
        return len(self.to_create)

    @property
    def updated(self) -> int:
        return len(self.to_update)

    def apply(self) -> None:
        manager = self.model._default_manager
        manager.bulk_create(self.to_create, batch_size=WRITE_BATCH)
        if self.to_update:
            manager.bulk_update(self.to_update, self.update_fields, batch_size=WRITE_BATCH)


def upsert_plan[ModelT: models.Model](
    *, model: type[ModelT], key_field: str, values: Mapping[str, Mapping[str, Any]]
) -> UpsertPlan[ModelT]:
    """Plan an upsert by `key_field`: new keys are created, changed records updated.

    `values` maps each key to the field values the file gives for it. A record whose values all
    equal the stored ones is left alone, so re-importing a file changes nothing. One query reads
    the existing records; `auto_now` fields of changed records are set, as `save()` would.
    """
    queryset = model._default_manager.all()
    existing = {
        getattr(record, key_field): record
        for record in select_in(queryset=queryset, field=key_field, keys=values.keys())
    }
    plan = UpsertPlan(model=model, to_create=[], to_update=[], update_fields=[], unchanged=0)
    changed_fields: set[str] = set()
    for key, fields in values.items():
        record = existing.get(key)
        if record is None:
            plan.to_create.append(model(**{key_field: key, **fields}))
        elif changed := _assign_changes(record, fields):
            plan.to_update.append(record)
            changed_fields.update(changed)
        else:
            plan.unchanged += 1
    plan.update_fields = sorted(changed_fields) + _touch_auto_now(model, plan.to_update)
    return plan


def _assign_changes(record: models.Model, fields: Mapping[str, Any]) -> list[str]:
    changed = [name for name, value in fields.items() if getattr(record, name) != value]
    for name in changed:
        setattr(record, name, fields[name])
    return changed


def _touch_auto_now(model: type[models.Model], records: list[Any]) -> list[str]:
    names = [
        model_field.name
        for model_field in model._meta.concrete_fields
        if getattr(model_field, "auto_now", False)
    ]
    now = timezone.now()
    for record in records:
        for name in names:
            setattr(record, name, now)
    return names if records else []
