"""Loading the demo data into the database: streamed, in chunks, idempotent.

1. `demo_prepare` builds the population (profiles, initial tiers, line budgets) and reads which
   demo partner numbers the register already holds.
2. `demo_load` makes sure the products exist, then generates the missing partners one at a time
   and collects them into chunks of about `CHUNK_LINES` order lines. Each chunk — partners,
   contacts, initial tier assignments, orders and lines — is written in one transaction, with
   COPY on PostgreSQL. Memory stays flat at any scale, and an interrupted load leaves only whole
   partners behind.
3. Partners already present are skipped whole, which makes a second `demo load` add nothing and
   lets an interrupted one carry on where it stopped.
4. Then the partners' end customers with their contracts (`customer_loader`), the same way and
   as idempotently: partners whose customers are there are skipped, the others get theirs.
5. Logins come last: vendor staff always, partner users when asked for.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from channeldesk.catalog.models import Order, OrderLine, Product
from channeldesk.commands.demo.accounts import partner_accounts_ensure, vendor_accounts_ensure
from channeldesk.commands.demo.customer_loader import (
    CustomerProgress,
    PreparedCustomers,
    customers_load,
    customers_prepare,
)
from channeldesk.commands.demo.generator import PartnerData, partners_generate
from channeldesk.commands.demo.population import (
    INITIAL_STATUS_FROM,
    DemoPlan,
    Population,
    population_build,
)
from channeldesk.commands.demo.reference import PRODUCTS
from channeldesk.commands.demo.streaming import chunked, prefetched
from channeldesk.commands.demo.writers import (
    TableWriter,
    next_id,
    sequences_reset,
    writer_for_connection,
)
from channeldesk.partners.models import Contact, Partner, PartnerStatus
from channeldesk.tiers.models import AssignmentSource, Tier, TierAssignment, TierPolicy

CHUNK_LINES = 100_000
PREVIOUS_POLICY = "previous"

PARTNER_FIELDS = (
    "id", "partner_number", "name", "street", "postal_code", "city", "country", "vat_id", "email",
    "phone", "language", "status", "partner_since", "created_at", "updated_at",
)  # fmt: skip
CONTACT_FIELDS = ("id", "partner", "name", "role", "email", "phone")
ASSIGNMENT_FIELDS = (
    "id", "partner", "policy", "tier", "valid_from", "valid_to", "source", "reasons", "created_at",
)  # fmt: skip
ORDER_FIELDS = ("id", "partner", "order_number", "order_date", "imported_at")
LINE_FIELDS = (
    "id", "order", "line_number", "partner", "order_date", "product", "quantity", "net_amount",
)  # fmt: skip
LOADED_MODELS: tuple[type[Model], ...] = (Partner, Contact, TierAssignment, Order, OrderLine)

ProgressCallback = Callable[[int, int], None]


class DemoLoadError(RuntimeError):
    """The database is not ready for the demo (e.g. not migrated)."""


@dataclass(frozen=True)
class PreparedLoad:
    plan: DemoPlan
    population: Population
    present: frozenset[str]
    partners_to_load: int
    lines_to_load: int
    customers: PreparedCustomers

    @property
    def nothing_to_load(self) -> bool:
        return not self.partners_to_load and not self.customers.customers_to_load


@dataclass(frozen=True)
class LoadResult:
    partners_added: int
    orders_added: int
    lines_added: int
    customers_added: int
    contracts_added: int
    vendor_logins_added: int
    partner_users_added: int


@dataclass(frozen=True)
class _References:
    """Ids and adapted constants every chunk needs."""

    product_ids: tuple[int, ...]
    policy_id: int
    tier_ids: dict[str, int]
    now: object


def demo_prepare(*, plan: DemoPlan) -> PreparedLoad:
    """The population of the plan and what of it, partners and customers, is still missing from
    the register."""
    population = population_build(plan=plan)
    numbers = {plan.partner_number(index) for index in range(plan.partners)}
    present = frozenset(
        number
        for number in Partner.objects.values_list("partner_number", flat=True).iterator()
        if number in numbers
    )
    missing = [index for index in range(plan.partners) if plan.partner_number(index) not in present]
    return PreparedLoad(
        plan=plan,
        population=population,
        present=present,
        partners_to_load=len(missing),
        lines_to_load=sum(population.line_budgets[index] for index in missing),
        customers=customers_prepare(population=population),
    )


def demo_load(
    *,
    prepared: PreparedLoad,
    with_users: bool,
    on_progress: ProgressCallback | None = None,
    on_customers: CustomerProgress | None = None,
) -> LoadResult:
    """Write the missing partners with their history, then the missing customers with their
    contracts, then the logins."""
    references = _references_load()
    writer = writer_for_connection()
    partners = orders = lines = 0
    stream = partners_generate(population=prepared.population, skip=prepared.present)
    for chunk in prefetched(chunks=chunked(items=stream, weight=_line_count, limit=CHUNK_LINES)):
        chunk_lines = sum(_line_count(data) for data in chunk)
        orders += _chunk_write(chunk=chunk, references=references, writer=writer)
        partners, lines = partners + len(chunk), lines + chunk_lines
        if on_progress:
            on_progress(chunk_lines, len(chunk))
    customers = customers_load(
        population=prepared.population,
        prepared=prepared.customers,
        product_ids=references.product_ids,
        now=references.now,
        writer=writer,
        on_progress=on_customers,
    )
    plan = prepared.plan
    vendor_added = vendor_accounts_ensure()
    users_added = 0
    if with_users:
        numbers = [plan.partner_number(index) for index in range(plan.partners)]
        users_added = partner_accounts_ensure(partner_numbers=numbers)
    return LoadResult(
        partners_added=partners,
        orders_added=orders,
        lines_added=lines,
        customers_added=customers.customers,
        contracts_added=customers.contracts,
        vendor_logins_added=vendor_added,
        partner_users_added=users_added,
    )


def _line_count(data: PartnerData) -> int:
    return sum(len(order.lines) for order in data.orders)


def products_ensure() -> tuple[int, ...]:
    """The catalogue's product ids, in `PRODUCTS` order; missing products are created (an
    imported product with the same SKU is used as it is)."""
    skus = [spec.sku for spec in PRODUCTS]
    present = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
    Product.objects.bulk_create(
        Product(
            sku=spec.sku,
            name_de=spec.name_de,
            name_en=spec.name_en,
            kind=spec.kind,
            list_price=spec.list_price,
            unit=spec.unit,
        )
        for spec in PRODUCTS
        if spec.sku not in present
    )
    ids = dict(Product.objects.filter(sku__in=skus).values_list("sku", "id"))
    return tuple(ids[sku] for sku in skus)


def _references_load() -> _References:
    policy = TierPolicy.objects.filter(code=PREVIOUS_POLICY).order_by("-version").first()
    tier_ids = dict(
        Tier.objects.filter(policy=policy, code__in=["gold", "silver"]).values_list("code", "id")
    )
    if policy is None or len(tier_ids) != 2:
        raise DemoLoadError(
            f"The tier policy '{PREVIOUS_POLICY}' with the tiers gold and silver is missing; "
            "it is created by `channeldesk migrate`."
        )
    return _References(
        product_ids=products_ensure(),
        policy_id=policy.pk,
        tier_ids=tier_ids,
        now=connection.ops.adapt_datetimefield_value(timezone.now()),
    )


def _chunk_write(
    *, chunk: Sequence[PartnerData], references: _References, writer: TableWriter
) -> int:
    """Write one chunk in one transaction; returns the number of orders written."""
    with transaction.atomic():
        first_partner = next_id(model=Partner)
        first_contact = next_id(model=Contact)
        first_assignment = next_id(model=TierAssignment)
        order_rows, line_rows = _order_rows(
            chunk=chunk,
            first_partner=first_partner,
            first_order=next_id(model=Order),
            first_line=next_id(model=OrderLine),
            references=references,
        )
        writer.write(
            model=Partner,
            fields=PARTNER_FIELDS,
            rows=_partner_rows(chunk=chunk, first_id=first_partner, references=references),
        )
        writer.write(
            model=Contact,
            fields=CONTACT_FIELDS,
            rows=_contact_rows(chunk=chunk, first_id=first_contact, first_partner=first_partner),
        )
        writer.write(
            model=TierAssignment,
            fields=ASSIGNMENT_FIELDS,
            rows=_assignment_rows(
                chunk=chunk,
                first_id=first_assignment,
                first_partner=first_partner,
                references=references,
            ),
        )
        writer.write(model=Order, fields=ORDER_FIELDS, rows=order_rows)
        writer.write(model=OrderLine, fields=LINE_FIELDS, rows=line_rows)
        sequences_reset(models=LOADED_MODELS)
    return len(order_rows)


def _partner_rows(
    *, chunk: Sequence[PartnerData], first_id: int, references: _References
) -> list[tuple[object, ...]]:
    adapt_date = connection.ops.adapt_datefield_value
    return [
        (
            first_id + offset,
            partner.partner_number,
            partner.name,
            partner.street,
            partner.postal_code,
            partner.city,
            "DE",
            partner.vat_id,
            partner.email,
            partner.phone,
            partner.language,
            PartnerStatus.AUTHORIZED.value,
            adapt_date(partner.partner_since),
            references.now,
            references.now,
        )
        for offset, partner in enumerate(data.partner for data in chunk)
    ]


def _contact_rows(
    *, chunk: Sequence[PartnerData], first_id: int, first_partner: int
) -> list[tuple[object, ...]]:
    return [
        (
            first_id + offset,
            first_partner + offset,
            data.partner.contact_name,
            data.partner.contact_role,
            data.partner.contact_email,
            data.partner.phone,
        )
        for offset, data in enumerate(chunk)
    ]


def _assignment_rows(
    *, chunk: Sequence[PartnerData], first_id: int, first_partner: int, references: _References
) -> list[tuple[object, ...]]:
    """The status under the previous programme, open-ended from the day it took effect."""
    valid_from = connection.ops.adapt_datefield_value(INITIAL_STATUS_FROM)
    return [
        (
            first_id + offset,
            first_partner + offset,
            references.policy_id,
            references.tier_ids[data.partner.initial_tier],
            valid_from,
            None,
            AssignmentSource.INITIAL.value,
            "[]",
            references.now,
        )
        for offset, data in enumerate(chunk)
    ]


def _order_rows(
    *,
    chunk: Sequence[PartnerData],
    first_partner: int,
    first_order: int,
    first_line: int,
    references: _References,
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Orders and their lines with ids allocated here; each line repeats its order's partner and
    date (the tier aggregates read lines only)."""
    adapt_date = connection.ops.adapt_datefield_value
    product_ids = references.product_ids
    orders: list[tuple[object, ...]] = []
    lines: list[tuple[object, ...]] = []
    order_id, line_id = first_order, first_line
    for offset, data in enumerate(chunk):
        partner_id = first_partner + offset
        for order in data.orders:
            day = adapt_date(order.order_date)
            orders.append((order_id, partner_id, order.order_number, day, references.now))
            for number, line in enumerate(order.lines, start=1):
                lines.append(
                    (
                        line_id,
                        order_id,
                        number,
                        partner_id,
                        day,
                        product_ids[line.product],
                        line.quantity,
                        _amount(line.net_cents),
                    )
                )
                line_id += 1
            order_id += 1
    return orders, lines


def _amount(cents: int) -> str:
    """Cents as an exact decimal string ('-12.05'): no float ever touches the money."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{whole}.{rest:02d}"
