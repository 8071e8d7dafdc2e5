"""Reads behind the back-office pages. Staff see every partner (`partners.selectors`); each
page costs a fixed number of queries, whatever the partner's or the programme's size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from channeldesk.catalog.models import Order
from channeldesk.contracts.models import (
    Contract,
    ContractStatus,
    Customer,
    Reminder,
    ReminderStatus,
)
from channeldesk.contracts.selectors import contracts_visible_to, customers_visible_to
from channeldesk.core.money import money_round
from channeldesk.core.periods import Period, add_months
from channeldesk.partners.models import Partner
from channeldesk.partners.selectors import AnyUser, partners_search, partners_visible_to
from channeldesk.tiers.hotlines import CallerNumberInvalid, caller_e164
from channeldesk.tiers.models import CallerNumber

# A search with this many digits may be a telephone number (shorter ones are partner numbers).
MIN_PHONE_DIGITS = 6

LIST_LIMIT = 20
PIPELINE_MONTHS = 12


def backoffice_partners(*, user: AnyUser, search: str = "", status: str = "") -> QuerySet[Partner]:
    """Partners by a fragment of number or name, or by a phone number of the partner or one of
    its contacts (the support desk types what the caller's display shows, R8)."""
    visible = partners_visible_to(user=user)
    found = partners_search(partners=visible, search=search or None, status=status or None)
    callers = _partners_calling_from(search)
    if callers is not None:
        by_phone = partners_search(partners=visible, status=status or None).filter(pk__in=callers)
        found = found | by_phone
    return found.order_by("partner_number")


def _partners_calling_from(search: str) -> QuerySet[CallerNumber, int] | None:
    """The partners that have this telephone number, when the search reads as one."""
    if sum(char.isdigit() for char in search) < MIN_PHONE_DIGITS:
        return None
    try:
        number = caller_e164(search)
    except CallerNumberInvalid:
        return None
    return CallerNumber.objects.filter(number=number).values_list("partner_id", flat=True)


def backoffice_partner(*, user: AnyUser, partner_number: str) -> Partner:
    """Raises `Partner.DoesNotExist` for an unknown number."""
    return (
        partners_visible_to(user=user)
        .select_related("account_manager")
        .get(partner_number=partner_number)
    )


def partner_orders(*, partner: Partner, limit: int = LIST_LIMIT) -> list[Order]:
    """The partner's latest orders with their totals (one query)."""
    return list(
        Order.objects.filter(partner=partner)
        .annotate(total=Sum("lines__net_amount"), line_count=Count("lines"))
        .order_by("-order_date", "-id")[:limit]
    )


def partner_customers(*, user: AnyUser, partner: Partner) -> QuerySet[Customer]:
    """The customers the partner looks after now (through the open assignment)."""
    return customers_visible_to(user=user).filter(Q(care__partner=partner)).order_by("name", "pk")


def partner_contracts(*, user: AnyUser, partner: Partner) -> QuerySet[Contract]:
    """Contracts of the customers the partner looks after now, soonest end first."""
    return (
        contracts_visible_to(user=user)
        .filter(Q(care__partner=partner))
        .select_related("customer", "product")
        .order_by("end_date", "contract_number")
    )


def partner_messages(*, partner: Partner, limit: int = LIST_LIMIT) -> list[Reminder]:
    """The e-mails sent to the partner about its customers' contracts, newest first, with the
    outbox message each became."""
    return list(
        Reminder.objects.filter(partner=partner, message__isnull=False)
        .select_related("message", "contract", "rule")
        .order_by("-sent_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class PipelineMonth:
    month: dt.date
    contracts: int
    seats: int
    list_value: Decimal


def _list_value() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("seats") * F("product__list_price"),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )


def renewals_by_month(
    *, user: AnyUser, today: dt.date, months: int = PIPELINE_MONTHS
) -> list[PipelineMonth]:
    """Active contracts ending in each of the coming months (this one first): how many, their
    seats and their value at today's list price (one grouped query)."""
    start = today.replace(day=1)
    period = Period(start=start, end=add_months(start, months))
    rows = (
        contracts_visible_to(user=user)
        .filter(
            status=ContractStatus.ACTIVE,
            end_date__gte=period.start,
            end_date__lt=period.end,
        )
        .annotate(month=TruncMonth("end_date"))
        .values("month")
        .annotate(
            contract_total=Count("pk"), seat_total=Sum("seats"), value_total=Sum(_list_value())
        )
        .order_by("month")
    )
    found = {_as_date(row["month"]): row for row in rows}
    result = []
    for index in range(months):
        month = add_months(start, index)
        row: dict[str, Any] = dict(found.get(month) or {})
        result.append(
            PipelineMonth(
                month=month,
                contracts=row.get("contract_total", 0),
                seats=row.get("seat_total") or 0,
                list_value=money_round(Decimal(str(row.get("value_total") or 0))),
            )
        )
    return result


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class PipelinePartner:
    partner_number: str
    name: str
    contracts: int
    seats: int
    list_value: Decimal


def renewals_by_partner(
    *, user: AnyUser, period: Period, limit: int = LIST_LIMIT
) -> list[PipelinePartner]:
    """The partners with the most contracts up for renewal in the period (one query)."""
    rows = (
        contracts_visible_to(user=user)
        .filter(status=ContractStatus.ACTIVE, end_date__gte=period.start, end_date__lt=period.end)
        .values(
            partner_number=F("care__partner__partner_number"), partner_name=F("care__partner__name")
        )
        .annotate(
            contract_total=Count("pk"), seat_total=Sum("seats"), value_total=Sum(_list_value())
        )
        .order_by("-contract_total", "partner_number")[:limit]
    )
    return [
        PipelinePartner(
            partner_number=row["partner_number"] or "",
            name=row["partner_name"] or "",
            contracts=row["contract_total"],
            seats=row["seat_total"] or 0,
            list_value=money_round(Decimal(str(row["value_total"] or 0))),
        )
        for row in rows
    ]


def reminders_by_status(
    *, statuses: Sequence[str], limit: int = 100, newest_first: bool = False
) -> list[Reminder]:
    """Reminders in the given statuses, soonest due first (or latest first), with contract,
    customer, rule, partner and letter in the same query."""
    order = ("-due_on", "-id") if newest_first else ("due_on", "id")
    return list(
        Reminder.objects.filter(status__in=statuses)
        .select_related("contract", "contract__customer", "rule", "partner", "document")
        .order_by(*order)[:limit]
    )


REMINDER_TABS = {
    "planned": (ReminderStatus.PLANNED,),
    "sent": (ReminderStatus.SENT,),
    "failed": (ReminderStatus.FAILED, ReminderStatus.MISSED),
    "review": (ReminderStatus.REVIEW,),
}
