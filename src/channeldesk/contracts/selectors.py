"""Reads of customers and contracts, scoped to what a user may see.

What a partner user sees follows the customer, not the sale: a partner sees the customers it
looks after now (the open `CustomerAssignment`) and every contract of those customers, including
contracts another partner sold. When a customer moves to another partner, the new partner sees
the customer and all its contracts at once, and the old partner no longer sees either, not even
the contracts it sold itself. Vendor staff see everything.

The scoping itself is `partners.selectors.partner_scope_filter`, applied to the customer's open
assignment: a `FilteredRelation` joins that one span, so a partner user's query is one equality on
the partner id, and vendor staff's query joins nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.db.models import F, FilteredRelation, Lookup, Prefetch, Q, QuerySet
from django.utils import timezone

from channeldesk.contracts.models import Contract, ContractStatus, Customer, CustomerAssignment
from channeldesk.core.errors import Conflict
from channeldesk.core.periods import Period
from channeldesk.core.querysets import queryset_narrow
from channeldesk.partners.models import Partner
from channeldesk.partners.selectors import AnyUser, partner_scope_filter
from channeldesk.pricing.selectors import PriceQuote, price_quote


class NoPartnerAssigned(Conflict):
    """Nobody looked after the customer on that date, so nobody can be quoted or told."""

    code = "no_quote"


# --- Who looks after a customer ----------------------------------------------------------------


def customer_partner_on(*, customer: Customer, on: dt.date) -> Partner | None:
    """The partner who looked after (or looks after) the customer on a date, or None."""
    assignment = (
        CustomerAssignment.objects.filter(customer=customer, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .select_related("partner")
        .first()
    )
    return assignment.partner if assignment is not None else None


def customer_partner_current(*, customer: Customer) -> Partner | None:
    """The partner who looks after the customer now: the one reminders go to.

    A customer read through `customers_with_partner` has its open assignment prefetched, so a
    list of customers asks no further query here.
    """
    prefetched = getattr(customer, "open_assignments", None)
    if prefetched is not None:
        return prefetched[0].partner if prefetched else None
    return customer_partner_on(customer=customer, on=timezone.localdate())


def customer_partner_history(*, customer: Customer) -> list[CustomerAssignment]:
    """Every span of care the customer has had, newest first."""
    return list(
        CustomerAssignment.objects.filter(customer=customer)
        .select_related("partner")
        .order_by("-valid_from")
    )


# --- Customers ---------------------------------------------------------------------------------


def _open_assignment(path: str) -> FilteredRelation:
    """The customer's open assignment, reached from a model through `path` (ending in
    `assignments`); the partial unique constraint makes it at most one row."""
    return FilteredRelation(path, condition=Q(**{f"{path}__valid_to__isnull": True}))


def customers_visible_to(*, user: AnyUser) -> QuerySet[Customer]:
    """All customers for vendor staff; for a partner user, those it looks after now."""
    scope = partner_scope_filter(user=user, lookup="care__partner")
    return Customer.objects.annotate(care=_open_assignment("assignments")).filter(scope)


def customers_search(
    *, customers: QuerySet[Customer], search: str | None = None, sector: str | None = None
) -> QuerySet[Customer]:
    """Customers narrowed by sector and by a fragment of their number or name."""
    if sector:
        customers = customers.filter(sector=sector)
    if search:
        customers = customers.filter(
            Q(customer_number__icontains=search) | Q(name__icontains=search)
        )
    return customers


def customers_with_partner(*, customers: QuerySet[Customer]) -> QuerySet[Customer]:
    """Customers with their open assignment and its partner: one extra query per page."""
    open_assignments = CustomerAssignment.objects.filter(valid_to__isnull=True).select_related(
        "partner"
    )
    return customers.prefetch_related(
        Prefetch("assignments", queryset=open_assignments, to_attr="open_assignments")
    ).order_by("customer_number")


type CustomerScope = QuerySet[Customer, Any] | list[int]


def customers_visible_scope(*, user: AnyUser) -> CustomerScope:
    """The ids of the customers the user may see: a list on PostgreSQL, else a subquery.

    The rule is `customers_visible_to`'s (the customer's open assignment, scoped by
    `partner_scope_filter`); on PostgreSQL it is read from the assignments' partial index alone
    (`customer_assignment_open_idx`).
    """
    if connection.vendor != "postgresql":
        return customers_visible_to(user=user).values("pk")
    open_assignments = CustomerAssignment.objects.filter(valid_to__isnull=True).filter(
        partner_scope_filter(user=user, lookup="partner")
    )
    return list(open_assignments.order_by().values_list("customer_id", flat=True))


def customers_visible_filter(*, user: AnyUser, field: str, scope: CustomerScope | None = None) -> Q:
    """A filter keeping the rows whose customer (reached through `field`: `pk` on customers,
    `customer_id` on contracts) the user may see; `scope` reuses the `customers_visible_scope`
    of the same request.

    On PostgreSQL the customers' ids are fetched first (an index scan of the partner's open
    assignments) and passed as one array, `field = ANY(%s)`: the planner then reaches a
    partner's customers and contracts through their primary-key and customer indexes. Given the
    join to the open assignment instead, it cannot tell how few rows one partner has among a
    million, and scans every customer, or every contract ending in a window, checking each
    one's partner: several times slower for a partner with 2 % of the contracts. Elsewhere
    (SQLite, with its limit on query parameters) the scope stays a subquery.
    """
    scope = customers_visible_scope(user=user) if scope is None else scope
    if isinstance(scope, QuerySet):
        return Q(**{f"{field}__in": scope})
    return Q(EqualsAny(F(field), scope))


class EqualsAny(Lookup):  # type: ignore[type-arg]
    """`column = ANY(%s)` with the values as one array parameter (PostgreSQL): any number of
    ids in one parameter, and an index scan with them."""

    lookup_name = "equals_any"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*lhs_params, list(self.rhs))


# --- Contracts ---------------------------------------------------------------------------------


def contracts_visible_to(*, user: AnyUser) -> QuerySet[Contract]:
    """All contracts for vendor staff; for a partner user, the contracts of the customers it
    looks after now, whoever sold them (see the module docstring)."""
    scope = partner_scope_filter(user=user, lookup="care__partner")
    return Contract.objects.annotate(care=_open_assignment("customer__assignments")).filter(scope)


def contracts_ending_in(*, contracts: QuerySet[Contract], period: Period) -> QuerySet[Contract]:
    """The contracts whose end date lies in the period (half-open: start <= end date < end)."""
    return contracts.filter(end_date__gte=period.start, end_date__lt=period.end)


def contracts_of_customer(
    *, contracts: QuerySet[Contract], customer: Customer
) -> QuerySet[Contract]:
    """A customer's contracts, newest end date first (the one to renew comes first)."""
    return contracts.filter(customer=customer).order_by("-end_date", "contract_number")


def contracts_filter(
    *,
    contracts: QuerySet[Contract],
    status: str | None = None,
    customer_number: str | None = None,
    partner_number: str | None = None,
    ending_from: dt.date | None = None,
    ending_to: dt.date | None = None,
) -> QuerySet[Contract]:
    """Contracts narrowed by status, customer, selling partner and end date (both inclusive)."""
    return queryset_narrow(
        contracts,
        status=status,
        customer__customer_number=customer_number,
        partner__partner_number=partner_number,
        end_date__gte=ending_from,
        end_date__lte=ending_to,
    )


def contracts_with_relations(*, contracts: QuerySet[Contract]) -> QuerySet[Contract]:
    """Contracts with customer, selling partner, product and renewal links in the same query,
    soonest end first, so a page of any size costs a fixed number of queries."""
    return contracts.select_related("customer", "partner", "product", "renews").order_by(
        "end_date", "contract_number", "id"
    )


def contracts_active_past_end(*, today: dt.date) -> QuerySet[Contract]:
    """Active contracts whose end date has passed: what the expiry sweep marks expired."""
    return Contract.objects.filter(status=ContractStatus.ACTIVE, end_date__lt=today)


# --- Renewal quote -----------------------------------------------------------------------------


def contract_renewal_quote(*, contract: Contract, on: dt.date | None = None) -> PriceQuote:
    """What renewing the contract costs: its seats at today's list price, less the tier discount
    of the partner who looks after the customer now (that partner sells the renewal).

    Raises `NoPartnerAssigned` when nobody looks after the customer on that date, and
    `pricing.selectors.NoTierInForce` when that partner has no tier.
    """
    on = on or timezone.localdate()
    partner = customer_partner_on(customer=contract.customer, on=on)
    if partner is None:
        raise NoPartnerAssigned(f"Nobody looks after customer {contract.customer} on {on}.")
    return price_quote(partner=partner, product=contract.product, quantity=contract.seats, on=on)
