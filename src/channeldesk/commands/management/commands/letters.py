"""`channeldesk letters batch --date D [--output DIR|FILE]`: the day's letters as one PDF.

The batch holds the letters of the reminders sent on that business day (not every PDF archived
that day: a letter in review is printed only once staff release it), in the order they were
archived, each exactly as stored. It is written as `letters-<date>.pdf` into `letters/` of the
data directory (`CHANNELDESK_VAR_DIR`, made for the owner only like the rest of it: the letters
name people), or into the directory `--output` names; `--output` naming a file that is not a
directory writes that file. Never into the working directory unless asked. A day without letters
writes no file and fails, so a cron job notices; so does a letter whose file is not in the
document storage, or an --output in a directory that does not exist (one line, no traceback).
"""

from __future__ import annotations

import os
from collections.abc import Generator
from contextlib import closing
from pathlib import Path
from typing import Any, cast

from django.conf import settings
from django.core.management.base import CommandError

from channeldesk.commands.console import SubcommandCommand, parse_date
from channeldesk.contracts.reminders.selectors import reminder_letters_sent_on
from channeldesk.core.private_files import private_directory_ensure
from channeldesk.documents.models import Document
from channeldesk.documents.pdfbatch import EmptyPrintBatch
from channeldesk.documents.selectors import DocumentMissing
from channeldesk.documents.services import letters_print_batch


class Command(SubcommandCommand):
    help = "Bind the letters sent on a day into one PDF for the mailing house."

    def add_actions(self, commands: Any) -> None:
        batch = self.action(commands, "batch", "The day's letters as one print-batch PDF.")
        batch.add_argument("--date", type=parse_date, required=True, help="The business day.")
        batch.add_argument(
            "--output",
            type=Path,
            help="A directory for letters-DATE.pdf (default: letters/ in the data directory), "
            "or the PDF file to write.",
        )

    def do_batch(self, options: dict[str, Any]) -> None:
        day = options["date"]
        target = _target(options["output"], name=f"letters-{day.isoformat()}.pdf")
        partial = target.with_name(f".{target.name}.partial")
        try:
            # Closed at once when a letter is refused, so the cursor is not left to the collector.
            documents = cast(
                Generator[Document], reminder_letters_sent_on(day=day).iterator(chunk_size=200)
            )
            with partial.open("wb") as stream, closing(documents):
                batch = letters_print_batch(documents=documents, target=stream)
        except EmptyPrintBatch:
            partial.unlink(missing_ok=True)
            raise CommandError(f"No letters were sent on {day}; no batch written.") from None
        except DocumentMissing as missing:
            partial.unlink(missing_ok=True)
            raise CommandError(f"{missing} No batch written.") from None
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
        self.answer(
            summary,
            f"{target}: {batch.letters} letter(s), {batch.pages} page(s), "
            f"{batch.size_bytes} bytes, sha256 {batch.sha256}",
        )


def _target(output: Path | None, *, name: str) -> Path:
    """Where the batch goes: `name` in the given directory, or in `letters/` of the data
    directory; any other `output` is the file itself."""
    if output is None:
        directory = Path(settings.VAR_DIR) / "letters"
        private_directory_ensure(directory)
        return directory / name
    if output.is_dir():
        return output / name
    if not output.parent.is_dir():
        raise CommandError(f"--output {output}: the directory {output.parent} does not exist.")
    return output
