"""Admin fixture rows of the documents domain (collected by tests/admin through tests/domains.py).

The row points at a file name that is not written: the admin pages list and show documents
without opening their file (the download view answers 404 for a missing file, tested in
tests/documents/test_admin.py).
"""

from __future__ import annotations

from django.db.models import Model

from channeldesk.documents.models import Document
from tests.documents.factories import document_row

# Archived letters are written by letter_store only; the admin shows them and serves the PDF.
READ_ONLY_MODELS: set[type[Model]] = {Document}


def admin_rows(personas: object) -> None:
    document_row(
        key="admin-test:letter",
        reference="V-ADMIN-1",
        file="documents/2026/11/renewal-admin-test.pdf",
        size_bytes=1234,
    )
