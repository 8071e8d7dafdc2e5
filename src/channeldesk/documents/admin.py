"""Admin for the documents archive: every stored letter, read-only, with its PDF to download.

Documents are written by `services.letter_store` only and never changed afterwards (the print
batches and the re-prints rely on that), so nothing here adds, edits or deletes one. The PDF is
served exactly as stored, from the archive, to staff who may view documents.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

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
class DocumentAdmin(admin.ModelAdmin):
    list_display = ["key", "kind", "reference", "language", "page_count", "created_at", "download"]
    list_filter = ["kind", "language"]
    search_fields = ["=key", "=reference"]
    search_help_text = _("Exact key (e.g. reminder:4711) or reference (e.g. a contract number).")
    date_hierarchy = "created_at"
    show_full_result_count = False
    fields = DOCUMENT_FIELDS
    readonly_fields = DOCUMENT_FIELDS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        view = self.admin_site.admin_view(self.pdf_view)
        return [
            path("<int:pk>/document.pdf", view, name="documents_document_pdf"),
            *super().get_urls(),
        ]

    def pdf_view(self, request: HttpRequest, pk: int) -> FileResponse:
        """The stored PDF, byte for byte as it was archived."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        document = get_object_or_404(Document, pk=pk)
        try:
            stored = document.file.open("rb")
        except FileNotFoundError:
            raise Http404(_("The stored file of this document is missing.")) from None
        return FileResponse(
            stored,
            content_type="application/pdf",
            filename=f"{document.kind}-{document.reference}.pdf",
        )

    @admin.display(description=_("PDF"))
    def download(self, document: Document) -> str:
        url = reverse("admin:documents_document_pdf", args=[document.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))
