"""Reads of the documents archive. Stored files are read through Django's storage API only
(`STORAGES["default"]`: the data directory or an S3 bucket), never as paths under MEDIA_ROOT."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import QuerySet
from django.utils import timezone

from channeldesk.documents.models import Document
from channeldesk.documents.pdfbatch import UnsupportedPdf, pdf_page_count


def documents_created_on(*, day: dt.date, kind: str | None = None) -> QuerySet[Document]:
    """The documents stored on a business day, oldest first: what goes into that day's batch.

    The day runs from midnight to midnight in the business time zone (Europe/Berlin), so a
    letter stored at 00:30 in the night belongs to the day the mailing house sees on it.
    """
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    documents = Document.objects.filter(created_at__gte=start, created_at__lt=end)
    if kind is not None:
        documents = documents.filter(kind=kind)
    return documents.order_by("created_at", "id")


class DocumentMissing(Exception):
    """A document's row exists but its file is not in the storage: the data directory or bucket
    is not the one the document was stored in, or the file was lost (restore it from backup)."""


def document_content(*, document: Document) -> bytes:
    """The stored PDF, byte for byte; `DocumentMissing` with a sentence when it is not there."""
    try:
        with document.file.open("rb") as stored:
            return stored.read()
    except FileNotFoundError:
        raise DocumentMissing(
            f"The file of document {document.key} ({document.file.name}) is not in the document "
            f"storage ({storage_description()}). Is CHANNELDESK_VAR_DIR (or the bucket) the one "
            "it was stored in?"
        ) from None


def storage_description() -> str:
    """Where documents are stored, for error messages and `channeldesk backup check`."""
    bucket = getattr(default_storage, "bucket_name", None)
    location = str(getattr(default_storage, "location", "") or "")
    if bucket:
        return f"bucket {bucket}{'/' + location if location else ''}"
    return f"directory {location or settings.MEDIA_ROOT}"


def document_problem(*, document: Document) -> str:
    """Why a stored document is not intact ("" when it is): its file is missing, differs from
    the digest and size recorded when it was stored, or no longer reads as its pages. Used
    after a restore (`channeldesk backup check`), where every letter must open as it was sent."""
    try:
        content = document_content(document=document)
    except DocumentMissing as missing:
        return str(missing)
    if len(content) != document.size_bytes or hashlib.sha256(content).hexdigest() != (
        document.sha256
    ):
        return f"The file of document {document.key} differs from the one stored."
    try:
        pages = pdf_page_count(content)
    except UnsupportedPdf as error:
        return f"The file of document {document.key} does not read as a PDF: {error}"
    if pages != document.page_count:
        return f"Document {document.key} has {pages} pages, {document.page_count} were stored."
    return ""
