"""The documents admin: archived letters are listed read-only and their PDF is downloadable."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse

from channeldesk.documents.models import Document
from tests.personas import Personas, sign_in

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% a stored letter, byte for byte\n%%EOF\n"


def stored_document(key: str = "reminder:4711") -> Document:
    document = Document(
        key=key,
        kind="renewal",
        reference="V-2026-0042",
        language="de",
        sha256=hashlib.sha256(PDF).hexdigest(),
        page_count=1,
        size_bytes=len(PDF),
    )
    document.file.save("renewal-test.pdf", ContentFile(PDF), save=True)
    return document


def client_of(user: object) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def test_staff_downloads_the_stored_pdf_byte_for_byte(personas: Personas, media_root: Path) -> None:
    document = stored_document()

    response = client_of(personas.staff).get(
        reverse("admin:documents_document_pdf", args=[document.pk])
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="renewal-V-2026-0042.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF


def test_change_page_links_to_the_pdf_and_offers_no_save_or_delete(
    personas: Personas, media_root: Path
) -> None:
    document = stored_document()

    response = client_of(personas.staff).get(
        reverse("admin:documents_document_change", args=[document.pk])
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert reverse("admin:documents_document_pdf", args=[document.pk]) in content
    assert 'name="_save"' not in content
    assert "/delete/" not in content


def test_staff_cannot_change_or_delete_a_document(personas: Personas, media_root: Path) -> None:
    document = stored_document()
    client = client_of(personas.staff)

    changed = client.post(
        reverse("admin:documents_document_change", args=[document.pk]), {"key": "other"}
    )
    deleted = client.post(
        reverse("admin:documents_document_delete", args=[document.pk]), {"post": "yes"}
    )

    assert changed.status_code == 403
    assert deleted.status_code == 403
    document.refresh_from_db()
    assert document.key == "reminder:4711"
    assert document.file.read() == PDF


def test_missing_file_answers_not_found(personas: Personas, media_root: Path) -> None:
    document = stored_document()
    Path(document.file.path).unlink()

    response = client_of(personas.staff).get(
        reverse("admin:documents_document_pdf", args=[document.pk])
    )

    assert response.status_code == 404


def test_partner_user_cannot_download_a_letter(personas: Personas, media_root: Path) -> None:
    document = stored_document()

    response = client_of(personas.partner_a_admin).get(
        reverse("admin:documents_document_pdf", args=[document.pk])
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
