"""The usage demo: metered contracts, a month of events, statements, idempotent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.commands.demo.population import DemoPlan
from channeldesk.commands.demo.usage import demo_usage_load
from channeldesk.contracts.models import Contract, Customer
from channeldesk.partners.models import Partner
from channeldesk.usage.models import (
    BillingUnit,
    RerateRequest,
    Statement,
    StatementLine,
    Subscription,
    UsageEvent,
)
from tests.contracts.factories import contract_of, customer_of
from tests.factories import ProductFactory
from tests.personas import Personas
from tests.tiers.factories import previous_tier
from tests.usage.factories import service_product

pytestmark = pytest.mark.django_db

# One demo partner, no orders, loaded on 20 November 2026: last month's statement is October's.
PLAN = DemoPlan(seed=1, partners=1, order_lines=0, today=dt.date(2026, 11, 20))


def demo_customer(
    partner: Partner, product: Product, *, contract_number: str, seats: int
) -> Customer:
    """The customer K-DEMO of `partner` with a contract for `product` over 2026 and 2027."""
    customer = customer_of(partner, customer_number="K-DEMO")
    contract_of(
        customer,
        product=product,
        contract_number=contract_number,
        seats=seats,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2027, 12, 31),
    )
    return customer


def test_demo_meters_contracts_issues_statements_and_loads_once(personas: Personas) -> None:
    previous_tier(personas.partner_a, "silver")
    product = service_product("MS-AV", unit="user_month", price="1.90")
    product.unit = "user-month"
    product.save()
    demo_customer(personas.partner_a, product, contract_number="V-AV-1", seats=25)
    lines: list[str] = []

    demo_usage_load(plan=PLAN, write=lines.append)
    counts = (Subscription.objects.count(), UsageEvent.objects.count(), Statement.objects.count())
    demo_usage_load(plan=PLAN, write=lines.append)

    assert counts[0] == 1  # the AV contract; the demo adds no contracts of its own
    assert counts[1] > 1000
    statement = Statement.objects.get()
    assert statement.period == dt.date(2026, 10, 1)
    assert statement.partner == personas.partner_a
    assert statement.net_total > 0
    assert RerateRequest.objects.filter(month=dt.date(2026, 10, 1)).count() == 1
    assert (
        Subscription.objects.count(),
        UsageEvent.objects.count(),
        Statement.objects.count(),
    ) == counts
    assert lines[0].startswith("Usage: 1 contracts metered")


def test_demo_books_the_per_user_day_service_and_its_statement_counts_user_days(
    personas: Personas,
) -> None:
    """R14 in the demo: last month's statement shows the customers' user-days."""
    previous_tier(personas.partner_a, "silver")
    monthly = service_product("MS-AV", unit="user_month", price="1.90")
    # The catalogue's per-user-day product, as the reference data loads it: no terms yet.
    daily = ProductFactory(
        sku="MS-ZTNA",
        kind=ProductKind.SERVICE,
        list_price=Decimal("0.12"),
        unit="user-day",
        name_en="Managed Zero Trust Remote Access",
        name_de="Managed Zero-Trust-Fernzugriff",
    )
    customer = demo_customer(personas.partner_a, monthly, contract_number="V-1000001-01", seats=40)

    demo_usage_load(plan=PLAN, write=lambda line: None)
    demo_usage_load(plan=PLAN, write=lambda line: None)

    booked = Contract.objects.get(product=daily)
    assert booked.contract_number == "V-1000001-ZT"
    assert booked.customer == customer
    assert (booked.start_date, booked.end_date) == (dt.date(2026, 10, 1), dt.date(2027, 9, 30))
    line = StatementLine.objects.get(
        contract=booked, usage_month=dt.date(2026, 10, 1), is_adjustment=False
    )
    assert line.billing_unit == BillingUnit.USER_DAY
    assert line.unit_price == Decimal("0.12")
    assert line.discount_percent == Decimal("25.00")
    # The demo's late events of October arrive after the close: November's statement bills them.
    user_days = (
        UsageEvent.objects.filter(
            subscription__contract=booked,
            usage_date__month=10,
            usage_date__year=2026,
        )
        .exclude(event_id__contains="-late-")
        .values("user_key", "usage_date")
        .distinct()
        .count()
    )
    # Some users on some days: more than one user-day per user, fewer than every day.
    users = UsageEvent.objects.filter(subscription__contract=booked).values("user_key")
    assert users.distinct().count() < user_days < 31 * users.distinct().count()
    assert line.units == user_days
    assert line.list_amount == (Decimal("0.12") * user_days).quantize(Decimal("0.01"))
