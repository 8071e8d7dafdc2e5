"""Helpers for the import tests: files as German Excel writes them, and a database snapshot."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
