"""Stored letters bound into one print batch for the mailing house."""

import datetime as dt
import hashlib
import io
from pathlib import Path
from zoneinfo import ZoneInfo

import pdfplumber
import pytest
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser

from channeldesk.documents.models import Document
from channeldesk.documents.pdfbatch import EmptyPrintBatch, PdfBatchWriter, UnsupportedPdf
from channeldesk.documents.selectors import documents_created_on
from channeldesk.documents.services import (
    PrintBatch,
    letter_render,
    letter_store,
    letters_print_batch,
)
from tests.documents.factories import document_row, page_texts, plain_letter, renewal_letter

# A valid one-page PDF as other tools write it: a classic cross-reference table.
FOREIGN_PDF = (
    b"%PDF-1.4\n1 0 obj\n<</Type /Catalog /Pages 2 0 R>>\nendobj\n"
    b"2 0 obj\n<</Type /Pages /Kids [3 0 R] /Count 1>>\nendobj\n"
    b"3 0 obj\n<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>>\nendobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    b"0000000115 00000 n \ntrailer\n<</Size 4 /Root 1 0 R>>\nstartxref\n186\n%%EOF\n"
)


def _strict_page_count(pdf: bytes) -> int:
    """Pages counted by pdfminer without its repair fallback: a broken xref fails here."""
    document = PDFDocument(PDFParser(io.BytesIO(pdf)), fallback=False)
    return sum(1 for _ in PDFPage.create_pages(document))


def _store(key: str, letter_pages: int) -> Document:
    letter = renewal_letter() if letter_pages == 1 else plain_letter(paragraphs=8)
    return letter_store(letter=letter, kind="renewal", reference=key, key=key).document


@pytest.mark.django_db
def test_a_batch_holds_every_page_of_every_letter_in_order(media_root: Path) -> None:
    documents = [_store("V-1", 1), _store("V-2", 2), _store("V-3", 1)]
    target = io.BytesIO()

    batch = letters_print_batch(documents=Document.objects.order_by("id").iterator(), target=target)

    pdf = target.getvalue()
    texts = page_texts(pdf)
    assert batch == PrintBatch(
        letters=3, pages=4, size_bytes=len(pdf), sha256=hashlib.sha256(pdf).hexdigest()
    )
    assert [document.page_count for document in documents] == [1, 2, 1]
    assert _strict_page_count(pdf) == 4
    assert texts[0].startswith("ChannelDesk Software GmbH\nMusterstraße 1")
    assert "Ihr Vertrag V-2026-0042 endet am 1. Dezember 2026" in texts[0]
    assert "Testbrief" in texts[1]
    assert texts[2].startswith("ChannelDesk Software GmbH Seite 2 von 2")
    assert "Ihr Vertrag V-2026-0042 endet am 1. Dezember 2026" in texts[3]


@pytest.mark.slow
def test_a_thousand_letters_bind_into_one_pdf_of_a_thousand_pages() -> None:
    letter = letter_render(letter=renewal_letter()).pdf
    target = io.BytesIO()
    writer = PdfBatchWriter(target)

    added = [writer.add(letter) for _ in range(1000)]
    summary = writer.close()

    pdf = target.getvalue()
    assert added == [1] * 1000
    assert summary.pages == 1000
    assert summary.size_bytes == len(pdf)
    assert _strict_page_count(pdf) == 1000
    with pdfplumber.open(io.BytesIO(pdf), pages=[1, 1000]) as document:
        first, last = (page.extract_text() for page in document.pages)
    assert last == first
    assert "Ihr Vertrag V-2026-0042 endet am 1. Dezember 2026" in last


def test_a_pdf_not_written_by_weasyprint_is_refused_before_anything_is_written() -> None:
    target = io.BytesIO()
    writer = PdfBatchWriter(target)

    with pytest.raises(UnsupportedPdf) as refused:
        writer.add(FOREIGN_PDF)

    assert str(refused.value) == "Only PDFs written by WeasyPrint can be joined."
    assert target.getvalue() == b""


def test_a_damaged_letter_is_refused_and_the_batch_so_far_stays_intact() -> None:
    letter = letter_render(letter=renewal_letter()).pdf
    packed = letter.index(b"/Type /ObjStm")
    damaged = letter[: packed + 200] + b"\x00" * 40 + letter[packed + 240 :]
    target = io.BytesIO()
    writer = PdfBatchWriter(target)
    writer.add(letter)
    written = target.getvalue()

    for broken in (letter[:-60], damaged):
        with pytest.raises(UnsupportedPdf):
            writer.add(broken)
    writer.add(letter)
    writer.close()

    assert target.getvalue().startswith(written)
    assert _strict_page_count(target.getvalue()) == 2


def test_a_batch_without_letters_is_refused_and_writes_nothing() -> None:
    target = io.BytesIO()

    with pytest.raises(EmptyPrintBatch):
        letters_print_batch(documents=[], target=target)

    assert target.getvalue() == b""


@pytest.mark.django_db
def test_a_days_batch_holds_the_documents_of_that_berlin_day_oldest_first() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    times = {
        "before": dt.datetime(2026, 10, 16, 23, 59, 59, tzinfo=berlin),
        "first": dt.datetime(2026, 10, 17, 0, 0, tzinfo=berlin),
        "last": dt.datetime(2026, 10, 17, 23, 59, 59, tzinfo=berlin),
        "after": dt.datetime(2026, 10, 18, 0, 0, tzinfo=berlin),
    }
    for key, created_at in reversed(times.items()):
        document_row(
            key=key, reference=key, file=f"documents/2026/10/{key}.pdf", created_at=created_at
        )
    Document.objects.filter(key="last").update(kind="statement")

    day = documents_created_on(day=dt.date(2026, 10, 17))
    renewals = documents_created_on(day=dt.date(2026, 10, 17), kind="renewal")

    assert [document.key for document in day] == ["first", "last"]
    assert [document.key for document in renewals] == ["first"]
