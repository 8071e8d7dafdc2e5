"""The usage demo: metered contracts, a month of events, statements, idempotent."""

from __future__ import annotations

import datetime as dt

import pytest

from channeldesk.commands.demo.population import DemoPlan
from channeldesk.commands.demo.usage import demo_usage_load
from channeldesk.usage.models import RerateRequest, Statement, Subscription, UsageEvent
from tests.conftest import Personas
from tests.contracts.factories import contract_of, customer_of
from tests.tiers.conftest import previous_tier
from tests.usage.factories import service_product

pytestmark = pytest.mark.django_db


def test_demo_meters_contracts_issues_statements_and_loads_once(personas: Personas) -> None:
    previous_tier(personas.partner_a, "silver")
    product = service_product("MS-AV", unit="user_month", price="1.90")
    product.unit = "user-month"
    product.save()
    customer = customer_of(personas.partner_a, customer_number="K-DEMO")
    contract_of(
        customer,
        product=product,
        contract_number="V-AV-1",
        seats=25,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2027, 12, 31),
    )
    plan = DemoPlan(seed=1, partners=1, order_lines=0, today=dt.date(2026, 11, 20))
    lines: list[str] = []

    demo_usage_load(plan=plan, write=lines.append)
    counts = (Subscription.objects.count(), UsageEvent.objects.count(), Statement.objects.count())
    demo_usage_load(plan=plan, write=lines.append)

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
