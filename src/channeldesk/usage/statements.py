"""A statement as PDF (a DIN 5008 letter), as CSV, and its evidence (which users counted when).

The partner's statement goes to the partner, in the partner's language, with its discount. The
customer statement the partner may forward lists one customer's lines at list prices: the
partner's discount is the partner's business, not its customer's. PDFs are stored once per
statement (and customer) through `documents.letter_store`; the statement never changes, so
neither does its PDF.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channeldesk.contracts.models import Customer
from channeldesk.core.exports import (
    PLAIN_CSV,
    CsvExport,
    ExportColumn,
    ExportFormat,
    Month,
    TextTarget,
)
from channeldesk.core.money import CENT, money_round
from channeldesk.documents.composition import letter_compose
from channeldesk.documents.letters import Contact, InformationBlock, Letter
from channeldesk.documents.models import Document
from channeldesk.documents.services import letter_store
from channeldesk.tiers.models import Tier
from channeldesk.usage.models import BillingUnit, LineKind, Statement, StatementLine
from channeldesk.usage.rating import counted_user_days, month_bounds
from channeldesk.usage.selectors import statement_lines

# The statement's CSV: the same lines as its PDF, from the stored statement lines only. The
# customer version (to forward) leaves out what its PDF leaves out: tier, discount, net amount.
CSV_COLUMNS = (
    ExportColumn("statement_number", _("Statement")),
    ExportColumn("position", _("Position")),
    ExportColumn("customer_number", _("Customer number")),
    ExportColumn("customer_name", _("Customer")),
    ExportColumn("contract_number", _("Contract number")),
    ExportColumn("usage_month", _("Usage month")),
    ExportColumn("adjustment", _("Adjustment")),
    ExportColumn("line_kind", _("Line kind")),
    ExportColumn("billing_unit", _("Billing unit")),
    ExportColumn("first_day", _("First day")),
    ExportColumn("last_day", _("Last day")),
    ExportColumn("units", _("Units")),
    ExportColumn("unit_price", _("Unit price (EUR)")),
    ExportColumn("tier", _("Tier")),
    ExportColumn("discount_percent", _("Discount (%)")),
    ExportColumn("list_amount", _("List amount (EUR)")),
    ExportColumn("net_amount", _("Net amount (EUR)")),
)
PARTNER_ONLY_COLUMNS = frozenset({"tier", "discount_percent", "net_amount"})
EVIDENCE_COLUMNS = (
    ExportColumn("contract_number", _("Contract number")),
    ExportColumn("customer_number", _("Customer number")),
    ExportColumn("usage_month", _("Usage month")),
    ExportColumn("usage_date", _("Date")),
    ExportColumn("user_key", _("User")),
    ExportColumn("events", _("Events")),
)
# The letter kind: its template is registered by `UsageConfig.ready()` (the files are
# `templates/usage/letters/usage_statement.<de|en>.txt`), and the archive files the PDF under it.
PDF_KIND = "usage_statement"


def statement_csv_columns(*, for_customer: bool) -> tuple[ExportColumn, ...]:
    if not for_customer:
        return CSV_COLUMNS
    return tuple(column for column in CSV_COLUMNS if column.key not in PARTNER_ONLY_COLUMNS)


def statement_csv_lines(
    *, statement: Statement, export: ExportFormat = PLAIN_CSV, customer: Customer | None = None
) -> Iterator[str]:
    """The statement's lines as CSV text lines (header first) in the reader's dialect.

    Only the stored statement lines are read (customer and contract as issued), as for the PDF:
    the two never disagree, whatever happened to the customer after the statement was issued.
    """
    columns = statement_csv_columns(for_customer=customer is not None)
    writer = CsvExport(columns=columns, export=export)
    lines = list(statement_lines(statement=statement, customer=customer))
    names = statement_tier_names(codes={line.tier_code for line in lines}, language=export.language)
    keys = [column.key for column in columns]
    for_rows = (_csv_values(statement, line, names) for line in lines)
    return writer.lines([values[key] for key in keys] for values in for_rows)


def statement_csv_write(
    *,
    statement: Statement,
    target: TextTarget,
    customer: Customer | None = None,
    export: ExportFormat = PLAIN_CSV,
) -> int:
    """Write the statement's CSV (`statement_csv_lines`) to a file; returns the line count."""
    return _write_rows(
        statement_csv_lines(statement=statement, export=export, customer=customer), target
    )


def _write_rows(lines: Iterator[str], target: TextTarget) -> int:
    """Write CSV text lines (header first) to `target`; returns how many rows follow the header."""
    count = -1
    for text in lines:
        target.write(text)
        count += 1
    return count


def _csv_values(
    statement: Statement, line: StatementLine, tier_names: dict[str, str]
) -> dict[str, object]:
    return {
        "statement_number": statement.number,
        "position": line.position,
        "customer_number": line.customer_number,
        "customer_name": line.customer_name,
        "contract_number": line.contract_number,
        "usage_month": Month(line.usage_month),
        "adjustment": line.is_adjustment,
        "line_kind": LineKind(line.line_kind).label,
        "billing_unit": BillingUnit(line.billing_unit or BillingUnit.USER_DAY).label,
        "first_day": line.first_day,
        "last_day": line.last_day,
        "units": Decimal(line.units).normalize(),
        "unit_price": money_round(Decimal(line.unit_price)),
        "tier": tier_names.get(line.tier_code, line.tier_code),
        "discount_percent": Decimal(line.discount_percent).quantize(CENT),
        "list_amount": money_round(Decimal(line.list_amount)),
        "net_amount": money_round(Decimal(line.net_amount)),
    }


def statement_tier_names(*, codes: set[str], language: str) -> dict[str, str]:
    """Tier code → name in the language, from the newest programme that has the code (a code
    keeps its name across programmes)."""
    german = language.startswith("de")
    names: dict[str, str] = {}
    for code, name_de, name_en in (
        Tier.objects.filter(code__in=codes - {""})
        .order_by("-policy_id")
        .values_list("code", "name_de", "name_en")
    ):
        names.setdefault(code, name_de if german else name_en)
    return names


def statement_evidence_cells(
    *, statement: Statement, customer: Customer | None = None
) -> Iterator[tuple[object, ...]]:
    """For every contract and month on the statement, each user key that counted on each day
    (typed cells in `EVIDENCE_COLUMNS` order, without a header).

    It lists the month as the events stand now: for a month that later received late events or
    voids, the adjustment lines of a later statement bill the difference.
    """
    lines = statement_lines(statement=statement, customer=customer)
    months: dict[dt.date, dict[int, StatementLine]] = {}
    for line in lines:
        months.setdefault(line.usage_month, {})[line.subscription_id] = line
    for month in sorted(months):
        by_subscription = months[month]
        for subscription_id, day, user_key, events in counted_user_days(
            month=month, subscription_ids=list(by_subscription)
        ):
            line = by_subscription[subscription_id]
            yield (line.contract_number, line.customer_number, Month(month), day, user_key, events)


def statement_evidence_rows(
    *, statement: Statement, customer: Customer | None = None
) -> Iterator[tuple[str, ...]]:
    """The evidence as plain text cells, the column keys first, for a caller that runs its own
    `csv.writer` (the API view until it streams `statement_evidence_lines`). The cells are
    already neutralised, so no user key runs as a formula there either."""
    writer = CsvExport(columns=EVIDENCE_COLUMNS, export=PLAIN_CSV)
    yield tuple(column.key for column in EVIDENCE_COLUMNS)
    for cells in statement_evidence_cells(statement=statement, customer=customer):
        yield tuple(writer.texts(cells))


def statement_evidence_lines(
    *, statement: Statement, export: ExportFormat = PLAIN_CSV, customer: Customer | None = None
) -> Iterator[str]:
    """The evidence as CSV text lines (header first); the usage platform's user keys are text
    from outside, so the shared writer neutralises any that would run as a formula."""
    writer = CsvExport(columns=EVIDENCE_COLUMNS, export=export)
    return writer.lines(statement_evidence_cells(statement=statement, customer=customer))


def statement_evidence_write(
    *,
    statement: Statement,
    target: TextTarget,
    customer: Customer | None = None,
    export: ExportFormat = PLAIN_CSV,
) -> int:
    """Write the evidence CSV (`statement_evidence_lines`) to a file; returns the line count."""
    return _write_rows(
        statement_evidence_lines(statement=statement, export=export, customer=customer), target
    )


def statement_letter(*, statement: Statement, customer: Customer | None = None) -> Letter:
    """The statement as a letter: to the partner, or for one customer (to forward)."""
    lines = list(statement_lines(statement=statement, customer=customer))
    partner = statement.partner
    for_customer = customer is not None
    start, end = month_bounds(statement.period)
    context: dict[str, object] = {
        "statement_number": statement.number,
        "period_start": start,
        "period_end": end - dt.timedelta(days=1),
        "lines": [_letter_line(line, for_customer=for_customer) for line in lines],
        "total": _total(lines, for_customer=for_customer),
        "list_total": sum((line.list_amount for line in lines), Decimal(0)),
    }
    if customer is not None:
        context["customer_name"] = lines[0].customer_name if lines else customer.name
    language = customer.language if customer is not None else partner.language
    return letter_compose(
        template=PDF_KIND,
        language=language if language in ("de", "en") else "de",
        recipient=_address(customer if customer is not None else partner),
        information=InformationBlock(
            date=timezone.localdate(statement.issued_at),
            our_reference=statement.number,
            contact=Contact(name=partner.name, phone=partner.phone, email=partner.email),
        ),
        context=context,
    )


def statement_pdf(*, statement: Statement, customer: Customer | None = None) -> Document:
    """The statement as a stored PDF letter (rendered at the first request, then reused)."""
    letter = statement_letter(statement=statement, customer=customer)
    suffix = f":customer:{customer.customer_number}" if customer is not None else ""
    stored = letter_store(
        letter=letter,
        kind=PDF_KIND,
        reference=statement.number,
        key=f"usage-statement:{statement.pk}{suffix}",
    )
    return stored.document


def _letter_line(line: StatementLine, *, for_customer: bool) -> dict[str, object]:
    return {
        "contract_number": line.contract_number,
        "customer_name": line.customer_name,
        "adjustment": line.is_adjustment,
        "commitment": line.line_kind == LineKind.COMMITMENT,
        "usage_month_label": f"{line.usage_month:%m/%Y}",
        "units": line.units.normalize(),
        "unit": line.billing_unit if line.billing_unit else BillingUnit.USER_DAY,
        "unit_price": line.unit_price,
        "discount": Decimal(0) if for_customer else line.discount_percent,
        "amount": line.list_amount if for_customer else line.net_amount,
    }


def _total(lines: list[StatementLine], *, for_customer: bool) -> Decimal:
    amounts = (line.list_amount if for_customer else line.net_amount for line in lines)
    return money_round(sum(amounts, Decimal(0)))


def _address(party: object) -> tuple[str, ...]:
    name = str(getattr(party, "name", ""))
    street = str(getattr(party, "street", ""))
    city = " ".join(
        part for part in (getattr(party, "postal_code", ""), getattr(party, "city", "")) if part
    )
    country = str(getattr(party, "country", "DE"))
    lines = [name, street, city] + ([country] if country and country != "DE" else [])
    return tuple(line for line in lines if line)
