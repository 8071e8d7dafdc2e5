"""Reads of the usage domain. Partner-visible reads are scoped here and only here.

A partner user sees the statements issued to its own partner; vendor staff see all; anyone else
sees none. Another partner's statement is simply not in the queryset, so a face answers 404
for it exactly as for a statement that does not exist. The portal and the API use these.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet

from channeldesk.contracts.models import Customer
from channeldesk.core.querysets import queryset_narrow
from channeldesk.partners.selectors import AnyUser, partner_scope_filter
from channeldesk.usage.models import (
    RatingResult,
    Statement,
    StatementLine,
    Subscription,
    UsagePeriod,
)


def statements_visible_to(*, user: AnyUser) -> QuerySet[Statement]:
    """The statements the user may see, newest period first, with their partner."""
    return (
        Statement.objects.filter(partner_scope_filter(user=user, lookup="partner"))
        .select_related("partner")
        .order_by("-period", "number")
    )


def statement_for(*, user: AnyUser, number: str) -> Statement:
    """One statement the user may see; raises `Statement.DoesNotExist` otherwise."""
    return statements_visible_to(user=user).get(number=number)


def statements_filter(
    *,
    statements: QuerySet[Statement],
    period: dt.date | None = None,
    partner_number: str | None = None,
) -> QuerySet[Statement]:
    return queryset_narrow(
        statements,
        period=period.replace(day=1) if period is not None else None,
        partner__partner_number=partner_number,
    )


def statement_lines(
    *, statement: Statement, customer: Customer | None = None
) -> QuerySet[StatementLine]:
    """The statement's lines in print order, optionally one customer's only, with each line's
    contract, product and customer (a page shows the product's name)."""
    lines = StatementLine.objects.filter(statement=statement).select_related(
        "contract__product", "customer"
    )
    return queryset_narrow(lines, customer=customer).order_by("position")


def statement_customers(*, statement: Statement) -> QuerySet[Customer]:
    """The customers with lines on a statement (each gets a statement to forward)."""
    return Customer.objects.filter(
        pk__in=StatementLine.objects.filter(statement=statement).values("customer_id")
    ).order_by("customer_number")


def statement_customer(*, statement: Statement, customer_number: str) -> Customer:
    """A customer of the statement; raises `Customer.DoesNotExist` for any other."""
    return statement_customers(statement=statement).get(customer_number=customer_number)


def rating_results_visible_to(*, user: AnyUser, month: dt.date) -> QuerySet[RatingResult]:
    """The latest rating of an open month (a preview), scoped like the statements."""
    return RatingResult.objects.filter(
        partner_scope_filter(user=user, lookup="partner"), month=month.replace(day=1)
    ).select_related("subscription__contract", "partner")


def subscription_by_key(*, subscription_key: str) -> Subscription:
    return Subscription.objects.select_related("contract__product").get(
        subscription_key=subscription_key
    )


def periods_closed() -> QuerySet[UsagePeriod]:
    return UsagePeriod.objects.order_by("-month")
