"""The back office's downloads: the partner list and the movers as filtered on their pages,
the renewals pipeline and the compliance report. Every one is written by the shared writer
(`core.exports`): German Excel for a German reader, plain CSV in English otherwise, names not
codes, text cells safe from formulas. Each costs a fixed number of queries, whatever its size."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from channeldesk.backoffice.access import manager_view
from channeldesk.backoffice.selectors import (
    backoffice_partner_list,
    compliance_export_rows,
    draft_projection,
    draft_to_project,
    partner_names,
    partner_revenue_window,
    renewal_contracts,
)
from channeldesk.backoffice.views.movers import mover_rows, mover_selection
from channeldesk.backoffice.views.operations import compliance_filters
from channeldesk.backoffice.views.partners import partner_filters, partner_rows
from channeldesk.core.exports import (
    CsvExport,
    ExportColumn,
    csv_attachment,
    csv_download,
    export_format,
)
from channeldesk.core.money import money_round
from channeldesk.licensing.selectors import (
    ComplianceReport,
    compliance_latest_day,
    compliance_report_csv,
)

CHUNK = 2000

PARTNER_COLUMNS = (
    ExportColumn("partner_number", _("Partner number")),
    ExportColumn("name", _("Name")),
    ExportColumn("postal_code", _("Postal code")),
    ExportColumn("city", _("City")),
    ExportColumn("status", _("Status")),
    ExportColumn("tier", _("Tier")),
    ExportColumn("revenue", _("Net revenue (EUR)")),
    ExportColumn("revenue_from", _("Revenue from")),
    ExportColumn("revenue_to", _("Revenue to")),
    ExportColumn("draft_tier", _("Draft tier")),
)
MOVER_COLUMNS = (
    ExportColumn("partner_number", _("Partner number")),
    ExportColumn("name", _("Name")),
    ExportColumn("from_tier", _("From tier")),
    ExportColumn("to_tier", _("To tier")),
    ExportColumn("direction", _("Direction")),
)
RENEWAL_COLUMNS = (
    ExportColumn("contract_number", _("Contract number")),
    ExportColumn("customer_number", _("Customer number")),
    ExportColumn("customer", _("Customer")),
    ExportColumn("partner_number", _("Partner number")),
    ExportColumn("partner", _("Partner")),
    ExportColumn("sku", _("SKU")),
    ExportColumn("product", _("Product")),
    ExportColumn("seats", _("Seats")),
    ExportColumn("end_date", _("End date")),
    ExportColumn("list_value", _("Value at list price (EUR)")),
)


def _german(language: str) -> bool:
    return language == "de"


@manager_view
@require_http_methods(["GET", "HEAD"])
def partners_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The partner list as filtered and sorted on its page, every page of it."""
    today = timezone.localdate()
    export = export_format()
    german = _german(export.language)
    _form, filters = partner_filters(request, today=today, german=german)
    window = partner_revenue_window(today=today)
    draft = draft_to_project()
    partners = backoffice_partner_list(
        user=request.user, filters=filters, today=today, window=window, draft=draft
    )
    projection = draft_projection(policy=draft)

    def rows() -> Iterator[list[object]]:
        lines = partner_rows(
            partners.iterator(chunk_size=CHUNK), projection=projection, german=german
        )
        for row in lines:
            partner = row.partner
            yield [
                partner.partner_number,
                partner.name,
                partner.postal_code,
                partner.city,
                partner.get_status_display(),
                row.tier or None,
                row.revenue,
                window.start,
                window.last_day,
                row.draft_tier or None,
            ]

    writer = CsvExport(columns=PARTNER_COLUMNS, export=export)
    return csv_download(lines=writer.lines(rows()), filename=f"partners-{today.isoformat()}.csv")


@manager_view
@require_http_methods(["GET", "HEAD"])
def movers_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Every mover of the draft's latest simulation, as filtered on the movers page."""
    export = export_format()
    _form, projection, movers = mover_selection(request)
    writer = CsvExport(columns=MOVER_COLUMNS, export=export)
    rows: list[list[object]] = []
    if projection is not None:
        # One query for every partner's name: cheaper than an IN list of thousands of numbers.
        names = partner_names(numbers=None)
        rows = [
            [row.partner_number, row.name, row.from_tier or None, row.to_tier, row.direction]
            for row in mover_rows(
                movers,
                names=names,
                tier_names=projection.tier_names,
                german=_german(export.language),
            )
        ]
    reference = projection.policy.reference.replace("@", "-") if projection else "none"
    return csv_download(lines=writer.lines(rows), filename=f"movers-{reference}.csv")


@manager_view
@require_http_methods(["GET", "HEAD"])
def renewals_csv(request: HttpRequest) -> StreamingHttpResponse:
    """The active contracts of the renewals pipeline (this month and the next eleven)."""
    today = timezone.localdate()
    export = export_format()
    german = _german(export.language)
    contracts = renewal_contracts(user=request.user, today=today)

    def rows() -> Iterator[list[object]]:
        for (
            contract_number,
            customer_number,
            customer,
            partner_number,
            partner,
            sku,
            product_de,
            product_en,
            seats,
            end_date,
            list_value,
        ) in contracts.iterator(chunk_size=CHUNK):
            yield [
                contract_number,
                customer_number,
                customer,
                partner_number,
                partner,
                sku,
                product_de if german else product_en,
                seats,
                end_date,
                # SQLite multiplies REAL values: the product is rounded to the cent.
                money_round(Decimal(str(list_value or 0))),
            ]

    writer = CsvExport(columns=RENEWAL_COLUMNS, export=export)
    return csv_download(lines=writer.lines(rows()), filename=f"renewals-{today.isoformat()}.csv")


@manager_view
@require_http_methods(["GET", "HEAD"])
def compliance_csv(request: HttpRequest) -> HttpResponse:
    """The contracts of the latest scan as the compliance page lists them (its sector, partner
    and state filters; every page of it), in the columns the API and the CLI give."""
    form, filters = compliance_filters(request)
    if form.is_bound and not form.is_valid():
        # The page shows the whole list for filters it cannot use; a download of everything
        # under a file name that promises a filtered list would mislead, so it is refused.
        errors = "; ".join(
            f"{name}: {' '.join(str(message) for message in messages)}"
            for name, messages in form.errors.items()
        )
        return HttpResponseBadRequest(
            _("These filters could not be used: %(errors)s") % {"errors": errors},
            content_type="text/plain; charset=utf-8",
        )
    day = compliance_latest_day()
    rows = compliance_export_rows(day=day, filters=filters) if day is not None else []
    return csv_attachment(
        text=compliance_report_csv(
            report=ComplianceReport(day=day, under_licensed=rows), export=export_format()
        ),
        filename=f"compliance-{day.isoformat() if day else 'none'}.csv",
    )
