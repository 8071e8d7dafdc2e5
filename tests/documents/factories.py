"""Letters for the documents tests, and how to read a PDF back.

Positions are compared in millimetres from the top-left corner of the sheet, as DIN 5008
states them; pdfplumber reports PDF points from the top of the page.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pdfplumber

from channeldesk.documents.composition import letter_compose
from channeldesk.documents.letters import Contact, InformationBlock, Letter
from channeldesk.documents.models import Document

POINTS_PER_MILLIMETRE = 72 / 25.4

RECIPIENT = (
    "Müller Maschinenbau GmbH",
    "Einkauf",
    "Frau Dr. Anna Beispiel",
    "Industriestraße 12",
    "70565 Stuttgart",
)
INFORMATION = InformationBlock(
    date=dt.date(2026, 10, 17),
    our_reference="V-2026-0042",
    contact=Contact(
        name="Alpha Systemhaus GmbH", phone="+49 40 1234567", email="vertrieb@alpha.example"
    ),
)
RENEWAL_CONTEXT: dict[str, object] = {
    "contract_number": "V-2026-0042",
    "product": "ChannelDesk Enterprise",
    "seats": 1250,
    "end_date": dt.date(2026, 12, 1),
    "partner_name": "Alpha Systemhaus GmbH",
    "partner_phone": "+49 40 1234567",
    "partner_email": "vertrieb@alpha.example",
}


@dataclass(frozen=True)
class Word:
    """A word on a page, in millimetres from the sheet's top-left corner."""

    text: str
    left: float
    top: float
    right: float
    bottom: float


def renewal_letter(language: str = "de", **changes: Any) -> Letter:
    """The renewal letter to Müller Maschinenbau, as the contracts code would compose it."""
    return letter_compose(
        template="renewal",
        language=language,
        recipient=changes.pop("recipient", RECIPIENT),
        information=INFORMATION,
        context={**RENEWAL_CONTEXT, **changes},
    )


def plain_letter(*, recipient: tuple[str, ...] = RECIPIENT, paragraphs: int = 1) -> Letter:
    return Letter(
        language="de",
        recipient=recipient,
        information=INFORMATION,
        subject="Testbrief",
        salutation="Sehr geehrte Damen und Herren,",
        paragraphs=tuple(
            f"Absatz {number}. " + "Etwas Text. " * 60 for number in range(paragraphs)
        ),
        closing="Mit freundlichen Grüßen",
    )


def words(pdf: bytes, page: int = 0) -> list[Word]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [
            Word(
                text=word["text"],
                left=word["x0"] / POINTS_PER_MILLIMETRE,
                top=word["top"] / POINTS_PER_MILLIMETRE,
                right=word["x1"] / POINTS_PER_MILLIMETRE,
                bottom=word["bottom"] / POINTS_PER_MILLIMETRE,
            )
            for word in document.pages[page].extract_words()
        ]


def page_texts(pdf: bytes) -> list[str]:
    with pdfplumber.open(io.BytesIO(pdf)) as document:
        return [page.extract_text() for page in document.pages]


def stored_files(root: Path) -> list[str]:
    return sorted(str(path.relative_to(root)) for path in root.rglob("*.pdf"))


def document_row(*, key: str, reference: str, file: str, **fields: Any) -> Document:
    """An archived German renewal letter of one page whose file is not written (the tests that
    use it never open the file)."""
    defaults: dict[str, Any] = {
        "kind": "renewal",
        "language": "de",
        "sha256": "0" * 64,
        "page_count": 1,
        "size_bytes": 1,
    }
    return Document.objects.create(
        key=key, reference=reference, file=file, **{**defaults, **fields}
    )
