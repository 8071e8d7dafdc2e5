"""Usage statements: the partner's statements, and one statement's lines by customer."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language

from channeldesk.partners.models import PartnerMembership
from channeldesk.portal.access import partner_page
from channeldesk.portal.selectors import portal_statement, portal_statements_page
from channeldesk.portal.views.common import selected_or_404
from channeldesk.usage.models import Statement
from channeldesk.usage.statements import statement_tier_names

PAGE_SIZE = 25


@partner_page
def statement_list(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    page = portal_statements_page(
        user=request.user, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    context = {"page": page, "statements": page.object_list, "section": "statements"}
    return render(request, "portal/statements.html", context)


@partner_page
def statement_detail(
    request: HttpRequest, membership: PartnerMembership, number: str
) -> HttpResponse:
    shown = selected_or_404(
        portal_statement,
        Statement.DoesNotExist,
        "No such statement.",
        user=request.user,
        number=number,
    )
    lines = [line for group in shown.customers for line in group.lines]
    names = statement_tier_names(
        codes={line.tier_code for line in lines}, language=get_language() or ""
    )
    for line in lines:
        # The page shows the tier by name, as the statement's CSV does.
        line.tier_name = names.get(line.tier_code, line.tier_code)  # type: ignore[attr-defined]
    context = {
        "statement": shown.statement,
        "customers": shown.customers,
        "discount_amount": shown.discount_amount,
        "section": "statements",
    }
    return render(request, "portal/statement_detail.html", context)
