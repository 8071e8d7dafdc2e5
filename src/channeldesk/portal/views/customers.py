"""Customers: the searchable list, a customer's contracts and reminders, and its letters."""

from __future__ import annotations

import datetime as dt

import structlog
from django import forms
from django.core.paginator import Page
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from channeldesk.contracts.models import Customer, Reminder
from channeldesk.core.exports import (
    CsvExport,
    ExportColumn,
    FileFormat,
    XlsxExport,
    csv_attachment,
    export_format,
    requested_file_format,
    xlsx_download,
)
from channeldesk.licensing import services as licensing_services
from channeldesk.licensing.models import KeycodeStatus, RevealChannel
from channeldesk.licensing.selectors import keycodes_visible_to
from channeldesk.partners.models import PartnerMembership
from channeldesk.portal.access import partner_page, partner_view
from channeldesk.portal.forms import CustomerSearchForm
from channeldesk.portal.panels import contract_panels
from channeldesk.portal.selectors import (
    CustomerLicence,
    portal_customer,
    portal_customer_contracts,
    portal_customers_page,
    portal_letter,
    portal_reminders,
)
from channeldesk.portal.views.common import pdf_download, selected_or_404

PAGE_SIZE = 25


logger = structlog.get_logger(__name__)


class CustomerListForm(CustomerSearchForm):
    """The customer search with the licence state to narrow to (names, never codes)."""

    licence = forms.ChoiceField(
        label=gettext_lazy("Licence"),
        required=False,
        choices=[("", gettext_lazy("all licence states")), *CustomerLicence.choices],
    )


def _customer_selection(
    request: HttpRequest, *, today: dt.date, number: str | None, per_page: int
) -> tuple[CustomerListForm, str, Page[int], list[Customer]]:
    """The form, the sort and a page of the customers it asks for (search, sector, licence):
    the list and its CSV both read them here, so the file holds what the page shows."""
    form = CustomerListForm(request.GET or None)
    search = sector = licence = ""
    if form.is_valid():
        search = form.cleaned_data["q"].strip()
        sector = form.cleaned_data["sector"]
        licence = form.cleaned_data["licence"]
    sort = form.cleaned_sort() if request.GET else "name"
    page, customers = portal_customers_page(
        user=request.user,
        search=search,
        sort=sort,
        sector=sector,
        licence=licence,
        today=today,
        number=number,
        per_page=per_page,
    )
    return form, sort, page, customers


@partner_page
def customer_list(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    form, sort, page, customers = _customer_selection(
        request, today=timezone.localdate(), number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    context = {
        "form": form,
        "page": page,
        "customers": customers,
        "sort": sort,
        "section": "customers",
    }
    is_htmx = request.headers.get("HX-Request") == "true"
    template = "portal/customers_table.html" if is_htmx else "portal/customers.html"
    return render(request, template, context)


CSV_COLUMNS = (
    ExportColumn("customer_number", gettext_lazy("Customer number")),
    ExportColumn("name", gettext_lazy("Name")),
    ExportColumn("postal_code", gettext_lazy("Postal code")),
    ExportColumn("city", gettext_lazy("City")),
    ExportColumn("sector", gettext_lazy("Sector")),
    ExportColumn("contracts", gettext_lazy("Contracts")),
    ExportColumn("next_end", gettext_lazy("Next contract end")),
    ExportColumn("licence", gettext_lazy("Licence")),
)
# The export takes every match on one "page": the selector's few grouped queries, whatever the
# number of customers (a partner has some thousands).
CSV_MAX_ROWS = 1_000_000


@partner_page
def customer_csv(request: HttpRequest, membership: PartnerMembership) -> HttpResponseBase:
    """The customer list with the page's search, filters and sort, every match, as CSV in the
    reader's dialect (`core.exports`): sectors and licence states by name; `?format=xlsx`: the
    same columns and rows as a workbook."""
    file_format = requested_file_format(request)
    today = timezone.localdate()
    _form, _sort, _page, customers = _customer_selection(
        request, today=today, number=None, per_page=CSV_MAX_ROWS
    )
    export = export_format()
    rows = (
        [
            customer.customer_number,
            customer.name,
            customer.postal_code,
            customer.city,
            customer.get_sector_display(),
            customer.contract_count,  # type: ignore[attr-defined]
            customer.next_end,  # type: ignore[attr-defined]
            customer.licence.label if customer.licence else None,  # type: ignore[attr-defined]
        ]
        for customer in customers
    )
    name = f"customers-{membership.partner.partner_number}-{today.isoformat()}"
    if file_format is FileFormat.XLSX:
        workbook = XlsxExport(columns=CSV_COLUMNS, export=export, title=gettext_lazy("Customers"))
        return xlsx_download(writer=workbook, rows=rows, filename=f"{name}.xlsx")
    writer = CsvExport(columns=CSV_COLUMNS, export=export)
    return csv_attachment(text=writer.text(rows), filename=f"{name}.csv")


@partner_page
def customer_detail(
    request: HttpRequest, membership: PartnerMembership, customer_number: str
) -> HttpResponse:
    customer = selected_or_404(
        portal_customer,
        Customer.DoesNotExist,
        "No such customer.",
        user=request.user,
        customer_number=customer_number,
    )
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


@partner_page
def letter_download(
    request: HttpRequest, membership: PartnerMembership, reminder_id: int
) -> FileResponse:
    """The archived PDF of a letter the customer got, for the partner who looks after it."""
    reminder = selected_or_404(
        portal_letter,
        Reminder.DoesNotExist,
        "No such letter.",
        user=request.user,
        reminder_id=reminder_id,
    )
    document = reminder.document
    assert document is not None  # the selector only finds reminders with a letter
    return pdf_download(
        document, filename=f"{document.kind}-{reminder.contract.contract_number}.pdf"
    )


@partner_view
@require_http_methods(["GET"])
def keycode_reveal(
    request: HttpRequest, membership: PartnerMembership, contract_number: str
) -> HttpResponse:
    """The whole active keycode of a contract of the partner's customers, on request (the page
    shows it masked): the partner installs the product with it. Every reveal is recorded as a
    `KeycodeReveal` (who, for which partner, when), which staff read in the admin."""
    keycode = (
        keycodes_visible_to(user=request.user)
        .filter(contract__contract_number=contract_number, status=KeycodeStatus.ACTIVE)
        .first()
    )
    if keycode is None:
        raise Http404("No such keycode.")
    code = licensing_services.keycode_reveal(
        keycode=keycode,
        actor=request.user,
        channel=RevealChannel.PORTAL,
        partner=membership.partner,
    )
    logger.info(
        "keycode_revealed",
        user=request.user.pk,
        partner=membership.partner_id,
        contract=contract_number,
        keycode=keycode.pk,
    )
    response = render(request, "portal/keycode.html", {"code": code})
    response["Cache-Control"] = "no-store"
    return response
