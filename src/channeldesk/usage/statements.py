"""A statement as PDF (a DIN 5008 letter), as CSV, and its evidence (which users counted when).

The partner's statement goes to the partner, in the partner's language, with its discount. The
customer statement the partner may forward lists one customer's lines at list prices: the
partner's discount is the partner's business, not its customer's. PDFs are stored once per
statement (and customer) through `documents.letter_store`; the statement never changes, so
neither does its PDF.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Protocol

from django.utils import timezone

from channeldesk.contracts.models import Customer
from channeldesk.core.money import money_round
from channeldesk.documents.composition import letter_compose
from channeldesk.documents.letters import Contact, InformationBlock, Letter
from channeldesk.documents.models import Document
from channeldesk.documents.services import letter_store
from channeldesk.usage.models import BillingUnit, LineKind, Statement, StatementLine
from channeldesk.usage.rating import counted_user_days, month_bounds
from channeldesk.usage.selectors import statement_lines

CSV_COLUMNS = (
    "statement_number",
    "position",
    "customer_number",
    "customer_name",
    "contract_number",
    "usage_month",
    "adjustment",
    "line_kind",
    "billing_unit",
    "first_day",
    "last_day",
    "units",
    "unit_price",
    "tier",
    "discount_percent",
    "list_amount",
    "net_amount",
)
EVIDENCE_COLUMNS = (
    "contract_number",
    "customer_number",
    "usage_month",
    "usage_date",
    "user_key",
    "events",
)
PDF_KIND = "usage_statement"


class TextTarget(Protocol):
    """Where CSV goes: an open text file, an HttpResponse, a command's stdout."""

    def write(self, text: str, /) -> object: ...


def _units_text(units: Decimal) -> str:
    return f"{units.normalize():f}"


def statement_csv_write(
    *, statement: Statement, target: TextTarget, customer: Customer | None = None
) -> int:
    """Write the statement's lines as CSV (comma, dot decimals); returns the line count."""
    writer = csv.writer(target, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for line in statement_lines(statement=statement, customer=customer):
        writer.writerow(
            [
                statement.number,
                line.position,
                line.customer.customer_number,
                line.customer.name,
                line.contract.contract_number,
                f"{line.usage_month:%Y-%m}",
                "yes" if line.is_adjustment else "no",
                line.line_kind,
                line.billing_unit,
                line.first_day.isoformat(),
                line.last_day.isoformat(),
                _units_text(line.units),
                f"{line.unit_price:.2f}",
                line.tier_code,
                f"{line.discount_percent:.2f}",
                f"{line.list_amount:.2f}",
                f"{line.net_amount:.2f}",
            ]
        )
        count += 1
    return count


def statement_evidence_rows(
    *, statement: Statement, customer: Customer | None = None
) -> Iterator[tuple[str, ...]]:
    """For every contract and month on the statement, each user key that counted on each day.

    It lists the month as the events stand now: for a month that later received late events or
    voids, the adjustment lines of a later statement bill the difference.
    """
    yield EVIDENCE_COLUMNS
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
            yield (
                line.contract.contract_number,
                line.customer.customer_number,
                f"{month:%Y-%m}",
                day.isoformat(),
                user_key,
                str(events),
            )


def statement_evidence_write(
    *, statement: Statement, target: TextTarget, customer: Customer | None = None
) -> int:
    writer = csv.writer(target, lineterminator="\n")
    count = -1
    for row in statement_evidence_rows(statement=statement, customer=customer):
        writer.writerow(row)
        count += 1
    return count


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
        context["customer_name"] = customer.name
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
        "contract_number": line.contract.contract_number,
        "customer_name": line.customer.name,
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
