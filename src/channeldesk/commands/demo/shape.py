"""What the loaded demo data looks like, measured the way the tier criteria measure it.

`demo load` prints this after loading so that the seed's figures can be checked at a glance (R1:
about half near non-buyers; R2: 80 Gold and 860 Silver before the change; R5: retail-only
buyers), and so that one can see there is room to calibrate the default policy: far more partners
meet the order criteria of Gold and Silver than the targets 60-75 and 200-250.

`customers_shape` does the same for the end customers and contracts: the sector mix (public
authorities well represented, for the licensing issue), contracts by status, and that contracts
end on every day of the year before and the year after the anchor (the reminder flow's work).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q

from channeldesk.catalog.models import OrderLine, ProductKind
from channeldesk.commands.demo.subscriptions import WINDOW_DAYS
from channeldesk.contracts.models import Contract, Customer, CustomerAssignment
from channeldesk.core.periods import Period, last_complete_period
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import AssignmentSource, TierAssignment

GOLD_MINIMUM_ORDERS = 4
SILVER_MINIMUM_ORDERS = 2
HISTOGRAM_TOP = 8


@dataclass(frozen=True)
class DemoShape:
    """Counts of authorised partners by what they did in the evaluation half-year."""

    period: Period
    partners: int
    orders_histogram: dict[
        int, int
    ]  # orders in the half-year -> partners; the last bin is "or more"
    near_non_buyers: int  # at most one order
    retail_only: int  # ordered, but only retail products
    gold_candidates: int  # >= 4 orders and some non-retail line
    silver_candidates: int  # >= 2 orders and some non-retail line
    initial_tiers: dict[str, int]


def demo_shape(*, as_of: dt.date) -> DemoShape:
    """Measure the register in one aggregate query over the half-year's positive order lines
    (credit notes are not orders), counting orders as the tier criteria do."""
    period = last_complete_period(as_of)
    partners = Partner.objects.authorized().count()
    rows = list(
        OrderLine.objects.filter(
            order_date__gte=period.start,
            order_date__lt=period.end,
            quantity__gt=0,
            partner__status="authorized",
        )
        .values("partner_id")
        .annotate(
            orders=Count("order_id", distinct=True),
            non_retail=Count("id", filter=~Q(product__kind=ProductKind.RETAIL)),
        )
        .order_by()
        .values_list("orders", "non_retail")
    )
    histogram = Counter(min(orders, HISTOGRAM_TOP) for orders, _ in rows)
    histogram[0] += partners - len(rows)
    initial = (
        TierAssignment.objects.filter(source=AssignmentSource.INITIAL, valid_to__isnull=True)
        .values("tier__code")
        .annotate(partners=Count("id"))
        .order_by("tier__code")
        .values_list("tier__code", "partners")
    )
    return DemoShape(
        period=period,
        partners=partners,
        orders_histogram={orders: histogram[orders] for orders in range(HISTOGRAM_TOP + 1)},
        near_non_buyers=histogram[0] + histogram[1],
        retail_only=sum(1 for orders, non_retail in rows if orders and not non_retail),
        gold_candidates=sum(
            1 for orders, non_retail in rows if orders >= GOLD_MINIMUM_ORDERS and non_retail
        ),
        silver_candidates=sum(
            1 for orders, non_retail in rows if orders >= SILVER_MINIMUM_ORDERS and non_retail
        ),
        initial_tiers=dict(initial),
    )


@dataclass(frozen=True)
class CustomerShape:
    """The end customers and their contracts, measured as the reminder flow and the compliance
    report will see them."""

    customers: int
    by_sector: dict[str, int]  # largest first
    moved: int  # customers with more than one span of care
    contracts_by_status: dict[str, int]
    ending_before: int  # contracts ending in the 365 days before the anchor
    ending_after: int  # contracts ending on the anchor or in the 364 days after it
    fewest_on_a_day: int  # the fewest contracts ending on one day of those two years
    most_on_a_day: int


def customers_shape(*, as_of: dt.date) -> CustomerShape:
    """Count customers by sector and contracts by status and by end date, in a few aggregate
    queries."""
    by_sector = dict(
        Customer.objects.values("sector")
        .annotate(customers=Count("id"))
        .order_by("-customers", "sector")
        .values_list("sector", "customers")
    )
    by_status = dict(
        Contract.objects.values("status")
        .annotate(contracts=Count("id"))
        .order_by("-contracts", "status")
        .values_list("status", "contracts")
    )
    first, end = as_of - dt.timedelta(days=WINDOW_DAYS), as_of + dt.timedelta(days=WINDOW_DAYS)
    per_day = dict(
        Contract.objects.filter(end_date__gte=first, end_date__lt=end)
        .values("end_date")
        .annotate(contracts=Count("id"))
        .order_by()
        .values_list("end_date", "contracts")
    )
    days = [per_day.get(first + dt.timedelta(days=offset), 0) for offset in range(2 * WINDOW_DAYS)]
    moved = (
        CustomerAssignment.objects.values("customer_id")
        .annotate(spans=Count("id"))
        .filter(spans__gt=1)
        .count()
    )
    return CustomerShape(
        customers=sum(by_sector.values()),
        by_sector=by_sector,
        moved=moved,
        contracts_by_status=by_status,
        ending_before=sum(days[:WINDOW_DAYS]),
        ending_after=sum(days[WINDOW_DAYS:]),
        fewest_on_a_day=min(days),
        most_on_a_day=max(days),
    )
