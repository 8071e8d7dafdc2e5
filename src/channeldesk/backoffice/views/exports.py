"""The back office's downloads: the partner list and the movers as filtered on their pages,
the renewals pipeline and the compliance report, and the ERP files (partners, orders, contracts)
in the columns their imports read. Every one is written by the shared writer (`core.exports`):
German Excel for a German reader, plain CSV in English otherwise, names not codes, text cells
safe from formulas; `?format=xlsx` gives the same columns and rows as an Excel workbook. Each
costs a fixed number of queries, whatever its size."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseBadRequest
from django.http.response import HttpResponseBase
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
from channeldesk.catalog.models import OrderLine
from channeldesk.contracts.imports import IMPORTERS
from channeldesk.contracts.models import Contract
from channeldesk.core.exports import (
    CsvExport,
    ExportColumn,
    ExportFormat,
    FileFormat,
    Label,
    XlsxExport,
    csv_attachment,
    csv_download,
    export_format,
    requested_file_format,
    xlsx_download,
)
from channeldesk.core.money import money_round
from channeldesk.licensing.selectors import (
    REPORT_CSV_COLUMNS,
    ComplianceReport,
    compliance_latest_day,
    compliance_report_csv,
    compliance_report_rows,
)
from channeldesk.partners.models import Partner

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


def _download(
    *,
    file_format: FileFormat,
    columns: Sequence[ExportColumn],
    export: ExportFormat,
    rows: Iterable[Sequence[object]],
    name: str,
    title: Label,
) -> HttpResponseBase:
    """The rows as the file `?format=` asks for: `name.csv` streamed (the default) or
    `name.xlsx`, a sheet called `title`; the same columns and rows either way."""
    if file_format is FileFormat.XLSX:
        writer = XlsxExport(columns=columns, export=export, title=title)
        return xlsx_download(writer=writer, rows=rows, filename=f"{name}.xlsx")
    csv_writer = CsvExport(columns=columns, export=export)
    return csv_download(lines=csv_writer.lines(rows), filename=f"{name}.csv")


@manager_view
@require_http_methods(["GET", "HEAD"])
def partners_csv(request: HttpRequest) -> HttpResponseBase:
    """The partner list as filtered and sorted on its page, every page of it."""
    file_format = requested_file_format(request)
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

    return _download(
        file_format=file_format,
        columns=PARTNER_COLUMNS,
        export=export,
        rows=rows(),
        name=f"partners-{today.isoformat()}",
        title=_("Partners"),
    )


@manager_view
@require_http_methods(["GET", "HEAD"])
def movers_csv(request: HttpRequest) -> HttpResponseBase:
    """Every mover of the draft's latest simulation, as filtered on the movers page."""
    file_format = requested_file_format(request)
    export = export_format()
    _form, projection, movers = mover_selection(request)
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
    return _download(
        file_format=file_format,
        columns=MOVER_COLUMNS,
        export=export,
        rows=rows,
        name=f"movers-{reference}",
        title=_("Movers"),
    )


@manager_view
@require_http_methods(["GET", "HEAD"])
def renewals_csv(request: HttpRequest) -> HttpResponseBase:
    """The active contracts of the renewals pipeline (this month and the next eleven)."""
    file_format = requested_file_format(request)
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

    return _download(
        file_format=file_format,
        columns=RENEWAL_COLUMNS,
        export=export,
        rows=rows(),
        name=f"renewals-{today.isoformat()}",
        title=_("Renewals"),
    )


@manager_view
@require_http_methods(["GET", "HEAD"])
def compliance_csv(request: HttpRequest) -> HttpResponseBase:
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
    file_format = requested_file_format(request)
    day = compliance_latest_day()
    rows = compliance_export_rows(day=day, filters=filters) if day is not None else []
    report = ComplianceReport(day=day, under_licensed=rows)
    export = export_format()
    name = f"compliance-{day.isoformat() if day else 'none'}"
    if file_format is FileFormat.XLSX:
        return _download(
            file_format=file_format,
            columns=REPORT_CSV_COLUMNS,
            export=export,
            rows=compliance_report_rows(report=report, language=export.language),
            name=name,
            title=_("Compliance"),
        )
    return csv_attachment(
        text=compliance_report_csv(report=report, export=export), filename=f"{name}.csv"
    )


# --- The ERP files: what the imports read, so an export imported again changes nothing --------

# The stored field of each column of an import, by the column's name. The columns and their
# order are the importer's (`contracts.imports.IMPORTERS`); a column the importer reads and this
# map lacks fails the export loudly instead of writing a file the import would refuse.
PARTNER_FIELDS = {
    "partner_number": "partner_number",
    "name": "name",
    "street": "street",
    "postal_code": "postal_code",
    "city": "city",
    "country": "country",
    "vat_id": "vat_id",
    "email": "email",
    "status": "status",
    "phone": "phone",
    "language": "language",
}
ORDER_FIELDS = {
    "order_number": "order__order_number",
    "partner_number": "partner__partner_number",
    "order_date": "order_date",
    "sku": "product__sku",
    "quantity": "quantity",
    "net_amount": "net_amount",
}
CONTRACT_FIELDS = {
    "contract_number": "contract_number",
    "customer_number": "customer__customer_number",
    "partner_number": "partner__partner_number",
    "sku": "product__sku",
    "seats": "seats",
    "start_date": "start_date",
    "end_date": "end_date",
    "renews_contract_number": "renews__contract_number",
}


def import_columns(kind: str) -> tuple[ExportColumn, ...]:
    """The columns the import `kind` reads, in its order, headed by their names: an import file
    is read by a machine, so its headers are the same in every language (its cells follow the
    reader's dialect, which the import reads either way)."""
    return tuple(ExportColumn(name, name) for name in IMPORTERS[kind].row_model.columns())


def _import_rows(
    queryset: QuerySet[Any], *, columns: Sequence[ExportColumn], fields: Mapping[str, str]
) -> Iterator[Sequence[object]]:
    """The stored values of the columns: codes as stored (the import's values), amounts as
    Decimal, dates as dates, empty values as empty cells."""
    values = queryset.values_list(*(fields[column.key] for column in columns))
    for row in values.iterator(chunk_size=CHUNK):
        yield [None if value == "" else value for value in row]


def _import_download(
    request: HttpRequest, *, kind: str, queryset: QuerySet[Any], fields: Mapping[str, str]
) -> HttpResponseBase:
    file_format = requested_file_format(request)
    columns = import_columns(kind)
    return _download(
        file_format=file_format,
        columns=columns,
        export=export_format(),
        rows=_import_rows(queryset, columns=columns, fields=fields),
        name=f"{kind}-{timezone.localdate().isoformat()}",
        title=IMPORT_TITLES[kind],
    )


IMPORT_TITLES: dict[str, Label] = {
    "partners": _("Partners"),
    "orders": _("Orders"),
    "contracts": _("Contracts"),
}


@manager_view
@require_http_methods(["GET", "HEAD"])
def partner_register(request: HttpRequest) -> HttpResponseBase:
    """Every partner in the columns of the partners import, by partner number."""
    return _import_download(
        request,
        kind="partners",
        queryset=Partner.objects.order_by("partner_number"),
        fields=PARTNER_FIELDS,
    )


@manager_view
@require_http_methods(["GET", "HEAD"])
def orders_register(request: HttpRequest) -> HttpResponseBase:
    """Every order line in the columns of the orders import: the lines of an order together, in
    their order, so the import numbers them as they are stored."""
    lines = OrderLine.objects.order_by("order_id", "line_number")
    return _import_download(request, kind="orders", queryset=lines, fields=ORDER_FIELDS)


@manager_view
@require_http_methods(["GET", "HEAD"])
def contracts_register(request: HttpRequest) -> HttpResponseBase:
    """Every contract in the columns of the contracts import (with the contract it renews), by
    contract number."""
    return _import_download(
        request,
        kind="contracts",
        queryset=Contract.objects.order_by("contract_number"),
        fields=CONTRACT_FIELDS,
    )
