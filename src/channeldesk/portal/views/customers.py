"""Customers: the searchable list, a customer's contracts and reminders, and its letters."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from channeldesk.contracts.models import Customer, Reminder
from channeldesk.partners.models import PartnerMembership
from channeldesk.portal.access import partner_view
from channeldesk.portal.forms import CustomerSearchForm
from channeldesk.portal.panels import contract_panels
from channeldesk.portal.selectors import (
    portal_customer,
    portal_customer_contracts,
    portal_customers_page,
    portal_letter,
    portal_reminders,
)

PAGE_SIZE = 25


@partner_view
@require_http_methods(["GET", "HEAD"])
def customer_list(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    form = CustomerSearchForm(request.GET or None)
    search = sector = ""
    if form.is_valid():
        search = form.cleaned_data["q"].strip()
        sector = form.cleaned_data["sector"]
    sort = form.cleaned_sort() if request.GET else "name"
    page, customers = portal_customers_page(
        user=request.user,
        search=search,
        sort=sort,
        sector=sector,
        number=request.GET.get("page"),
        per_page=PAGE_SIZE,
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "customers": customers,
        "query": query.urlencode(),
        "sort": sort,
        "section": "customers",
    }
    is_htmx = request.headers.get("HX-Request") == "true"
    template = "portal/customers_table.html" if is_htmx else "portal/customers.html"
    return render(request, template, context)


@partner_view
@require_http_methods(["GET", "HEAD"])
def customer_detail(
    request: HttpRequest, membership: PartnerMembership, customer_number: str
) -> HttpResponse:
    try:
        customer = portal_customer(user=request.user, customer_number=customer_number)
    except Customer.DoesNotExist:
        raise Http404("No such customer.") from None
    contracts = portal_customer_contracts(user=request.user, customer=customer)
    reminders = portal_reminders(contracts=contracts)
    panels = contract_panels(
        partner=membership.partner, contracts=contracts, today=timezone.localdate()
    )
    rows = [(contract, panels.get(contract.pk, [])) for contract in contracts]
    context = {
        "customer": customer,
        "rows": rows,
        "reminders": reminders,
        "section": "customers",
    }
    return render(request, "portal/customer_detail.html", context)


@partner_view
@require_http_methods(["GET", "HEAD"])
def letter_download(
    request: HttpRequest, membership: PartnerMembership, reminder_id: int
) -> FileResponse:
    """The archived PDF of a letter the customer got, for the partner who looks after it."""
    try:
        reminder = portal_letter(user=request.user, reminder_id=reminder_id)
    except Reminder.DoesNotExist:
        raise Http404("No such letter.") from None
    document = reminder.document
    assert document is not None  # the selector only finds reminders with a letter
    try:
        handle = document.file.open("rb")
    except FileNotFoundError:
        raise Http404("The letter's file is missing from the archive.") from None
    filename = f"{document.kind}-{reminder.contract.contract_number}.pdf"
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/pdf"
    )
