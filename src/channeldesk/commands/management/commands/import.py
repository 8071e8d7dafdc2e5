# ruff: noqa: N999 - Django names a command after its module, and the command is `import`.
"""`channeldesk import partners|products|orders|customers|contracts|training FILE [--dry-run]
[--sheet NAME]`: ERP CSV files or Excel workbooks (and the training company's records) into
ChannelDesk.

The file is imported whole or not at all. Every problem is printed as `FILE:ROW: column: reason`
(the form editors and CI logs link to), in a workbook `FILE:SHEET!ROW: column: reason`, then the
command fails with exit code 1. A workbook is told by its name (`.xlsx`) or its first bytes (a zip
archive), never by an option; `--sheet` picks its sheet (default: the first worksheet).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from channeldesk.commands.console import ChannelDeskCommand, err_console
from channeldesk.contracts.imports import IMPORTERS, import_followup
from channeldesk.core.importing import (
    Importer,
    ImportProgress,
    ImportResult,
    ImportStage,
    ProgressCallback,
    import_file,
)

# Files smaller than this import in well under a second; a bar would only flicker.
PROGRESS_BAR_MIN_BYTES = 1024 * 1024


@contextmanager
def progress_bar(*, total_bytes: int) -> Iterator[ProgressCallback | None]:
    """A rich progress bar on stderr for large files read from a terminal session, else None."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn  # noqa: PLC0415 (start-up cost: commands/console.py)

    console = err_console()
    if total_bytes < PROGRESS_BAR_MIN_BYTES or not console.is_terminal:
        yield None
        return
    columns = (
        TextColumn("{task.description:<9}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("{task.fields[rows]:>12,} rows"),
    )
    with Progress(*columns, TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task(ImportStage.READING.value, total=total_bytes, rows=0)

        def update(progress: ImportProgress) -> None:
            done = progress.done if progress.stage is ImportStage.READING else total_bytes
            bar.update(task, completed=done, description=progress.stage.value, rows=progress.rows)

        yield update


def _columns_help() -> str:
    lines = []
    for name, importer in IMPORTERS.items():
        optional = importer.optional_columns
        extra = f" (optional: {', '.join(optional)})" if optional else ""
        lines.append(f"{name}: {', '.join(importer.required_columns)}{extra}")
    return "; ".join(lines)


class Command(ChannelDeskCommand):
    help = (
        "Import a CSV file or an Excel workbook (.xlsx) from the ERP, whole or not at all. "
        "Accepts German Excel CSV files (';', Windows-1252 or UTF-8 with BOM, 1.234,50, "
        "dd.mm.yyyy), plain ones, and workbooks (typed cells; the first worksheet or --sheet). "
        f"Columns: {_columns_help()}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS), help="What the file holds.")
        parser.add_argument("file", type=Path, help="The CSV file or .xlsx workbook.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check everything, write nothing."
        )
        parser.add_argument(
            "--sheet",
            metavar="NAME",
            help="The worksheet of an .xlsx workbook to import (default: the first).",
        )

    def handle(
        self,
        *args: Any,
        kind: str,
        file: Path,
        dry_run: bool,
        sheet: str | None = None,
        **options: Any,
    ) -> None:
        report = self._run(importer=IMPORTERS[kind], path=file, dry_run=dry_run, sheet=sheet)
        for warning in report.warnings:
            self.stderr.write(f"{warning} (warning)", style_func=self.style.WARNING)
        for problem in report.problems:
            self.stderr.write(str(problem), style_func=self.style.ERROR)
        if not report.accepted:
            raise CommandError(report.summary())
        self.stdout.write(report.summary(), style_func=self.style.SUCCESS)
        numbers = None if dry_run else import_followup(kind)
        if numbers is not None:
            self.stdout.write(f"{numbers:,} caller numbers ready for call routing.")

    def _run(
        self, *, importer: Importer[Any], path: Path, dry_run: bool, sheet: str | None
    ) -> ImportResult:
        try:
            total_bytes = path.stat().st_size
            with path.open("rb") as source, progress_bar(total_bytes=total_bytes) as progress:
                return import_file(
                    importer=importer,
                    source=source,
                    file_name=str(path),
                    total_bytes=total_bytes,
                    dry_run=dry_run,
                    progress=progress,
                    sheet=sheet,
                )
        except OSError as error:
            raise CommandError(f"{path}: cannot be read ({error.strerror})") from None
