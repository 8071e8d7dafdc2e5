"""Customers: the searchable list, a customer's contracts and reminders, and its letters."""

from __future__ import annotations

import structlog
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from channeldesk.contracts.models import Customer, Reminder
from channeldesk.licensing.models import KeycodeStatus
from channeldesk.licensing.selectors import keycodes_visible_to
from channeldesk.licensing.services import keycode_text
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


logger = structlog.get_logger(__name__)


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


@partner_view
@require_http_methods(["GET"])
def keycode_reveal(
    request: HttpRequest, membership: PartnerMembership, contract_number: str
) -> HttpResponse:
    """The whole active keycode of a contract of the partner's customers, on request (the page
    shows it masked). Every reveal is logged with who asked."""
    keycode = (
        keycodes_visible_to(user=request.user)
        .filter(contract__contract_number=contract_number, status=KeycodeStatus.ACTIVE)
        .first()
    )
    if keycode is None:
        raise Http404("No such keycode.")
    logger.info(
        "keycode_revealed",
        user=request.user.pk,
        partner=membership.partner_id,
        contract=contract_number,
        keycode=keycode.pk,
    )
    response = render(request, "portal/keycode.html", {"code": keycode_text(keycode=keycode)})
    response["Cache-Control"] = "no-store"
    return response
