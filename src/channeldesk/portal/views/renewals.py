"""Renewals: the partner's contracts ending in the next 90 days, with quotes, and as CSV."""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from channeldesk.partners.models import PartnerMembership
from channeldesk.portal.access import partner_view
from channeldesk.portal.selectors import (
    RENEWAL_WINDOW_DAYS,
    portal_renewals,
    portal_renewals_page,
    renewal_lines,
    renewal_period,
)

PAGE_SIZE = 25
CSV_BATCH = 1000
CSV_COLUMNS = [
    "contract_number",
    "customer_number",
    "customer_name",
    "sku",
    "product",
    "seats",
    "end_date",
    "list_amount",
    "tier",
    "discount_percent",
    "net_amount",
    "currency",
]


@partner_view
@require_http_methods(["GET", "HEAD"])
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


class _Echo:
    """csv.writer wants a file; this one hands each written line back."""

    def write(self, value: str) -> str:
        return value


@partner_view
@require_http_methods(["GET", "HEAD"])
def renewal_csv(request: HttpRequest, membership: PartnerMembership) -> StreamingHttpResponse:
    """Every renewal of the window as CSV (UTF-8 with BOM, semicolons: German Excel opens it),
    streamed in batches so a partner with thousands of renewals costs little memory."""
    today = timezone.localdate()
    contracts = portal_renewals(user=request.user, today=today)
    response = StreamingHttpResponse(
        _csv_rows(membership, contracts, today), content_type="text/csv; charset=utf-8"
    )
    filename = f"renewals-{membership.partner.partner_number}-{today.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_rows(membership: PartnerMembership, contracts, today) -> Iterator[str]:  # type: ignore[no-untyped-def]
    writer = csv.writer(_Echo(), delimiter=";")
    yield "\ufeff" + writer.writerow(CSV_COLUMNS)
    batch = []
    for contract in contracts.iterator(chunk_size=CSV_BATCH):
        batch.append(contract)
        if len(batch) == CSV_BATCH:
            yield from _csv_batch(writer, membership, batch, today)
            batch = []
    yield from _csv_batch(writer, membership, batch, today)


def _csv_batch(writer, membership, batch, today) -> Iterator[str]:  # type: ignore[no-untyped-def]
    for line in renewal_lines(partner=membership.partner, contracts=batch, today=today):
        contract, quote = line.contract, line.quote
        yield writer.writerow(
            [
                contract.contract_number,
                contract.customer.customer_number,
                contract.customer.name,
                contract.product.sku,
                contract.product.name_en,
                contract.seats,
                contract.end_date.isoformat(),
                quote.list_amount if quote else "",
                quote.tier if quote else "",
                quote.discount_percent if quote else "",
                quote.net_amount if quote else "",
                quote.currency if quote else "",
            ]
        )
