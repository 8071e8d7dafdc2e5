"""Loading the demo customers and contracts: after the partners, streamed, idempotent.

1. `customers_prepare` decides every partner's customers (`customers.customer_plan_build`) and
   reads whose customers the register holds already: a partner's customers are there when some
   customer's first span of care is with that partner, because each partner's customers, spans
   and contracts are written in the same transaction.
2. `customers_load` runs once every demo partner is in the register (the customers that moved
   are looked after by another demo partner). It generates the missing partners' customers one
   partner at a time, groups whole partners into chunks of about `CHUNK_CONTRACTS` contracts
   and writes each chunk in one transaction, with COPY on PostgreSQL. Rows carry ids allocated
   here, so a follow-up contract names the contract it renews without a round trip.
3. Customer numbers are handed out in order, as an ERP does, after the highest demo number in
   the register (`K1000001`, `K1000002`, …); a customer's contracts are numbered after it in
   order of their start (`V-1000001-01`, …). So a fresh load always gives the same numbers,
   and a top-up can never collide with numbers already taken.
4. A database loaded with partners only (an older demo, or a load interrupted after the
   partners) gets its customers and contracts the next time `demo load` runs; a complete one
   gets nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Exists, Max, Model, OuterRef
from django.utils import timezone

from channeldesk.commands.demo.customers import (
    ContractRecord,
    CustomerPlan,
    PartnerCustomers,
    customer_plan_build,
    customers_generate,
)
from channeldesk.commands.demo.population import Population
from channeldesk.commands.demo.streaming import chunked, prefetched
from channeldesk.commands.demo.writers import TableWriter, next_id, sequences_reset
from channeldesk.contracts.models import (
    CONTRACT_TERMS,
    CUSTOMER_MASTER_DATA,
    Contract,
    Customer,
    CustomerAssignment,
)
from channeldesk.partners.models import Partner

CHUNK_CONTRACTS = 50_000
FIRST_CUSTOMER_NUMBER = 1_000_001
DEMO_CUSTOMER_NUMBER = r"^K[0-9]{7}$"
# Cancellations are recorded in the morning of the day they came in.
CANCELLED_AT = dt.time(10, 0)

CUSTOMER_FIELDS = ("id", *CUSTOMER_MASTER_DATA, "created_at", "updated_at")
CUSTOMER_ASSIGNMENT_FIELDS = ("id", "customer", "partner", "valid_from", "valid_to", "created_at")
CONTRACT_FIELDS = (
    "id",
    *CONTRACT_TERMS,
    "renews",
    "cancelled_at",
    "cancellation_reason",
    "created_at",
    "updated_at",
)
CUSTOMER_MODELS: tuple[type[Model], ...] = (Customer, CustomerAssignment, Contract)

CustomerProgress = Callable[[int, int], None]  # customers and contracts just written


@dataclass(frozen=True)
class PreparedCustomers:
    customer_plan: CustomerPlan
    present: frozenset[int]  # indexes of the partners whose customers are loaded
    customers_to_load: int


@dataclass(frozen=True)
class CustomersLoaded:
    customers: int
    contracts: int


@dataclass(frozen=True)
class _Ids:
    """Everything a chunk's rows refer to, as database ids or adapted values."""

    partners: Sequence[int]  # by partner index
    products: Sequence[int]  # by index into `reference.PRODUCTS`
    now: object


def customers_prepare(*, population: Population) -> PreparedCustomers:
    """The customer plan and which partners' customers are already in the register."""
    customer_plan = customer_plan_build(population=population)
    present = _partners_with_customers(population=population)
    return PreparedCustomers(
        customer_plan=customer_plan,
        present=present,
        customers_to_load=sum(
            count for index, count in enumerate(customer_plan.counts) if index not in present
        ),
    )


def _partners_with_customers(*, population: Population) -> frozenset[int]:
    """The partners (indexes) that are the first partner of some customer: those whose own
    customers are loaded. A customer that moved later still counts for the partner it came
    from, and not for the one it moved to."""
    plan = population.plan
    wanted = {plan.partner_number(index): index for index in range(plan.partners)}
    earlier = CustomerAssignment.objects.filter(
        customer=OuterRef("customer"), valid_from__lt=OuterRef("valid_from")
    )
    first_partners = CustomerAssignment.objects.filter(~Exists(earlier)).values("partner_id")
    numbers = Partner.objects.filter(id__in=first_partners).values_list("partner_number", flat=True)
    return frozenset(wanted[number] for number in numbers.iterator() if number in wanted)


def customers_load(
    *,
    population: Population,
    prepared: PreparedCustomers,
    product_ids: Sequence[int],
    now: object,
    writer: TableWriter,
    on_progress: CustomerProgress | None = None,
) -> CustomersLoaded:
    """Write the missing partners' customers with their spans of care and contracts."""
    if not prepared.customers_to_load:
        return CustomersLoaded(customers=0, contracts=0)
    ids = _Ids(partners=_partner_ids(population=population), products=product_ids, now=now)
    stream = customers_generate(
        population=population, customer_plan=prepared.customer_plan, skip=prepared.present
    )
    customers = contracts = 0
    for chunk in prefetched(
        chunks=chunked(items=stream, weight=_contract_count, limit=CHUNK_CONTRACTS)
    ):
        chunk_customers, chunk_contracts = _chunk_write(chunk=chunk, ids=ids, writer=writer)
        customers, contracts = customers + chunk_customers, contracts + chunk_contracts
        if on_progress:
            on_progress(chunk_customers, chunk_contracts)
    return CustomersLoaded(customers=customers, contracts=contracts)


def _contract_count(data: PartnerCustomers) -> int:
    return sum(len(customer.contracts) for customer in data.customers)


def _partner_ids(*, population: Population) -> list[int]:
    """The id of every partner of the plan, by index: the customers' partners and the partners
    customers moved to. They were all loaded before the customers."""
    plan = population.plan
    wanted = {plan.partner_number(index): index for index in range(plan.partners)}
    ids = [0] * plan.partners
    for number, partner_id in Partner.objects.values_list("partner_number", "id").iterator():
        index = wanted.get(number)
        if index is not None:
            ids[index] = partner_id
    return ids


def _chunk_write(
    *, chunk: Sequence[PartnerCustomers], ids: _Ids, writer: TableWriter
) -> tuple[int, int]:
    """Write one chunk in one transaction; returns the customers and contracts written."""
    with transaction.atomic():
        rows = _ChunkRows(
            ids=ids,
            first_number=_next_customer_number(),
            first_customer=next_id(model=Customer),
            first_assignment=next_id(model=CustomerAssignment),
            first_contract=next_id(model=Contract),
        )
        for data in chunk:
            rows.add(data=data)
        writer.write(model=Customer, fields=CUSTOMER_FIELDS, rows=rows.customers)
        writer.write(
            model=CustomerAssignment, fields=CUSTOMER_ASSIGNMENT_FIELDS, rows=rows.assignments
        )
        writer.write(model=Contract, fields=CONTRACT_FIELDS, rows=rows.contracts)
        sequences_reset(models=CUSTOMER_MODELS)
    return len(rows.customers), len(rows.contracts)


def _next_customer_number() -> int:
    top = Customer.objects.filter(customer_number__regex=DEMO_CUSTOMER_NUMBER).aggregate(
        top=Max("customer_number")
    )["top"]
    return int(top[1:]) + 1 if top else FIRST_CUSTOMER_NUMBER


class _ChunkRows:
    """The rows of one chunk, with ids and customer numbers counted on from the first free ones;
    a contract's `renews` becomes the id of the contract it renews (written before it, in the
    same chunk)."""

    def __init__(
        self,
        *,
        ids: _Ids,
        first_number: int,
        first_customer: int,
        first_assignment: int,
        first_contract: int,
    ) -> None:
        self.ids = ids
        self.next_number = first_number
        self.next_customer, self.next_assignment = first_customer, first_assignment
        self.next_contract = first_contract
        self.customers: list[tuple[object, ...]] = []
        self.assignments: list[tuple[object, ...]] = []
        self.contracts: list[tuple[object, ...]] = []

    def add(self, *, data: PartnerCustomers) -> None:
        adapt_date = connection.ops.adapt_datefield_value
        ids = self.ids
        for customer in data.customers:
            customer_id, number = self.next_customer, self.next_number
            self.next_customer, self.next_number = customer_id + 1, number + 1
            self.customers.append(
                (
                    customer_id,
                    f"K{number}",
                    customer.name,
                    customer.street,
                    customer.postal_code,
                    customer.city,
                    "DE",
                    customer.language,
                    customer.sector.value,
                    customer.contact_name,
                    customer.contact_email,
                    ids.now,
                    ids.now,
                )
            )
            for span in customer.assignments:
                self.assignments.append(
                    (
                        self.next_assignment,
                        customer_id,
                        ids.partners[span.partner],
                        adapt_date(span.valid_from),
                        adapt_date(span.valid_to),
                        ids.now,
                    )
                )
                self.next_assignment += 1
            self._contracts_add(
                customer_id=customer_id, number=number, contracts=customer.contracts
            )

    def _contracts_add(
        self, *, customer_id: int, number: int, contracts: Sequence[ContractRecord]
    ) -> None:
        adapt_date = connection.ops.adapt_datefield_value
        ids, first = self.ids, self.next_contract
        for position, record in enumerate(contracts):
            self.contracts.append(
                (
                    first + position,
                    f"V-{number}-{position + 1:02d}",
                    customer_id,
                    ids.partners[record.partner],
                    ids.products[record.product],
                    record.seats,
                    adapt_date(record.start_date),
                    adapt_date(record.end_date),
                    record.status.value,
                    None if record.renews is None else first + record.renews,
                    _cancelled_at(day=record.cancelled_on),
                    record.cancellation_reason,
                    ids.now,
                    ids.now,
                )
            )
        self.next_contract += len(contracts)


def _cancelled_at(*, day: dt.date | None) -> object:
    """The cancellation instant: the morning of the day, business time, as the database takes
    it."""
    if day is None:
        return None
    instant = timezone.make_aware(dt.datetime.combine(day, CANCELLED_AT))
    return connection.ops.adapt_datetimefield_value(instant)
