"""Messages: every notice, letter and reminder the partner received, and a letter's PDF."""

from __future__ import annotations

from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation

from channeldesk.documents.models import Document
from channeldesk.partners.models import PartnerMembership
from channeldesk.portal.access import partner_page
from channeldesk.portal.correspondence import message_letter, messages_page
from channeldesk.portal.views.common import pdf_download, selected_or_404

PAGE_SIZE = 25


@partner_page
def message_list(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    language = (translation.get_language() or "de")[:2]
    page, messages = messages_page(
        user=request.user, language=language, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    context = {"page": page, "messages_received": messages, "section": "messages"}
    return render(request, "portal/messages.html", context)


@partner_page
def message_letter_download(
    request: HttpRequest, membership: PartnerMembership, document_id: int
) -> FileResponse:
    """The archived PDF of a letter among the partner's messages."""
    document = selected_or_404(
        message_letter,
        Document.DoesNotExist,
        "No such letter.",
        user=request.user,
        document_id=document_id,
    )
    return pdf_download(document, filename=f"{document.kind}-{document.reference}.pdf")
