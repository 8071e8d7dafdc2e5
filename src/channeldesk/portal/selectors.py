"""Reads behind the portal pages, each scoped through the contracts and partners selectors.

No function here filters by partner itself: customers and contracts come from
`contracts.selectors` (`customers_visible_to`, `contracts_visible_to`, and for the big lists
`customers_visible_filter`), which go through `partners.selectors.partner_scope_filter` (the one
place, R11). A customer, contract or letter
of another partner is simply not in those querysets, so looking it up raises `Http404`-worthy
`DoesNotExist`. Every page costs a fixed number of queries whatever the partner's size.
Usage statements come from `usage.selectors` (`statements_visible_to`, `statement_for`,
`statement_lines`), scoped the same way on the partner the statement bills.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Max,
    Min,
    Q,
    QuerySet,
    TextChoices,
    Value,
    When,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy

from channeldesk.contracts.models import (
    Contract,
    ContractStatus,
    Customer,
    Reminder,
    ReminderStatus,
)
from channeldesk.contracts.selectors import (
    CustomerScope,
    contracts_ending_in,
    contracts_of_customer,
    contracts_visible_to,
    customers_search,
    customers_visible_filter,
    customers_visible_scope,
    customers_visible_to,
)
from channeldesk.core.money import CURRENCY, money_round, net_after_discount
from channeldesk.core.periods import Period
from channeldesk.licensing.models import UNDER_LICENSED_STATUSES, ComplianceRecord, ComplianceStatus
from channeldesk.licensing.selectors import compliance_latest_day
from channeldesk.partners.models import Partner
from channeldesk.partners.selectors import AnyUser
from channeldesk.pricing.selectors import PriceQuote
from channeldesk.tiers.selectors import CurrentTier, tier_current
from channeldesk.usage.models import Statement, StatementLine
from channeldesk.usage.selectors import statement_for, statement_lines, statements_visible_to

RENEWAL_WINDOW_DAYS = 90


# The sort keys a customer list accepts, each with a stable tie-breaker.
CUSTOMER_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name", "customer_number"),
    "-name": ("-name", "-customer_number"),
    "number": ("customer_number",),
    "-number": ("-customer_number",),
    "city": ("city", "name", "customer_number"),
    "-city": ("-city", "-name", "-customer_number"),
    "next_end": ("next_end", "customer_number"),
    "-next_end": ("-next_end", "-customer_number"),
    "contracts": ("contract_count", "customer_number"),
    "-contracts": ("-contract_count", "-customer_number"),
}
# Sorting by these needs every customer's contract figures; the others sort customers alone.
FIGURE_SORTS = {"next_end", "-next_end", "contracts", "-contracts"}


def portal_customers(
    *, user: AnyUser, search: str = "", sector: str = "", scope: CustomerScope | None = None
) -> QuerySet[Customer]:
    """The customers the user's partner looks after now, narrowed by a search and a sector."""
    return customers_search(
        customers=Customer.objects.filter(
            customers_visible_filter(user=user, field="pk", scope=scope)
        ),
        search=search or None,
        sector=sector or None,
    )


class CustomerLicence(TextChoices):
    """A customer's licence state in the customer list: the worst state of its enterprise
    contracts in the latest compliance scan. Customers without one there have none."""

    UNDER_LICENSED = "under_licensed", gettext_lazy("under-licensed")
    NEAR_LIMIT = "near_limit", gettext_lazy("near the limit")
    COMPLIANT = "compliant", gettext_lazy("compliant")
    NO_INSTALLATIONS = "no_installations", gettext_lazy("no installations")


# Worst first: a customer takes the highest rank of its contracts' records.
_LICENCE_RANKS = {
    CustomerLicence.UNDER_LICENSED: 3,
    CustomerLicence.NEAR_LIMIT: 2,
    CustomerLicence.COMPLIANT: 1,
    CustomerLicence.NO_INSTALLATIONS: 0,
}
_LICENCE_BY_RANK = {rank: licence for licence, rank in _LICENCE_RANKS.items()}


def customer_licences(
    *,
    user: AnyUser,
    on: dt.date,
    scope: CustomerScope | None = None,
    customer_ids: list[int] | None = None,
) -> dict[int, CustomerLicence]:
    """The licence state of each visible customer (or of `customer_ids` among them) that has an
    enterprise contract in the latest compliance scan on or before `on`.

    One grouped query over that day's records of the customers' contracts (after the lookup of
    the day): under-licensed when any contract is (heavily) under-licensed, else near the limit
    when any contract is, else compliant when any installation is active, else no
    installations. The scan writes a record for every enterprise contract in force each day,
    so the latest scan covers exactly the contracts in force.
    """
    day = compliance_latest_day(on=on)
    if day is None:
        return {}
    records = ComplianceRecord.objects.filter(day=day).filter(
        customers_visible_filter(user=user, field="contract__customer_id", scope=scope)
    )
    if customer_ids is not None:
        records = records.filter(contract__customer_id__in=customer_ids)
    rank = Max(
        Case(
            When(status__in=UNDER_LICENSED_STATUSES, then=Value(3)),
            When(status=ComplianceStatus.NEAR_LIMIT, then=Value(2)),
            When(active_installations__gt=0, then=Value(1)),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    rows = (
        records.values("contract__customer_id")
        .annotate(rank=rank)
        .order_by()
        .values_list("contract__customer_id", "rank")
    )
    return {customer_id: _LICENCE_BY_RANK[rank] for customer_id, rank in rows}


def portal_customers_page(
    *,
    user: AnyUser,
    search: str = "",
    sort: str = "name",
    sector: str = "",
    licence: str = "",
    today: dt.date | None = None,
    number: str | int | None = None,
    per_page: int = 25,
) -> tuple[Page[int], list[Customer]]:
    """One page of the customer list, sorted (unknown sort keys sort by name), narrowed to one
    licence state when `licence` names one, each customer with `contract_count`, `next_end`
    (its soonest active contract end) and `licence` (a `CustomerLicence`, or None).

    1. The ids of every matching customer are read in the order asked for (a partner has some
       thousands): sorted by a customer column in SQL; sorted by a contract figure, with the
       figures of all of them from one grouped query over their contracts, sorted here
       (customers without an active contract last, ties by customer number).
    2. Narrowed to a licence state, the states of all of them come from one grouped query
       (`customer_licences`) and the id list keeps those in that state.
    3. The paginator counts and cuts the id list; the page's customers are fetched by primary
       key and given their figures (one grouped query over the page's contracts, unless step 1
       has them) and licence states (one grouped query over the page's records, unless step 2
       has them).

    Paging in SQL instead would read the partner's customers (and, for figure sorts, their
    contracts) twice, once to count and once for the page.
    """
    scope = customers_visible_scope(user=user)
    customers = portal_customers(user=user, search=search, sector=sector, scope=scope)
    sort = sort if sort in CUSTOMER_SORTS else "name"
    figures: dict[int, dict[str, Any]] | None = None
    if sort in FIGURE_SORTS:
        numbers = dict(customers.order_by().values_list("pk", "customer_number"))
        figures = _figures_of(
            Contract.objects.filter(
                customers_visible_filter(user=user, field="customer_id", scope=scope)
            )
        )
        ids = _sorted_by_figure(numbers, figures, sort=sort)
    else:
        ids = list(customers.order_by(*CUSTOMER_SORTS[sort]).values_list("pk", flat=True))
    today = today or timezone.localdate()
    licences: dict[int, CustomerLicence] | None = None
    if licence in CustomerLicence.values:
        licences = customer_licences(user=user, on=today, scope=scope)
        ids = [pk for pk in ids if licences.get(pk) == licence]
    page = Paginator(ids, per_page).get_page(number)
    found = Customer.objects.in_bulk(list(page.object_list))
    rows = [found[pk] for pk in page.object_list if pk in found]
    if figures is None:
        figures = _figures_of(Contract.objects.filter(customer_id__in=list(found)))
    if licences is None:
        licences = customer_licences(user=user, on=today, scope=scope, customer_ids=list(found))
    for customer in rows:
        row = figures.get(customer.pk, {})
        customer.contract_count = row.get("count", 0)  # type: ignore[attr-defined]
        customer.next_end = row.get("next_end")  # type: ignore[attr-defined]
        customer.licence = licences.get(customer.pk)  # type: ignore[attr-defined]
    return page, rows


def _figures_of(contracts: QuerySet[Contract]) -> dict[int, dict[str, Any]]:
    """Per customer: how many contracts, and the soonest end of an active one (one query)."""
    rows = (
        contracts.values("customer_id")
        .annotate(
            count=Count("pk"), next_end=Min("end_date", filter=Q(status=ContractStatus.ACTIVE))
        )
        .order_by()
    )
    return {row["customer_id"]: dict(row) for row in rows}


def _sorted_by_figure(
    numbers: dict[int, str], figures: dict[int, dict[str, Any]], *, sort: str
) -> list[int]:
    descending = sort.startswith("-")
    if sort.lstrip("-") == "contracts":
        counted = sorted(numbers, key=lambda pk: numbers[pk])
        counted.sort(key=lambda pk: figures.get(pk, {}).get("count", 0), reverse=descending)
        return counted
    with_end = [pk for pk in numbers if figures.get(pk, {}).get("next_end")]
    ending = set(with_end)
    without = sorted((pk for pk in numbers if pk not in ending), key=numbers.__getitem__)
    with_end.sort(key=lambda pk: numbers[pk])
    with_end.sort(key=lambda pk: figures[pk]["next_end"], reverse=descending)
    return with_end + without


def portal_customer(*, user: AnyUser, customer_number: str) -> Customer:
    """One visible customer; raises `Customer.DoesNotExist` for anyone else's."""
    return customers_visible_to(user=user).get(customer_number=customer_number)


def portal_customer_contracts(*, user: AnyUser, customer: Customer) -> list[Contract]:
    contracts = contracts_of_customer(contracts=contracts_visible_to(user=user), customer=customer)
    return list(contracts.select_related("product", "partner", "renews"))


def portal_reminders(*, contracts: list[Contract]) -> list[Reminder]:
    """The reminders about these contracts, planned and done, soonest due first (one query)."""
    return list(
        Reminder.objects.filter(contract_id__in=[contract.pk for contract in contracts])
        .exclude(status=ReminderStatus.CANCELLED)
        .select_related("rule", "document", "contract")
        .order_by("due_on", "id")
    )


def portal_letter(*, user: AnyUser, reminder_id: int) -> Reminder:
    """A reminder with its archived letter, if the user may see its contract.

    Raises `Reminder.DoesNotExist` for another partner's reminder and for one without letter.
    """
    visible = contracts_visible_to(user=user).values("pk")
    return Reminder.objects.select_related("document", "contract").get(
        pk=reminder_id, contract_id__in=visible, document__isnull=False
    )


# --- Renewals ------------------------------------------------------------------------------


def renewal_period(*, today: dt.date, days: int = RENEWAL_WINDOW_DAYS) -> Period:
    """Today and the following days: contracts ending in it are up for renewal."""
    return Period(start=today, end=today + dt.timedelta(days=days))


def portal_renewals(*, user: AnyUser, today: dt.date) -> QuerySet[Contract]:
    """Active contracts of the partner's customers ending in the next 90 days, soonest first."""
    contracts = contracts_ending_in(
        contracts=Contract.objects.filter(customers_visible_filter(user=user, field="customer_id")),
        period=renewal_period(today=today),
    )
    return (
        contracts.filter(status=ContractStatus.ACTIVE)
        .select_related("customer", "product")
        .order_by("end_date", "contract_number", "id")
    )


def portal_renewals_page(
    *, user: AnyUser, today: dt.date, number: str | int | None, per_page: int
) -> tuple[Page[int], list[Contract]]:
    """One page of `portal_renewals` with its contracts.

    The ids of all the window's renewals are read once (a partner has some hundreds to a few
    thousand): the paginator counts them in Python, and the page's contracts are then fetched by
    primary key. Counting and paging in SQL would read the partner's contracts twice.
    """
    ids = list(portal_renewals(user=user, today=today).values_list("pk", flat=True))
    page = Paginator(ids, per_page).get_page(number)
    contracts = {
        contract.pk: contract
        for contract in Contract.objects.filter(pk__in=list(page.object_list)).select_related(
            "customer", "product"
        )
    }
    return page, [contracts[pk] for pk in page.object_list if pk in contracts]


@dataclass(frozen=True)
class RenewalLine:
    contract: Contract
    quote: PriceQuote | None


def renewal_lines(
    *, partner: Partner, contracts: list[Contract], today: dt.date
) -> list[RenewalLine]:
    """Each contract with what renewing it costs the partner today.

    The same rule as `pricing.selectors.price_quote` (seats at today's list price, the tier
    discount in force, rounded per line, half up, to the cent), with the partner's tier looked
    up once for the whole page instead of once per contract. Every contract here belongs to a
    customer the partner looks after now, so the partner is the one who sells the renewal.
    `tests/portal/test_renewals.py` checks each line against `price_quote`.
    """
    current = tier_current(partner=partner, on=today)
    return [
        RenewalLine(contract=contract, quote=_quote(partner, contract, current, today))
        for contract in contracts
    ]


def _quote(
    partner: Partner, contract: Contract, current: CurrentTier | None, today: dt.date
) -> PriceQuote | None:
    if current is None:
        return None
    quantity = Decimal(contract.seats)
    list_amount = money_round(contract.product.list_price * quantity)
    return PriceQuote(
        partner_number=partner.partner_number,
        sku=contract.product.sku,
        on=today,
        quantity=quantity,
        unit=contract.product.unit,
        list_unit_price=contract.product.list_price,
        list_amount=list_amount,
        tier=current.tier_code,
        policy=current.policy_reference,
        discount_percent=current.discount_percent,
        net_amount=net_after_discount(list_amount, current.discount_percent),
        currency=CURRENCY,
    )


def portal_home_counts(*, user: AnyUser, today: dt.date) -> dict[str, int]:
    """Customers, active contracts and renewals due in 90 days (three queries at most)."""
    contracts = Contract.objects.filter(customers_visible_filter(user=user, field="customer_id"))
    period = renewal_period(today=today)
    counts = contracts.aggregate(
        active=Count("pk", filter=Q(status=ContractStatus.ACTIVE)),
        renewals=Count(
            "pk",
            filter=Q(
                status=ContractStatus.ACTIVE,
                end_date__gte=period.start,
                end_date__lt=period.end,
            ),
        ),
    )
    return {
        "customers": customers_visible_to(user=user).count(),
        "active_contracts": counts["active"],
        "renewals": counts["renewals"],
    }


# --- Usage statements ----------------------------------------------------------------------


def portal_statements_page(
    *, user: AnyUser, number: str | int | None, per_page: int
) -> Page[Statement]:
    """One page of the statements the user may see, newest period first.

    A partner gets one statement a month, so the list stays short: the paginator counts in SQL
    and reads the page's statements with their partner (two queries).
    """
    return Paginator(statements_visible_to(user=user), per_page).get_page(number)


@dataclass(frozen=True)
class StatementCustomer:
    """One customer's lines on a statement and their sums: what the statement the partner may
    forward to that customer bills (at list prices there)."""

    customer: Customer
    lines: list[StatementLine]
    list_total: Decimal
    net_total: Decimal


@dataclass(frozen=True)
class StatementPage:
    statement: Statement
    customers: list[StatementCustomer]

    @property
    def discount_amount(self) -> Decimal:
        """The partner's discount as an amount: net less list total (negative, unless credits
        outweigh the charges), so that list total + discount = net total."""
        return self.statement.net_total - self.statement.list_total


def portal_statement(*, user: AnyUser, number: str) -> StatementPage:
    """A statement the user may see, with its lines grouped by customer in print order.

    Raises `Statement.DoesNotExist` for another partner's statement as for an unknown number.
    Two queries, however long the statement: the statement with its partner, and its lines
    with their contract, product and customer. The lines are sorted by customer already.
    """
    statement = statement_for(user=user, number=number)
    by_customer: dict[int, list[StatementLine]] = {}
    for line in statement_lines(statement=statement):
        by_customer.setdefault(line.customer_id, []).append(line)
    return StatementPage(
        statement=statement,
        customers=[_statement_customer(lines) for lines in by_customer.values()],
    )


def _statement_customer(lines: list[StatementLine]) -> StatementCustomer:
    return StatementCustomer(
        customer=lines[0].customer,
        lines=lines,
        list_total=money_round(sum((line.list_amount for line in lines), Decimal(0))),
        net_total=money_round(sum((line.net_amount for line in lines), Decimal(0))),
    )
