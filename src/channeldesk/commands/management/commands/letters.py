"""`channeldesk letters batch --date D [--output FILE]`: the day's letters as one PDF.

The batch holds the letters of the reminders sent on that business day (not every PDF archived
that day: a letter in review is printed only once staff release it), in the order they were
archived, each exactly as stored. The default file is `letters-<date>.pdf` in the current
directory; a day without letters writes no file and fails, so a cron job notices.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channeldesk.commands.console import FORMATS, out_console, parse_date, to_json
from channeldesk.contracts.reminders.selectors import reminder_letters_sent_on
from channeldesk.documents.pdfbatch import EmptyPrintBatch
from channeldesk.documents.services import letters_print_batch


class Command(BaseCommand):
    help = "Bind the letters sent on a day into one PDF for the mailing house."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        batch = commands.add_parser("batch", help="The day's letters as one print-batch PDF.")
        batch.add_argument("--date", type=parse_date, required=True, help="The business day.")
        batch.add_argument("--output", type=Path, help="The PDF to write (letters-DATE.pdf).")
        batch.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        day = options["date"]
        target = options["output"] or Path(f"letters-{day.isoformat()}.pdf")
        partial = target.with_name(f".{target.name}.partial")
        try:
            with partial.open("wb") as stream:
                documents = reminder_letters_sent_on(day=day).iterator(chunk_size=200)
                batch = letters_print_batch(documents=documents, target=stream)
        except EmptyPrintBatch:
            partial.unlink(missing_ok=True)
            raise CommandError(f"No letters were sent on {day}; no batch written.") from None
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        os.replace(partial, target)
        summary = {
            "date": day,
            "file": str(target),
            "letters": batch.letters,
            "pages": batch.pages,
            "size_bytes": batch.size_bytes,
            "sha256": batch.sha256,
        }
        if options["format"] == "json":
            self.stdout.write(to_json(summary))
            return
        out_console(self.stdout).print(
            f"{target}: {batch.letters} letter(s), {batch.pages} page(s), "
            f"{batch.size_bytes} bytes, sha256 {batch.sha256}"
        )
