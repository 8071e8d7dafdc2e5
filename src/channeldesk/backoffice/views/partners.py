"""Partner lookup and the partner page (support desk and channel managers)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from channeldesk.backoffice.access import staff_view
from channeldesk.backoffice.forms import PartnerSearchForm
from channeldesk.backoffice.selectors import (
    LIST_LIMIT,
    backoffice_partner,
    backoffice_partners,
    partner_contracts,
    partner_customers,
    partner_messages,
    partner_orders,
)
from channeldesk.catalog.models import ProductKind
from channeldesk.feedback.selectors import feedback_of_partner
from channeldesk.licensing.selectors import contract_licence_status
from channeldesk.partners.models import Partner
from channeldesk.partners.selectors import user_is_channel_manager
from channeldesk.tiers.selectors import tier_current, tier_history

PAGE_SIZE = 50


@staff_view
@require_http_methods(["GET", "HEAD"])
def partner_list(request: HttpRequest) -> HttpResponse:
    form = PartnerSearchForm(request.GET or None)
    search = status = ""
    if form.is_valid():
        search, status = form.cleaned_data["q"].strip(), form.cleaned_data["status"]
    partners = backoffice_partners(user=request.user, search=search, status=status)
    page = Paginator(partners, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "section": "partners"}
    return render(request, "backoffice/partners.html", context)


@staff_view
@require_http_methods(["GET", "HEAD"])
def partner_detail(request: HttpRequest, partner_number: str) -> HttpResponse:
    try:
        partner = backoffice_partner(user=request.user, partner_number=partner_number)
    except Partner.DoesNotExist:
        raise Http404("No such partner.") from None
    customers = partner_customers(user=request.user, partner=partner)
    contracts = partner_contracts(user=request.user, partner=partner)
    shown = list(contracts[:LIST_LIMIT])
    licences = contract_licence_status(
        contract_ids=[c.pk for c in shown if c.product.kind == ProductKind.ENTERPRISE]
    )
    context = {
        "partner": partner,
        "current": tier_current(partner=partner, on=timezone.localdate()),
        "history": tier_history(partner=partner),
        "orders": partner_orders(partner=partner),
        "customers": list(customers[:LIST_LIMIT]),
        "customer_count": customers.count(),
        "contracts": [(contract, licences.get(contract.pk)) for contract in shown],
        "contract_count": contracts.count(),
        "messages_sent": partner_messages(partner=partner),
        "feedback": list(feedback_of_partner(partner=partner)[:LIST_LIMIT]),
        "contacts": list(partner.contacts.all()),
        "is_manager": user_is_channel_manager(user=request.user),
        "section": "partners",
    }
    return render(request, "backoffice/partner_detail.html", context)
