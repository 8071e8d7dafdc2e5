"""Helpers for the import tests: files as German Excel writes them (CSV and .xlsx), and a
database snapshot."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook

from channeldesk.catalog.models import Order, OrderLine, Product
from channeldesk.core.importing import Importer, ImportResult, import_file
from channeldesk.partners.models import Partner

DATA = Path(__file__).parent / "data"


def excel_csv(text: str) -> bytes:
    """What German Excel's "CSV (Trennzeichen-getrennt)" writes: Windows-1252 with CRLF."""
    return text.replace("\n", "\r\n").encode("cp1252")


def excel_utf8_csv(text: str) -> bytes:
    """What German Excel's "CSV UTF-8" writes: UTF-8 with a byte order mark and CRLF."""
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")


def run_import(
    importer: Importer[Any], content: bytes, *, name: str = "file.csv", dry_run: bool = False
) -> ImportResult:
    return import_file(
        importer=importer,
        source=io.BytesIO(content),
        file_name=name,
        total_bytes=len(content),
        dry_run=dry_run,
    )


def database_state() -> dict[str, list[dict[str, Any]]]:
    """Every row (all columns, timestamps included) of the tables the imports write."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Partner, Product, Order, OrderLine)
    }


def reimported(
    importer: Importer[Any],
    first: bytes,
    again: bytes | None = None,
    *,
    state: Callable[[], object] = database_state,
) -> ImportResult:
    """The report of importing `again` (`first` once more, if not given) after `first`, once it
    is known that the second import changed nothing, timestamps included (`state` reads the
    tables concerned, the imports' by default)."""
    run_import(importer, first)
    before = state()
    report = run_import(importer, first if again is None else again)
    assert state() == before
    return report


def problem_lines(report: ImportResult) -> list[str]:
    return [str(problem) for problem in report.problems]


def import_refused(
    importer: Importer[Any],
    content: bytes,
    *,
    name: str = "file.csv",
    state: Callable[[], object] = database_state,
) -> ImportResult:
    """The report of importing `content`, once it is known that the whole file was refused and
    nothing was written (`state` reads the tables concerned, the imports' by default)."""
    before = state()
    report = run_import(importer, content, name=name)
    assert (report.accepted, report.created, report.updated, report.unchanged) == (
        False,
        0,
        0,
        0,
    )
    assert state() == before
    return report


def refused_problems(
    importer: Importer[Any],
    content: bytes,
    *,
    name: str = "file.csv",
    state: Callable[[], object] = database_state,
) -> list[str]:
    """The problems of `import_refused`."""
    return problem_lines(import_refused(importer, content, name=name, state=state))


def workbook(
    rows: Sequence[Sequence[object]],
    *,
    title: str = "Sheet1",
    before: Mapping[str, Sequence[Sequence[object]]] | None = None,
) -> bytes:
    """An .xlsx workbook as openpyxl writes it, its cells typed as given (str, int, float,
    date, datetime, bool, None; a str starting with `=` is a formula): the sheet `title` holds
    `rows`, after the sheets of `before` (name → rows)."""
    book = Workbook()
    first = book.active
    assert first is not None
    book.remove(first)
    for name, sheet_rows in {**(before or {}), title: rows}.items():
        sheet = book.create_sheet(name)
        for row in sheet_rows:
            sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def with_sheet_xml(content: bytes, edit: Callable[[str], str], *, sheet: int = 1) -> bytes:
    """The workbook with its `sheet`-th worksheet's XML edited: what Excel saves that openpyxl
    cannot write (a formula's saved result, an error cell)."""
    member = f"xl/worksheets/sheet{sheet}.xml"
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == member:
                data = edit(data.decode()).encode()
            target.writestr(item, data)
    return buffer.getvalue()


_INLINE = re.compile(r'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: [^>]*)?>([^<]*)</t></is></c>')
_SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)
_SHARED_STRINGS_RELATION = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
)


def as_excel_saves(content: bytes) -> bytes:
    """An openpyxl workbook with its texts moved into a shared strings table, as Excel and
    LibreOffice save them (openpyxl writes each text into its cell)."""
    strings: list[str] = []

    def shared(match: re.Match[str]) -> str:
        strings.append(match.group(3))
        return f'<c {match.group(1)}t="s"{match.group(2)}><v>{len(strings) - 1}</v></c>'

    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename).decode()
            if item.filename.startswith("xl/worksheets/"):
                data = _INLINE.sub(shared, data)
            elif item.filename == "[Content_Types].xml":
                data = data.replace(
                    "</Types>",
                    '<Override PartName="/xl/sharedStrings.xml" '
                    f'ContentType="{_SHARED_STRINGS_TYPE}"/></Types>',
                )
            elif item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(
                    "</Relationships>",
                    f'<Relationship Id="rIdStrings" Type="{_SHARED_STRINGS_RELATION}" '
                    'Target="sharedStrings.xml"/></Relationships>',
                )
            target.writestr(item, data.encode())
        items = "".join(f"<si><t>{text}</t></si>" for text in strings)
        target.writestr(
            "xl/sharedStrings.xml",
            '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>',
        )
    return buffer.getvalue()
