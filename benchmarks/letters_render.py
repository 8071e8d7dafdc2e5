"""`letters_render`: renewal letters per second through the documents service, and the time to
bind 1,000 stored letters into one print batch.

Target (R10, docs/reminders.md): the service renders at least 0.5x the bare rate, where the bare
rate is plain WeasyPrint turning a minimal one-page letter (HTML string, system sans-serif,
default options) into a PDF, measured in the same run (`baseline`); `ratio` is service rate /
bare rate. The service path is what the reminder dispatcher does per letter: compose the
renewal letter from its template and context, render it, write the PDF under MEDIA_ROOT and
insert the document row (`letter_compose` + `letter_store`).

Bare and service renders alternate in chunks, so a change in the load of the shared machine
hits both alike. `--scale small` stores a few letters and binds them, cycled, into a batch of
1,000; `--scale full` stores 1,000 distinct letters and binds those. No dataset is needed: the
benchmark uses its own empty database (`channeldesk_bench_letters`) and a temporary
MEDIA_ROOT.
"""

from __future__ import annotations

import datetime as dt
import itertools
import os
import statistics
import tempfile
import time
from typing import Any

from common import arguments, emit, emit_compared, peak_rss_mib, setup_scratch_django, timed

LETTERS = {"small": 12, "full": 1_000}
CHUNK = 4
BATCH_LETTERS = 1_000
TARGET_RATIO = 0.5

MINIMAL_LETTER = """<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 45mm 20mm 20mm 25mm; }
body { font-family: sans-serif; font-size: 10pt; }
</style></head><body>
<p>Müller Maschinenbau GmbH<br>Industriestraße 12<br>70565 Stuttgart</p>
<p><b>Ihr Vertrag V-2026-00042 endet am 1. Dezember 2026</b></p>
<p>Sehr geehrte Damen und Herren,</p>
<p>Ihr Vertrag über 25 Arbeitsplätze für ChannelDesk Enterprise endet am 1. Dezember 2026.
Wenden Sie sich für die Verlängerung bitte an Ihren Fachhändler.</p>
<p>Mit freundlichen Grüßen</p>
</body></html>"""


def renewal_context(number: int) -> dict[str, object]:
    return {
        "contract_number": f"V-2026-{number:05d}",
        "product": ("ChannelDesk Enterprise", "ChannelDesk Service")[number % 2],
        "seats": 5 + number % 400,
        "end_date": dt.date(2026, 12, 1) + dt.timedelta(days=number % 365),
        "partner_name": f"Systemhaus {number % 40} GmbH",
        "partner_phone": f"+49 30 {100000 + number % 40}",
        "partner_email": f"vertrieb{number % 40}@partner.example",
    }


def store_renewal_letter(number: int) -> Any:
    """What the dispatcher does for one customer letter: compose, render, store."""
    from channeldesk.documents.composition import letter_compose
    from channeldesk.documents.letters import Contact, InformationBlock
    from channeldesk.documents.services import letter_store

    context = renewal_context(number)
    letter = letter_compose(
        template="renewal",
        language="en" if number % 5 == 0 else "de",
        recipient=(f"Kunde {number} GmbH", "Einkauf", "Industriestraße 12", "70565 Stuttgart"),
        information=InformationBlock(
            date=dt.date(2026, 10, 17),
            our_reference=str(context["contract_number"]),
            contact=Contact(name="Vertragsservice", phone="+49 30 1234567-0", email="v@x.example"),
        ),
        context=context,
    )
    reference = str(context["contract_number"])
    return letter_store(
        letter=letter, kind="renewal", reference=reference, key=f"bench:{number}"
    ).document


def bare_render() -> bytes:
    import weasyprint

    return weasyprint.HTML(string=MINIMAL_LETTER).write_pdf()


def measure_rates(letters: int) -> tuple[float, float, list[Any]]:
    """Letters per second through the service and bare, in alternating chunks."""
    service_seconds = bare_seconds = 0.0
    documents: list[Any] = []
    for start in range(0, letters, CHUNK):
        numbers = range(start, min(start + CHUNK, letters))
        began = time.perf_counter()
        for _ in numbers:
            bare_render()
        bare_seconds += time.perf_counter() - began
        began = time.perf_counter()
        documents.extend(store_renewal_letter(number) for number in numbers)
        service_seconds += time.perf_counter() - began
    return letters / service_seconds, letters / bare_seconds, documents


def bind_batch(documents: list[Any]) -> Any:
    from channeldesk.documents.services import letters_print_batch

    cycled = itertools.islice(itertools.cycle(documents), BATCH_LETTERS)
    with tempfile.TemporaryFile() as target:
        return letters_print_batch(documents=cycled, target=target)


def main() -> None:
    options = arguments(__doc__ or "", LETTERS)
    with tempfile.TemporaryDirectory(prefix="bench-letters-") as var:
        # MEDIA_ROOT follows the var directory: the stored PDFs go away with it.
        os.environ["CHANNELDESK_VAR_DIR"] = var
        run(options.scale, options.runs or 3)


def run(scale: str, runs: int) -> None:
    letters = LETTERS[scale]
    database = setup_scratch_django("letters")

    from channeldesk.documents.models import Document

    Document.objects.all().delete()
    store_renewal_letter(letters)  # warm-up: fonts, stylesheets, templates
    bare_render()
    common = {"scale": scale, "database": database, "letters": letters}

    service, bare, documents = measure_rates(letters)
    emit_compared(
        "letters_render.service_rate",
        service,
        "letters/s",
        baseline=bare,
        at_least=TARGET_RATIO,
        pages=sum(document.page_count for document in documents),
        **common,
    )

    seconds, batch = timed(lambda: bind_batch(documents), runs)
    emit(
        "letters_render.print_batch",
        seconds,
        "s",
        batch_letters=batch.letters,
        distinct_letters=len(documents),
        pages=batch.pages,
        size_mib=round(batch.size_bytes / 2**20, 1),
        runs=runs,
        target="no target (docs/reminders.md asks for the figure)",
        **common,
    )
    emit("letters_render.peak_rss", peak_rss_mib(), "MiB", **common)
    _check(documents, batch.pages)


def _check(documents: list[Any], pages: int) -> None:
    """The figures only count if every renewal letter was one page and the batch complete."""
    page_counts = statistics.multimode(document.page_count for document in documents)
    if page_counts != [1] or pages != BATCH_LETTERS:
        raise SystemExit(f"Unexpected pages: letters {page_counts}, batch {pages}.")


if __name__ == "__main__":
    main()
