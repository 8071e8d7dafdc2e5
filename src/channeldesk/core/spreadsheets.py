"""Reading Excel workbooks (`.xlsx`) for the imports, a row at a time.

Why python-calamine: it reads a sheet in Rust and hands over typed cells (text, numbers, dates,
times, booleans), so an imported workbook needs no locale guessing, some 30 to 40 times faster
than openpyxl's per-cell parsing in Python (docs/imports.md has the measured times). openpyxl stays
the writer of the `.xlsx` exports (`core/exports.py`); calamine does not write.

What calamine does not say, and how this module fills it in:

- **Excel errors.** calamine reads a cell holding an Excel error (`#DIV/0!`, `#N/A`) as an empty
  text, which the import would take for a blank. Before the rows are read, the sheet's XML is
  scanned (as it unpacks, a chunk at a time, byte search for the rare `t="e"`) for error cells,
  which then read as `CellError`.
- **Formulas without a saved result.** calamine reads a formula cell as the result saved with
  it. Excel and LibreOffice always save one; a file written by a script that does not calculate
  (openpyxl) has none, and such a cell reads as empty (docs/imports.md says so).
- **Zip bombs.** calamine unpacks the parts it reads whole; the zip's declared sizes are checked
  first (`MAX_UNPACKED_BYTES`, `MAX_SHARED_STRINGS_BYTES`).

The cells become the text a plain CSV file would hold, so that every import reads a workbook
with the same row models, checks and messages as its CSV twin (`cell_text`).
"""

from __future__ import annotations

import datetime as dt
import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from xml.etree import ElementTree

from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

# How a file starts: a zip archive (every .xlsx), or an OLE compound document (an encrypted,
# password-protected .xlsx, or an old .xls workbook).
ZIP_SIGNATURE = b"PK\x03\x04"
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# A workbook whose parts unpack to more than this is refused before a row is read: an upload is
# at most API_INGEST_MAX_BODY_BYTES (64 MiB), but a zip archive can unpack a thousandfold, and
# calamine holds the sheet's cells in memory (about 1.7 bytes per byte of sheet XML: 256 MiB is
# some 850,000 order lines as openpyxl writes them, more as Excel saves them, and keeps reading
# below 512 MiB; docs/imports.md).
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
# calamine holds the shared strings (every distinct text of the workbook) in memory.
MAX_SHARED_STRINGS_BYTES = 128 * 1024 * 1024
# Floats with an integral value below this are exact whole numbers (2**53).
_EXACT_INTEGERS = 2**53
# A zip member's general purpose flag saying it is encrypted.
_ZIP_ENCRYPTED = 0x1
# Significant digits Excel shows of a number (and keeps when it saves one).
EXCEL_DIGITS = 15
# What reading a damaged archive can raise, from zipfile (a bad CRC, a corrupt central directory
# "negative seek value", unsupported zip versions or compression methods, a member flagged
# encrypted "password required"), zlib and calamine: each means the file is not readable.
_DAMAGE: tuple[type[Exception], ...] = (
    CalamineError,
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    ValueError,
    NotImplementedError,
    RuntimeError,
)


class WorkbookError(Exception):
    """The file is not a readable workbook, or the sheet asked for is not in it; the message
    says which, for people."""


@dataclass(frozen=True, slots=True)
class CellError:
    """A cell holding an Excel error (`#DIV/0!`, `#N/A`, `#REF!`): the formula failed."""

    code: str


def is_workbook_start(head: bytes) -> bool:
    """Whether a file starting with `head` is a zip archive, as an .xlsx workbook is."""
    return head.startswith(ZIP_SIGNATURE)


def is_encrypted_or_legacy(head: bytes) -> bool:
    """Whether a file starting with `head` is an OLE document: an encrypted .xlsx or an .xls."""
    return head.startswith(OLE_SIGNATURE)


def cell_text(value: object) -> str:
    """A typed cell as the text a plain CSV file (`,`, ISO dates) would hold for it.

    1. Empty cells are empty text; text stays as it is.
    2. Whole numbers are their digits. A float is written as Excel displays it: rounded to 15
       significant digits (Excel's precision), trailing zeros dropped, never in exponent form.
       So a cell showing 19.99 is 19.99 exactly, never 19.989999999999998, and a formula's
       result saved as 114.99999999999999 (`=100*1.15`) or 0.30000000000000004 (`=0.1+0.2`) is
       115 or 0.3, as Excel shows it; a float with an integral value is a whole number
       (`10.0` → `10`).
    3. Dates are ISO dates; a date and time at midnight (how Excel stores a date) is the date.
    4. Booleans are TRUE and FALSE, as Excel shows them.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    for kind, text in _TEXTS:
        if isinstance(value, kind):
            return text(value)
    return str(value)


def _datetime_text(value: dt.datetime) -> str:
    return value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < _EXACT_INTEGERS:
        return str(int(value))
    return format(Decimal(f"{value:.{EXCEL_DIGITS}g}"), "f")


# In this order: a bool is an int, a datetime is a date.
_TEXTS: tuple[tuple[type[Any], Callable[[Any], str]], ...] = (
    (CellError, lambda value: value.code),
    (bool, lambda value: "TRUE" if value else "FALSE"),
    (int, str),
    (float, _float_text),
    (dt.datetime, _datetime_text),
    (dt.date, dt.date.isoformat),
    (dt.time, dt.time.isoformat),
)


def column_letter(number: int) -> str:
    """The letters of a column as Excel names it: 1 → A, 27 → AA."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


class SheetReader:
    """The rows of one worksheet of a workbook; `close()` when done.

    `name` is the sheet's name; `rows()` yields (row number, typed cells) for every row up to
    the sheet's last one with a value, the first cell in column A; `fraction_read()` says how
    far reading has got.
    """

    def __init__(self, source: IO[bytes], *, sheet: str | None) -> None:
        self._archive = _open_archive(source)
        try:
            with _damage_is("the workbook is damaged"):
                source.seek(0)
                self._workbook = _open_workbook(source)
                self.name = self._choose(sheet)
                self._part = _sheet_part(self._archive, self.name)
                self.size = self._archive.getinfo(self._part).file_size
        except BaseException:
            self._archive.close()
            raise
        self._read = self._total = 0

    def _choose(self, sheet: str | None) -> str:
        worksheets = [
            each.name
            for each in self._workbook.sheets_metadata
            if each.typ == SheetTypeEnum.WorkSheet
        ]
        if sheet is None:
            if not worksheets:
                raise WorkbookError("the workbook has no worksheet")
            return worksheets[0]
        if sheet not in worksheets:
            listed = ", ".join(repr(name) for name in self._workbook.sheet_names)
            raise WorkbookError(f"the workbook has no sheet {sheet!r}; its sheets: {listed}")
        return sheet

    def rows(self) -> Iterator[tuple[int, tuple[object, ...]]]:
        # A damaged archive or sheet (a bad CRC, broken XML, a shared string that is not there)
        # means the same for the import: not readable.
        damaged = f"the sheet {self.name!r} is damaged"
        with _damage_is(damaged):
            errors = _error_cells(self._archive, self._part)
            loaded = self._workbook.get_sheet_by_name(self.name)
            # calamine's rows start at row 1, their cells at the sheet's first column with a
            # value.
            start = loaded.start
            end = loaded.end
            padding: tuple[None, ...] = (None,) * (start[1] if start is not None else 0)
            self._total = end[0] + 1 if end is not None else 0
            sheet_rows = enumerate(loaded.iter_rows())
        while True:
            with _damage_is(damaged):
                following = next(sheet_rows, None)
            if following is None:
                break
            index, cells = following
            number = index + 1
            self._read = number
            values: tuple[object, ...] = padding + tuple(cells)
            if number in errors:
                values = _with_errors(values, errors.pop(number))
            yield number, values
        # calamine's rows include error cells today (as empty texts); should its rows ever end
        # above a last row of errors only, those rows are not lost.
        for number in sorted(errors):
            yield number, _with_errors((), errors[number])

    def fraction_read(self) -> float:
        """How many of the sheet's rows have been read, 0 to 1."""
        return min(self._read / self._total, 1.0) if self._total else 0.0

    def close(self) -> None:
        self._workbook.close()
        self._archive.close()


@contextmanager
def _damage_is(problem: str) -> Iterator[None]:
    """Turn what reading a damaged archive raises (`_DAMAGE`) into a WorkbookError saying
    `problem (the reader's message)`; the import adds the file's name."""
    try:
        yield
    except _DAMAGE as error:
        raise WorkbookError(f"{problem} ({error or type(error).__name__})") from None


def _open_archive(source: IO[bytes]) -> zipfile.ZipFile:
    """The file as a zip archive that is an .xlsx workbook of allowed size; WorkbookError when
    it is not one or unpacks to more than is allowed."""
    with _damage_is("not a readable .xlsx workbook"):
        archive = zipfile.ZipFile(source)
    try:
        for part in ("[Content_Types].xml", "xl/workbook.xml"):
            archive.getinfo(part)
        _check_not_encrypted(archive)
        _check_unpacked_size(archive)
        _check_declared_sizes(archive)
    except KeyError as error:
        archive.close()
        raise WorkbookError(f"a zip archive, but not an .xlsx workbook ({error})") from None
    except BaseException:
        archive.close()
        raise
    return archive


def _open_workbook(source: IO[bytes]) -> CalamineWorkbook:
    # Broken XML, a missing part, a bad CRC: each means the same for the import.
    with _damage_is("the workbook is damaged"):
        return CalamineWorkbook.from_filelike(source)


def _check_not_encrypted(archive: zipfile.ZipFile) -> None:
    """Refuse a part flagged encrypted (zip's own password protection, general purpose bit 0;
    Excel never writes it): zipfile would ask for a password."""
    for member in archive.infolist():
        if member.flag_bits & _ZIP_ENCRYPTED:
            raise WorkbookError(
                f"the workbook's part {member.filename!r} is encrypted (password-protected); "
                "save it as .xlsx without a password, or as CSV"
            )


def _check_unpacked_size(archive: zipfile.ZipFile) -> None:
    """Refuse a zip bomb by the sizes the archive declares (zipfile refuses a part that unpacks
    to more than it declares; calamine is given the archive only after this check)."""
    members = archive.infolist()
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise WorkbookError(
            f"the workbook unpacks to {unpacked:,} bytes, more than the {MAX_UNPACKED_BYTES:,} "
            "allowed; split it into several files"
        )
    strings = sum(
        member.file_size for member in members if member.filename.endswith("sharedStrings.xml")
    )
    if strings > MAX_SHARED_STRINGS_BYTES:
        raise WorkbookError(
            f"the workbook's texts take {strings:,} bytes, more than the "
            f"{MAX_SHARED_STRINGS_BYTES:,} allowed; split it into several files"
        )


def _check_declared_sizes(archive: zipfile.ZipFile) -> None:
    """Unpack every part but the worksheets once, as zipfile does: never past the size the
    archive declares, and a part that would unpack to more fails its checksum. calamine reads
    these parts whole when it opens the workbook; the chosen worksheet is unpacked the same way
    by `_error_cells` before calamine reads it, the other worksheets never."""
    for member in archive.infolist():
        if member.filename.startswith("xl/worksheets/") or member.is_dir():
            continue
        with _damage_is("the workbook is damaged"), archive.open(member) as stream:
            while stream.read(_SCAN_CHUNK):
                pass


# --- Finding a sheet's XML, and the error cells in it -------------------------------------------

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STRICT_MAIN = "{http://purl.oclc.org/ooxml/spreadsheetml/main}"
_RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_STRICT_RELATIONSHIP_ID = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"
_PACKAGE_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
# Bytes of sheet XML unpacked at a time when looking for error cells.
_SCAN_CHUNK = 1024 * 1024
# A cell's type attribute saying it holds an Excel error (`t="e"`), and the parts of its cell.
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*(["'])e\1""")
_CELL_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\s")
_CELL_REFERENCE = re.compile(rb"""\sr\s*=\s*["']([A-Z]{1,3})([0-9]+)["']""")
_CELL_VALUE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?v>([^<]*)<")
_CELL_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?c>|<(?:[A-Za-z_][\w.-]*:)?c\s")


def _sheet_part(archive: zipfile.ZipFile, name: str) -> str:
    """The path in the archive of the sheet called `name` (workbook.xml names the sheet's
    relationship; the workbook's relationships name its part).

    The standard library's parser is safe here: its expat (2.4 and later, bundled with Python
    3.13) refuses entity expansion attacks, it never fetches external entities, and the parts'
    sizes are checked before (`_check_unpacked_size`)."""
    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))  # noqa: S314
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))  # noqa: S314
    except (KeyError, ElementTree.ParseError) as error:
        raise WorkbookError(f"the workbook is damaged ({error})") from None
    for element in book.iter():
        if element.tag in (f"{_MAIN}sheet", f"{_STRICT_MAIN}sheet") and element.get("name") == name:
            relation = element.get(_RELATIONSHIP_ID) or element.get(_STRICT_RELATIONSHIP_ID)
            break
    else:
        raise WorkbookError(f"the workbook is damaged (no sheet {name!r} in workbook.xml)")
    for element in relations.iter(_PACKAGE_RELATIONSHIP):
        if element.get("Id") == relation:
            target = element.get("Target", "")
            path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
            path = posixpath.normpath(path)
            if path in archive.NameToInfo:
                return path
    raise WorkbookError(f"the workbook is damaged (the sheet {name!r} has no part)")


def _error_cells(archive: zipfile.ZipFile, part: str) -> dict[int, dict[int, str]]:
    """The sheet's cells holding an Excel error: row number → column index (A = 0) → the error
    (`#DIV/0!`). The XML is unpacked a chunk at a time and cut after a row's end, so that a cell
    is never split; most sheets have no `t="e"` at all and cost only the unpacking."""
    errors: dict[int, dict[int, str]] = {}
    pending = b""
    with archive.open(part) as stream:
        while chunk := stream.read(_SCAN_CHUNK):
            pending += chunk
            cut = pending.rfind(b"row>") + len(b"row>")
            if cut < len(b"row>"):
                continue
            _collect_errors(pending[:cut], errors)
            pending = pending[cut:]
    _collect_errors(pending, errors)
    return errors


def _collect_errors(xml: bytes, errors: dict[int, dict[int, str]]) -> None:
    if b'"e"' not in xml and b"'e'" not in xml:
        return
    for match in _ERROR_TYPE.finditer(xml):
        start = xml.rfind(b"<", 0, match.start())
        end = xml.find(b">", match.end())
        if start < 0 or end < 0 or not _CELL_START.match(xml, start):
            continue
        reference = _CELL_REFERENCE.search(xml[start:end])
        if reference is None:
            continue
        letters, row = reference.groups()
        following = _CELL_END.search(xml, end)
        stop = following.start() if following is not None else len(xml)
        value = None if xml[end - 1 : end] == b"/" else _CELL_VALUE.search(xml, end, stop)
        code = value.group(1).decode(errors="replace") if value is not None else "#VALUE!"
        errors.setdefault(int(row), {})[_column_index(letters.decode())] = code


def _column_index(letters: str) -> int:
    """The index of a column named by its letters: A → 0, AA → 26."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def _with_errors(values: tuple[object, ...], errors: dict[int, str]) -> tuple[object, ...]:
    cells = list(values) + [None] * (max(errors) + 1 - len(values))
    for column, code in errors.items():
        cells[column] = CellError(code)
    return tuple(cells)
