"""The support desk's landing page: find the caller's partner, then open its page.

The support desk answers calls: it types what the caller says or what the phone's display
shows (a partner number, a name, a telephone number in any format), and goes on to the
partner's page. One match opens that page at once.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from channeldesk.backoffice.access import staff_view
from channeldesk.backoffice.forms import PartnerSearchForm
from channeldesk.backoffice.selectors import LIST_LIMIT, backoffice_partners


@staff_view
@require_http_methods(["GET", "HEAD"])
def support_home(request: HttpRequest) -> HttpResponse:
    form = PartnerSearchForm(request.GET or None)
    search = form.cleaned_data["q"].strip() if form.is_valid() else ""
    context: dict[str, object] = {"form": form, "search": search, "section": "support"}
    if search:
        found = list(backoffice_partners(user=request.user, search=search)[: LIST_LIMIT + 1])
        if len(found) == 1:
            return redirect("backoffice:partner", partner_number=found[0].partner_number)
        context.update(partners=found[:LIST_LIMIT], more=len(found) > LIST_LIMIT)
    return render(request, "backoffice/support.html", context)
