"""Storing a letter is idempotent by the caller's key: a retry never stores a second letter."""

import hashlib
import re
from pathlib import Path

import pytest

from channeldesk.documents import services
from channeldesk.documents.models import Document
from channeldesk.documents.rendering import RenderedPdf
from channeldesk.documents.services import DocumentKeyConflict, letter_store
from tests.documents.factories import document_row, renewal_letter, stored_files

pytestmark = pytest.mark.django_db


def test_a_stored_letter_keeps_the_pdf_with_its_digest_and_page_count(media_root: Path) -> None:
    stored = letter_store(
        letter=renewal_letter("en"), kind="renewal", reference="V-2026-0042", key="reminder:1"
    )

    document = Document.objects.get()
    content = (media_root / document.file.name).read_bytes()
    assert stored.created is True
    assert stored.document == document
    assert (document.key, document.kind, document.reference, document.language) == (
        "reminder:1",
        "renewal",
        "V-2026-0042",
        "en",
    )
    assert re.fullmatch(r"documents/\d{4}/\d{2}/renewal-[0-9a-f]{20}\.pdf", document.file.name)
    assert content.startswith(b"%PDF-1.7\n")
    assert document.sha256 == hashlib.sha256(content).hexdigest()
    assert (document.page_count, document.size_bytes) == (1, len(content))


def test_storing_twice_with_the_same_key_stores_once(
    media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = letter_store(
        letter=renewal_letter(), kind="renewal", reference="V-2026-0042", key="reminder:1"
    )
    renders: list[object] = []
    monkeypatch.setattr(services, "html_to_pdf", renders.append)

    again = letter_store(
        letter=renewal_letter(), kind="renewal", reference="V-2026-0042", key="reminder:1"
    )

    assert (first.created, again.created) == (True, False)
    assert again.document == first.document
    assert Document.objects.count() == 1
    assert stored_files(media_root) == [first.document.file.name]
    assert renders == []


def test_a_key_reused_for_another_contract_is_refused_and_nothing_changes(
    media_root: Path,
) -> None:
    first = letter_store(
        letter=renewal_letter(), kind="renewal", reference="V-2026-0042", key="reminder:1"
    )

    with pytest.raises(DocumentKeyConflict) as refused:
        letter_store(
            letter=renewal_letter(), kind="renewal", reference="V-2026-0099", key="reminder:1"
        )

    assert str(refused.value) == (
        "Key 'reminder:1' already names renewal V-2026-0042, not renewal V-2026-0099."
    )
    assert list(Document.objects.all()) == [first.document]
    assert stored_files(media_root) == [first.document.file.name]


def test_losing_a_race_for_the_key_returns_the_winner_and_removes_the_own_file(
    media_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another dispatcher stores the same key while this one renders: the constraint decides."""
    render = services.html_to_pdf

    def render_while_another_process_stores(html: str) -> RenderedPdf:
        rendered = render(html)
        document_row(key="reminder:1", reference="V-2026-0042", file="documents/2026/11/winner.pdf")
        return rendered

    monkeypatch.setattr(services, "html_to_pdf", render_while_another_process_stores)

    stored = letter_store(
        letter=renewal_letter(), kind="renewal", reference="V-2026-0042", key="reminder:1"
    )

    assert stored.created is False
    assert stored.document.file.name == "documents/2026/11/winner.pdf"
    assert Document.objects.count() == 1
    assert stored_files(media_root) == []
