"""Messages: every notice, letter and reminder the partner received, and a letter's PDF."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from channeldesk.documents.models import Document
from channeldesk.partners.models import PartnerMembership
from channeldesk.portal.access import partner_view
from channeldesk.portal.correspondence import message_letter, messages_page

PAGE_SIZE = 25


@partner_view
@require_http_methods(["GET", "HEAD"])
def message_list(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    language = (translation.get_language() or "de")[:2]
    page, messages = messages_page(
        user=request.user, language=language, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    context = {"page": page, "messages_received": messages, "section": "messages"}
    return render(request, "portal/messages.html", context)


@partner_view
@require_http_methods(["GET", "HEAD"])
def message_letter_download(
    request: HttpRequest, membership: PartnerMembership, document_id: int
) -> FileResponse:
    """The archived PDF of a letter among the partner's messages."""
    try:
        document = message_letter(user=request.user, document_id=document_id)
    except Document.DoesNotExist:
        raise Http404("No such letter.") from None
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The letter's file is missing from the archive.") from None
    filename = f"{document.kind}-{document.reference}.pdf"
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )
