"""Writes of the documents module: render a letter, store it once, bind letters into a batch.

Callers (renewal reminders, statements, tier notices) build a `Letter` with
`composition.letter_compose` from the template they registered and a plain context dict, and
then either render it (`letter_render`, e.g. for a preview) or store it (`letter_store`) under
a key that names why it exists. `letters_print_batch` writes many stored letters into one PDF
for the mailing house.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from channeldesk.core.formatting import format_date
from channeldesk.documents.letterhead import footer_columns
from channeldesk.documents.letters import Letter
from channeldesk.documents.models import Document
from channeldesk.documents.pdfbatch import PdfBatchWriter
from channeldesk.documents.rendering import RenderedPdf, css_string, html_to_pdf
from channeldesk.documents.selectors import document_content

# Labels of the information block and follow-up pages, in the recipient's language. They are
# here rather than in the .po catalogue because a letter's language is the recipient's, not
# the one active for the user or job that sends it.
LABELS = {
    "de": {
        "your_reference": "Ihr Zeichen",
        "our_reference": "Unser Zeichen",
        "contact": "Ansprechpartner",
        "phone": "Telefon",
        "email": "E-Mail",
        "date": "Datum",
        "page": "Seite",
        "of": "von",
    },
    "en": {
        "your_reference": "Your reference",
        "our_reference": "Our reference",
        "contact": "Contact",
        "phone": "Phone",
        "email": "E-mail",
        "date": "Date",
        "page": "Page",
        "of": "of",
    },
}


class DocumentKeyConflict(ValueError):
    """A key is already taken by a document about something else: the caller reused a key."""


class DocumentStorageUnavailable(Exception):
    """The document storage refused or failed to take a rendered letter (a read-only or full
    directory, an unreachable or refusing S3 bucket). Nothing was stored; the caller decides
    what becomes of the letter (a reminder goes to review) and goes on with the others."""


@dataclass(frozen=True)
class LetterStoreResult:
    """The archived document, and whether this call stored it (`False`: it was already there)."""

    document: Document
    created: bool


@dataclass(frozen=True)
class PrintBatch:
    """What went into a print batch: the mailing house checks letters and pages against it."""

    letters: int
    pages: int
    size_bytes: int
    sha256: str


def letter_render(*, letter: Letter) -> RenderedPdf:
    """The letter as a PDF in DIN 5008 Form B, without storing it (previews, tests, benchmarks)."""
    return html_to_pdf(letter_html(letter=letter))


def letter_html(*, letter: Letter) -> str:
    """The letter as the HTML that WeasyPrint lays out with `letter.css`."""
    labels = LABELS[letter.language]
    return render_to_string(
        "documents/letter.html",
        {
            "letter": letter,
            "letterhead": letter.letterhead,
            "information": letter.information,
            "date": format_date(letter.information.date, language=letter.language),
            "labels": labels,
            "footer_columns": footer_columns(letter.letterhead),
            "page_texts": {
                "sender": css_string(letter.letterhead.name),
                "page": css_string(labels["page"]),
                "of": css_string(labels["of"]),
            },
        },
    )


def letter_store(*, letter: Letter, kind: str, reference: str, key: str) -> LetterStoreResult:
    """Render and archive a letter once per `key`; a repeated call returns the first document.

    A retried job (after a crash, a timeout, a second dispatcher) must never produce a second
    letter for the same reason, so the key is looked up before rendering and guarded by the
    `document_unique_key` constraint when two callers race. The loser of a race removes the
    file it wrote and returns the winner's document.
    """
    existing = _existing(key=key, kind=kind, reference=reference)
    if existing is not None:
        return LetterStoreResult(document=existing, created=False)
    document = _document_with_file(letter=letter, kind=kind, reference=reference, key=key)
    try:
        _insert(document)
    except IntegrityError:
        winner = _existing(key=key, kind=kind, reference=reference)
        if winner is None:
            raise
        return LetterStoreResult(document=winner, created=False)
    return LetterStoreResult(document=document, created=True)


def _document_with_file(*, letter: Letter, kind: str, reference: str, key: str) -> Document:
    """An unsaved document whose PDF is already written (the upload path needs no row)."""
    rendered = letter_render(letter=letter)
    document = Document(
        key=key,
        kind=kind,
        reference=reference,
        language=letter.language,
        sha256=rendered.sha256,
        page_count=rendered.page_count,
        size_bytes=len(rendered.pdf),
    )
    try:
        document.file.save(_filename(kind=kind, key=key), ContentFile(rendered.pdf), save=False)
    except Exception as error:
        # Any storage's failure (OSError from the file system, botocore's errors from S3).
        raise DocumentStorageUnavailable(
            f"The document storage did not take the letter {key}: {type(error).__name__}: {error}"
        ) from error
    return document


def _insert(document: Document) -> None:
    """Insert the row in a savepoint; if that fails, the file written for it must go too."""
    try:
        with transaction.atomic():
            document.save()
    except Exception:
        document.file.delete(save=False)
        raise


def _existing(*, key: str, kind: str, reference: str) -> Document | None:
    document = Document.objects.filter(key=key).first()
    if document is not None and (document.kind, document.reference) != (kind, reference):
        raise DocumentKeyConflict(
            f"Key '{key}' already names {document.kind} {document.reference}, "
            f"not {kind} {reference}."
        )
    return document


def _filename(*, kind: str, key: str) -> str:
    """A file name derived from the key, safe on every file system whatever the key contains."""
    return f"{kind}-{hashlib.sha256(key.encode()).hexdigest()[:20]}.pdf"


def letters_print_batch(*, documents: Iterable[Document], target: BinaryIO) -> PrintBatch:
    """Write the stored letters, in the given order, into one PDF on `target`.

    One letter is read at a time and its pages are copied unchanged, so a batch of thousands of
    letters needs the memory of one letter, and the mailing house prints exactly what was
    archived. Pass `documents` as a queryset `.iterator()` for large batches.
    """
    writer = PdfBatchWriter(target)
    letters = 0
    for document in documents:
        writer.add(document_content(document=document))
        letters += 1
    summary = writer.close()
    return PrintBatch(
        letters=letters, pages=summary.pages, size_bytes=summary.size_bytes, sha256=summary.sha256
    )
