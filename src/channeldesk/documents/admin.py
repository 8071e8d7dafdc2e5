"""Admin for the documents archive: every stored letter, read-only, with its PDF to download.

Documents are written by `services.letter_store` only and never changed afterwards (the print
batches and the re-prints rely on that), so nothing here adds, edits or deletes one. The PDF is
served exactly as stored, from the archive, to staff who may view documents.
"""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from channeldesk.core.admin import ReadOnlyAdmin, StoredPdf, StoredPdfAdmin
from channeldesk.documents.models import Document

DOCUMENT_FIELDS = (
    "key",
    "kind",
    "reference",
    "language",
    "download",
    "page_count",
    "size_bytes",
    "sha256",
    "created_at",
)


@admin.register(Document)
class DocumentAdmin(StoredPdfAdmin, ReadOnlyAdmin):
    list_display = ["key", "kind", "reference", "language", "page_count", "created_at", "download"]
    list_filter = ["kind", "language"]
    search_fields = ["=key", "=reference"]
    search_help_text = _("Exact key (e.g. reminder:4711) or reference (e.g. a contract number).")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = readonly_fields = DOCUMENT_FIELDS
    pdf_url_name = "documents_document_pdf"

    def pdf_document(self, pk: int) -> StoredPdf:
        """The stored PDF, byte for byte as it was archived."""
        return get_object_or_404(Document, pk=pk)

    @admin.display(description=_("PDF"))
    def download(self, document: Document) -> str:
        return self.pdf_link(document, _("Download"))
