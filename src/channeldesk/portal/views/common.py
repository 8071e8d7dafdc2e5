"""What the portal's views share: a selector's row or 404, and an archived PDF as a download."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import FileResponse, Http404

from channeldesk.documents.models import Document


def selected_or_404[T](
    selector: Callable[..., T], missing: type[ObjectDoesNotExist], message: str, **lookup: Any
) -> T:
    """What `selector(**lookup)` finds, or 404 with `message` when it raises `missing` (the
    selected model's `DoesNotExist`, and only that: another lookup failing inside the selector
    is a bug and stays a 500). The portal's selectors are scoped to the user's partner, so
    another partner's row is not found either."""
    try:
        return selector(**lookup)
    except missing:
        raise Http404(message) from None


def pdf_download(document: Document, *, filename: str) -> FileResponse:
    """The archived PDF of `document` as an attachment named `filename` (404 when its file is
    missing from the archive)."""
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The letter's file is missing from the archive.") from None
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )
