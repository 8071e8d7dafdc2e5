"""The `customers` import: end customers and who looks after them, from the ERP (R10, R11).

Customers upsert by customer number, like partners by partner number. `partner_number` is the
partner who looks after the customer: a new customer starts with that partner today; when a
stored customer names another partner than the one looking after it now, the file moves it (the
open span is closed today and a new one opened, as `services.customer_partner_change` does).
Empty `language` and `sector` cells keep the stored value (new customers get `de` and `other`).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Sequence
from typing import Annotated, Any

from django.db import models
from django.utils import timezone
from pydantic import BeforeValidator, Field

from channeldesk.contracts.models import Customer, CustomerAssignment, CustomerSector
from channeldesk.core.importing import (
    LOOKUP_BATCH,
    WRITE_BATCH,
    CountryCode,
    EmailOrBlank,
    ImportRow,
    LanguageOrNone,
    NotBlank,
    ProblemLog,
    SourceRow,
    UpsertPlan,
    report_duplicates,
    select_in,
    upsert_plan,
)
from channeldesk.partners.models import Partner


def ids_by_key(*, model: type[models.Model], key: str, keys: Collection[str]) -> dict[str, int]:
    """Key → primary key for the keys that exist: one query per LOOKUP_BATCH keys."""
    queryset = model._default_manager.values_list(key, "pk")
    return dict(select_in(queryset=queryset, field=key, keys=keys))


def report_unknown_partners(
    *, rows: Sequence[SourceRow[Any]], partner_ids: dict[str, int], problems: ProblemLog
) -> None:
    for row in rows:
        if row.data.partner_number not in partner_ids:
            reason = f"unknown partner number {row.data.partner_number}; import the partner first"
            problems.add(row=row.line, column="partner_number", reason=reason)


# --- Customers ---------------------------------------------------------------------------------


def _sector_code(value: object) -> object:
    """`Public Authority`, `public-authority` and `public_authority` all name one sector."""
    if not isinstance(value, str):
        return value
    cleaned = "_".join(value.strip().lower().replace("-", " ").split())
    return cleaned or None


class CustomerRow(ImportRow):
    """One end customer and the partner who looks after it."""

    customer_number: Annotated[str, Field(max_length=32), NotBlank]
    name: Annotated[str, Field(max_length=200), NotBlank]
    street: Annotated[str, Field(max_length=200)]
    postal_code: Annotated[str, Field(max_length=16)]
    city: Annotated[str, Field(max_length=100)]
    country: CountryCode
    language: LanguageOrNone
    sector: Annotated[CustomerSector | None, BeforeValidator(_sector_code)]
    contact_name: Annotated[str, Field(max_length=200)]
    contact_email: EmailOrBlank
    partner_number: Annotated[str, Field(max_length=32), NotBlank]

    def field_values(self) -> dict[str, Any]:
        """The customer's fields; an empty `language` or `sector` keeps the stored value."""
        values = self.model_dump(exclude={"customer_number", "partner_number"})
        return {name: value for name, value in values.items() if value is not None}


class CustomersPlan:
    """The customers to create and update, and the partner spans to open, close or correct.

    All partner changes of one file take effect on the same day (today), so a re-import on the
    same day finds every customer with the partner the file names and changes nothing.
    """

    def __init__(self, *, customers: UpsertPlan[Customer], rows: int) -> None:
        self.customers = customers
        self.rows = rows
        self.on = timezone.localdate()
        self.first_partner: dict[str, int] = {}  # number of a customer without span → partner id
        self.corrected: list[CustomerAssignment] = []  # open spans that started today
        self.closed: list[int] = []  # open spans to close today
        self.opened: list[CustomerAssignment] = []  # their successors
        self.moved: set[str] = set()  # numbers of existing customers that change partner

    @property
    def created(self) -> int:
        return self.customers.created

    @property
    def updated(self) -> int:
        changed = {customer.customer_number for customer in self.customers.to_update}
        return len(changed | self.moved)

    @property
    def unchanged(self) -> int:
        return self.rows - self.created - self.updated

    def move(self, *, number: str, current: CustomerAssignment, partner_id: int) -> None:
        """File a change of partner for an existing customer (see `customer_partner_change`)."""
        self.moved.add(number)
        if current.valid_from >= self.on:
            current.partner_id = partner_id
            self.corrected.append(current)
            return
        self.closed.append(current.pk)
        self.opened.append(
            CustomerAssignment(
                customer_id=current.customer_id, partner_id=partner_id, valid_from=self.on
            )
        )

    def apply(self) -> None:
        """Customers first, then their ids (one query), then the spans: closing before opening,
        so there is never a second open span for the unique constraint to refuse."""
        self.customers.apply()
        customer_ids = ids_by_key(model=Customer, key="customer_number", keys=self.first_partner)
        first_spans = [
            CustomerAssignment(
                customer_id=customer_ids[number], partner_id=partner_id, valid_from=self.on
            )
            for number, partner_id in self.first_partner.items()
        ]
        CustomerAssignment.objects.bulk_create(first_spans, batch_size=WRITE_BATCH)
        for batch in itertools.batched(self.closed, LOOKUP_BATCH):
            CustomerAssignment.objects.filter(pk__in=batch).update(valid_to=self.on)
        CustomerAssignment.objects.bulk_create(self.opened, batch_size=WRITE_BATCH)
        CustomerAssignment.objects.bulk_update(self.corrected, ["partner"], batch_size=WRITE_BATCH)


def _open_spans(*, numbers: Collection[str]) -> dict[str, CustomerAssignment]:
    """The open span of every stored customer among `numbers`, by customer number."""
    queryset = CustomerAssignment.objects.filter(valid_to__isnull=True).select_related("customer")
    spans = select_in(queryset=queryset, field="customer__customer_number", keys=numbers)
    return {span.customer.customer_number: span for span in spans}


def customers_import_plan(
    *, rows: Sequence[SourceRow[CustomerRow]], problems: ProblemLog
) -> CustomersPlan:
    """Plan the customers of the file against the stored ones.

    1. A customer number twice in the file, or an unknown partner number, is a problem.
    2. Upsert the master data by customer number (one query for the stored customers).
    3. Read the open spans of the stored customers (one query); a customer whose partner differs
       from the file's is moved, a new customer starts with the file's partner.
    """
    report_duplicates(
        rows=rows, key=lambda row: row.customer_number, column="customer_number", problems=problems
    )
    partner_numbers = {row.data.partner_number for row in rows}
    partner_ids = ids_by_key(model=Partner, key="partner_number", keys=partner_numbers)
    report_unknown_partners(rows=rows, partner_ids=partner_ids, problems=problems)
    values = {row.data.customer_number: row.data.field_values() for row in rows}
    plan = CustomersPlan(
        customers=upsert_plan(model=Customer, key_field="customer_number", values=values),
        rows=len(rows),
    )
    if len(problems):
        return plan
    spans = _open_spans(numbers=values.keys())
    new = {customer.customer_number for customer in plan.customers.to_create}
    for row in rows:
        number, partner_id = row.data.customer_number, partner_ids[row.data.partner_number]
        current = spans.get(number)
        if current is None:
            # A stored customer without a partner (only a repair could leave one) gets one too.
            plan.first_partner[number] = partner_id
            if number not in new:
                plan.moved.add(number)
        elif current.partner_id != partner_id:
            plan.move(number=number, current=current, partner_id=partner_id)
    return plan
