"""The `contracts` import: the customers' contracts from the ERP, and which renews which (R10).

Contracts upsert by contract number. A row that names `renews_contract_number` renews that
contract, whether it is already stored or comes anywhere in the same file: the row's contract is
linked to it and the renewed contract's status becomes `renewed`, as `services.contract_renew`
does one at a time. An empty cell leaves a stored link alone; a stored link is never moved to
another contract. Statuses are otherwise ChannelDesk's: new contracts are active, and the expiry
sweep marks the ones that ran out.

The checks mirror the services' rules, so the import cannot store what `contract_renew` would
refuse: a contract is renewed at most once, only by a contract of the same customer that starts
after it, and never when it was cancelled.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from django.utils import timezone
from pydantic import Field, ValidationInfo, field_validator

from channeldesk.catalog.models import Product
from channeldesk.contracts.imports.customers import ids_by_key, report_unknown_partners
from channeldesk.contracts.models import (
    CONTRACT_PRODUCT_KINDS,
    Contract,
    ContractStatus,
    Customer,
)
from channeldesk.core.importing import (
    LOOKUP_BATCH,
    WRITE_BATCH,
    CsvDate,
    CsvInt,
    ImportRow,
    NotBlank,
    ProblemLog,
    SourceRow,
    report_duplicates,
    select_in,
)
from channeldesk.partners.models import Partner

INT32 = 2**31
# The columns a contract row sets, as model attributes.
CONTRACT_FIELDS = ("customer_id", "partner_id", "product_id", "seats", "start_date", "end_date")


class ContractRow(ImportRow):
    """One contract. `renews_contract_number` is required as a column but may be empty."""

    contract_number: Annotated[str, Field(max_length=64), NotBlank]
    customer_number: Annotated[str, Field(max_length=32), NotBlank]
    partner_number: Annotated[str, Field(max_length=32), NotBlank]
    sku: Annotated[str, Field(max_length=64), NotBlank]
    seats: Annotated[CsvInt, Field(ge=1, lt=INT32)]
    start_date: CsvDate
    end_date: CsvDate
    renews_contract_number: Annotated[str, Field(max_length=64)]

    @field_validator("end_date")
    @classmethod
    def _ends_after_start(cls, value: dt.date, info: ValidationInfo) -> dt.date:
        start = info.data.get("start_date")
        if start is not None and value < start:
            raise ValueError(f"{value.isoformat()} is before the start date {start.isoformat()}")
        return value

    @field_validator("renews_contract_number")
    @classmethod
    def _renews_another(cls, value: str, info: ValidationInfo) -> str:
        if value and value == info.data.get("contract_number"):
            raise ValueError("a contract cannot renew itself")
        return value


# --- Looking up what the file names ------------------------------------------------------------


@dataclass(frozen=True)
class _Keys:
    """Partner, product and customer ids by the file's keys (one query each)."""

    partner_ids: dict[str, int]
    product_ids: dict[str, int]
    customer_ids: dict[str, int]


def _product_ids(*, skus: Collection[str]) -> tuple[dict[str, int], dict[str, str]]:
    """SKU → id and SKU → kind for the SKUs that exist: one query."""
    queryset = Product.objects.values_list("sku", "pk", "kind")
    found = select_in(queryset=queryset, field="sku", keys=skus)
    return {sku: pk for sku, pk, _ in found}, {sku: kind for sku, _, kind in found}


def _keys(*, rows: Sequence[SourceRow[ContractRow]], problems: ProblemLog) -> _Keys:
    """Look the partners, products and customers up; unknown ones are row problems."""
    partner_ids = ids_by_key(
        model=Partner, key="partner_number", keys={row.data.partner_number for row in rows}
    )
    product_ids, kinds = _product_ids(skus={row.data.sku for row in rows})
    customer_ids = ids_by_key(
        model=Customer, key="customer_number", keys={row.data.customer_number for row in rows}
    )
    report_unknown_partners(rows=rows, partner_ids=partner_ids, problems=problems)
    for row in rows:
        _report_product(row=row, kind=kinds.get(row.data.sku), problems=problems)
        if row.data.customer_number not in customer_ids:
            reason = (
                f"unknown customer number {row.data.customer_number}; import the customer first"
            )
            problems.add(row=row.line, column="customer_number", reason=reason)
    return _Keys(partner_ids, product_ids, customer_ids)


def _report_product(*, row: SourceRow[ContractRow], kind: str | None, problems: ProblemLog) -> None:
    sku = row.data.sku
    if kind is None:
        reason = f"unknown SKU {sku}; import the product first"
    elif kind not in CONTRACT_PRODUCT_KINDS:
        reason = f"{sku} is a {kind} product; contracts are for enterprise and service products"
    else:
        return
    problems.add(row=row.line, column="sku", reason=reason)


@dataclass(frozen=True)
class _Stored:
    """The stored contracts the file names (its own and the ones it renews), and who renews
    each of them already."""

    by_number: dict[str, Contract]
    number_by_id: dict[int, str]
    follow_up_of: dict[int, str]  # stored contract id → number of its stored follow-up


def _stored(*, rows: Sequence[SourceRow[ContractRow]]) -> _Stored:
    """Two queries: the contracts by number, then the follow-ups of those contracts."""
    numbers = {row.data.contract_number for row in rows}
    numbers |= {row.data.renews_contract_number for row in rows if row.data.renews_contract_number}
    found = select_in(queryset=Contract.objects.all(), field="contract_number", keys=numbers)
    by_number = {contract.contract_number: contract for contract in found}
    number_by_id = {contract.pk: contract.contract_number for contract in found}
    follow_ups = Contract.objects.values_list("renews_id", "contract_number")
    follow_up_of = dict(select_in(queryset=follow_ups, field="renews_id", keys=number_by_id))
    return _Stored(by_number, number_by_id, follow_up_of)


# --- Checking the renewal links ----------------------------------------------------------------


@dataclass(frozen=True)
class _Renewed:
    """What the file or the database says about a contract that a row renews."""

    customer_id: int | None
    start_date: dt.date
    stored: Contract | None


def _renewed(
    *, number: str, file_rows: dict[str, ContractRow], keys: _Keys, stored: _Stored
) -> _Renewed | None:
    """The renewed contract as it will be after the import (the file's values win)."""
    in_file = file_rows.get(number)
    in_database = stored.by_number.get(number)
    if in_file is not None:
        customer_id = keys.customer_ids.get(in_file.customer_number)
        return _Renewed(customer_id, in_file.start_date, in_database)
    if in_database is not None:
        return _Renewed(in_database.customer_id, in_database.start_date, in_database)
    return None


def _link_problem(
    *, row: ContractRow, renewed: _Renewed | None, keys: _Keys, stored: _Stored
) -> str | None:
    """Why the row cannot renew the contract it names, or None when it can."""
    target = row.renews_contract_number
    own = stored.by_number.get(row.contract_number)
    linked = own.renews_id if own is not None else None
    if linked is not None and stored.number_by_id.get(linked) != target:
        return f"contract {row.contract_number} already renews another contract"
    if renewed is None:
        return f"unknown contract number {target}; it must be stored or in this file"
    customer_id = keys.customer_ids.get(row.customer_number)
    if customer_id is not None and renewed.customer_id not in (None, customer_id):
        return f"contract {target} belongs to another customer"
    if row.start_date <= renewed.start_date:
        return f"a renewal must start after {target} starts ({renewed.start_date.isoformat()})"
    return _stored_link_problem(row=row, renewed=renewed, stored=stored)


def _stored_link_problem(*, row: ContractRow, renewed: _Renewed, stored: _Stored) -> str | None:
    target = row.renews_contract_number
    if renewed.stored is None:
        return None
    if renewed.stored.status == ContractStatus.CANCELLED:
        return f"contract {target} was cancelled; it cannot be renewed"
    follow_up = stored.follow_up_of.get(renewed.stored.pk)
    if follow_up is not None and follow_up != row.contract_number:
        return f"contract {target} is already renewed by {follow_up}"
    return None


def _check_links(
    *, rows: Sequence[SourceRow[ContractRow]], keys: _Keys, stored: _Stored, problems: ProblemLog
) -> None:
    file_rows = {row.data.contract_number: row.data for row in rows}
    for row in rows:
        if not row.data.renews_contract_number:
            continue
        renewed = _renewed(
            number=row.data.renews_contract_number, file_rows=file_rows, keys=keys, stored=stored
        )
        reason = _link_problem(row=row.data, renewed=renewed, keys=keys, stored=stored)
        if reason is not None:
            problems.add(row=row.line, column="renews_contract_number", reason=reason)


# --- The plan ----------------------------------------------------------------------------------


@dataclass
class ContractsPlan:
    """Contracts to create and to update, the renewal links to write, and the contracts that
    become renewed."""

    rows: int = 0
    new: list[Contract] = field(default_factory=list)
    changed: list[Contract] = field(default_factory=list)
    changed_fields: set[str] = field(default_factory=set)
    links: dict[str, str] = field(default_factory=dict)  # follow-up number → renewed number
    stored_ids: dict[str, int] = field(default_factory=dict)  # stored contracts by number
    to_mark_renewed: set[str] = field(default_factory=set)  # stored, not yet renewed

    @property
    def created(self) -> int:
        return len(self.new)

    @property
    def updated(self) -> int:
        changed = {contract.contract_number for contract in self.changed}
        return len(changed | (self.links.keys() & self.stored_ids.keys()))

    @property
    def unchanged(self) -> int:
        return self.rows - self.created - self.updated

    def apply(self) -> None:
        """Set-based: one INSERT per WRITE_BATCH new contracts (renewed ones already with their
        status), one UPDATE per batch of changed contracts and of links, and one UPDATE per
        LOOKUP_BATCH stored contracts that become renewed."""
        now = timezone.now()
        renewed_numbers = set(self.links.values())
        for contract in self.new:
            if contract.contract_number in renewed_numbers:
                contract.status = ContractStatus.RENEWED
        Contract.objects.bulk_create(self.new, batch_size=WRITE_BATCH)
        self._update_changed(now=now)
        ids = self.stored_ids | {contract.contract_number: contract.pk for contract in self.new}
        self._write_links(ids=ids, now=now)
        marked = [ids[number] for number in self.to_mark_renewed]
        for batch in itertools.batched(marked, LOOKUP_BATCH):
            Contract.objects.filter(pk__in=batch).update(
                status=ContractStatus.RENEWED, updated_at=now
            )

    def _update_changed(self, *, now: dt.datetime) -> None:
        for contract in self.changed:
            contract.updated_at = now
        fields = [*sorted(self.changed_fields), "updated_at"]
        Contract.objects.bulk_update(self.changed, fields, batch_size=WRITE_BATCH)

    def _write_links(self, *, ids: dict[str, int], now: dt.datetime) -> None:
        links = [
            Contract(pk=ids[follow_up], renews_id=ids[renewed], updated_at=now)
            for follow_up, renewed in self.links.items()
        ]
        Contract.objects.bulk_update(links, ["renews", "updated_at"], batch_size=WRITE_BATCH)

    def add(self, *, row: ContractRow, values: dict[str, Any], stored: Contract | None) -> None:
        """File the row's contract as new, changed or unchanged."""
        self.rows += 1
        if stored is None:
            self.new.append(Contract(contract_number=row.contract_number, **values))
            return
        self.stored_ids[row.contract_number] = stored.pk
        changed = [name for name, value in values.items() if getattr(stored, name) != value]
        for name in changed:
            setattr(stored, name, values[name])
        if changed:
            self.changed.append(stored)
            self.changed_fields.update(name.removesuffix("_id") for name in changed)

    def link(self, *, row: ContractRow, stored: _Stored) -> None:
        """File the row's renewal link, unless it is stored already."""
        target = row.renews_contract_number
        own = stored.by_number.get(row.contract_number)
        if own is None or own.renews_id is None:
            self.links[row.contract_number] = target
        renewed = stored.by_number.get(target)
        if renewed is not None:
            self.stored_ids[target] = renewed.pk
            if renewed.status != ContractStatus.RENEWED:
                self.to_mark_renewed.add(target)


def _values(*, row: ContractRow, keys: _Keys) -> dict[str, Any]:
    return {
        "customer_id": keys.customer_ids[row.customer_number],
        "partner_id": keys.partner_ids[row.partner_number],
        "product_id": keys.product_ids[row.sku],
        "seats": row.seats,
        "start_date": row.start_date,
        "end_date": row.end_date,
    }


def contracts_import_plan(
    *, rows: Sequence[SourceRow[ContractRow]], problems: ProblemLog
) -> ContractsPlan:
    """Plan the contracts of the file against the stored ones.

    1. A contract number twice in the file, or a contract renewed by two rows, is a problem.
    2. Look up partners, products and customers (one query each); unknown ones, and products
       that are not enterprise or service products, are row problems.
    3. Read the stored contracts the file names and their follow-ups (two queries), and check
       every renewal link against them and against the file.
    4. A contract not stored is new; a stored one is changed when any value differs. Each new
       link is written, and the contract it names becomes renewed.
    """
    report_duplicates(
        rows=rows, key=lambda row: row.contract_number, column="contract_number", problems=problems
    )
    linked = [row for row in rows if row.data.renews_contract_number]
    report_duplicates(
        rows=linked,
        key=lambda row: row.renews_contract_number,
        column="renews_contract_number",
        problems=problems,
    )
    keys = _keys(rows=rows, problems=problems)
    stored = _stored(rows=rows)
    _check_links(rows=rows, keys=keys, stored=stored, problems=problems)
    plan = ContractsPlan()
    if len(problems):
        return plan
    for row in rows:
        own = stored.by_number.get(row.data.contract_number)
        plan.add(row=row.data, values=_values(row=row.data, keys=keys), stored=own)
        if row.data.renews_contract_number:
            plan.link(row=row.data, stored=stored)
    return plan
