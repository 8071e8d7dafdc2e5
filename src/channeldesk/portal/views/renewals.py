"""Renewals: the partner's contracts ending in the next 90 days, with quotes, and as a file
(CSV, or Excel with `?format=xlsx`)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channeldesk.contracts.models import Contract
from channeldesk.core.exports import (
    CsvExport,
    ExportColumn,
    FileFormat,
    XlsxExport,
    csv_download,
    export_format,
    requested_file_format,
    xlsx_download,
)
from channeldesk.partners.models import Partner, PartnerMembership
from channeldesk.portal.access import partner_page
from channeldesk.portal.selectors import (
    RENEWAL_WINDOW_DAYS,
    RenewalLine,
    portal_renewals,
    portal_renewals_page,
    renewal_lines,
    renewal_period,
)
from channeldesk.tiers.selectors import tier_current

PAGE_SIZE = 25
CSV_BATCH = 1000
CSV_COLUMNS = (
    ExportColumn("contract_number", _("Contract number")),
    ExportColumn("customer_number", _("Customer number")),
    ExportColumn("customer_name", _("Customer")),
    ExportColumn("sku", _("SKU")),
    ExportColumn("product", _("Product")),
    ExportColumn("seats", _("Seats")),
    ExportColumn("end_date", _("End date")),
    ExportColumn("list_amount", _("List amount")),
    ExportColumn("tier", _("Tier")),
    ExportColumn("discount_percent", _("Discount (%)")),
    ExportColumn("net_amount", _("Net amount")),
    ExportColumn("currency", _("Currency")),
)


@partner_page
def renewal_list(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    today = timezone.localdate()
    page, contracts = portal_renewals_page(
        user=request.user, today=today, number=request.GET.get("page"), per_page=PAGE_SIZE
    )
    lines = renewal_lines(partner=membership.partner, contracts=contracts, today=today)
    context = {
        "page": page,
        "lines": lines,
        "period": renewal_period(today=today),
        "days": RENEWAL_WINDOW_DAYS,
        "section": "renewals",
    }
    return render(request, "portal/renewals.html", context)


@partner_page
def renewal_csv(request: HttpRequest, membership: PartnerMembership) -> HttpResponseBase:
    """Every renewal of the window as CSV in the reader's dialect (German Excel in German, plain
    CSV in English; `core.exports`), streamed in batches so a partner with thousands of
    renewals costs little memory; `?format=xlsx`: the same columns and rows as a workbook."""
    file_format = requested_file_format(request)
    today = timezone.localdate()
    contracts = portal_renewals(user=request.user, today=today)
    export = export_format()
    rows = _csv_rows(membership.partner, contracts, today, german=export.language == "de")
    name = f"renewals-{membership.partner.partner_number}-{today.isoformat()}"
    if file_format is FileFormat.XLSX:
        workbook = XlsxExport(columns=CSV_COLUMNS, export=export, title=_("Renewals"))
        return xlsx_download(writer=workbook, rows=rows, filename=f"{name}.xlsx")
    writer = CsvExport(columns=CSV_COLUMNS, export=export)
    return csv_download(lines=writer.lines(rows), filename=f"{name}.csv")


def _csv_rows(
    partner: Partner, contracts: QuerySet[Contract], today: dt.date, *, german: bool
) -> Iterator[list[object]]:
    current = tier_current(partner=partner, on=today)
    tier_name = "" if current is None else current.tier_name_de if german else current.tier_name_en
    for batch in itertools.batched(contracts.iterator(chunk_size=CSV_BATCH), CSV_BATCH):
        for line in renewal_lines(partner=partner, contracts=list(batch), today=today):
            yield _csv_values(line, tier_name=tier_name, german=german)


def _csv_values(line: RenewalLine, *, tier_name: str, german: bool) -> list[object]:
    contract, quote, product = line.contract, line.quote, line.contract.product
    priced = (
        [quote.list_amount, tier_name, quote.discount_percent, quote.net_amount, quote.currency]
        if quote is not None
        else [None] * 5
    )
    return [
        contract.contract_number,
        contract.customer.customer_number,
        contract.customer.name,
        product.sku,
        product.name_de if german else product.name_en,
        contract.seats,
        contract.end_date,
        *priced,
    ]
