"""Builders of the admin tests: one object of every model the admin shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from channeldesk.catalog.models import Order
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.core.models import TokenScope, UserPreference
from channeldesk.core.tokens import service_token_create
from channeldesk.notifications.services import outbox_enqueue
from channeldesk.partners.models import Contact
from channeldesk.tiers.models import TierOverride, TierPolicy
from tests.contracts.factories import contract_of, customer_of
from tests.domains import domain_modules
from tests.factories import ProductFactory, order_with_lines
from tests.personas import Personas
from tests.tiers.factories import previous_tier


@dataclass
class AdminData:
    personas: Personas
    order: Order
    published_policy: TierPolicy
    draft_policy: TierPolicy


def admin_data_build(personas: Personas) -> AdminData:
    """At least one row in every table the admin shows (the policies come from the migrations);
    the `admin_data` fixture, and suites outside tests/admin (tests/security), build it here."""
    partner = personas.partner_a
    Contact.objects.create(partner=partner, name="Anna Alpha", role="sales")
    product = ProductFactory(sku="ENT-100")
    order = order_with_lines(partner, dt.date(2026, 1, 10), [(product, 3, Decimal("150.00"))])
    published = previous_tier(
        partner,
        "silver",
        valid_from=dt.date(2026, 1, 1),
        reasons=[{"kind": "revenue", "value": "1000", "held": True}],
    ).policy
    TierOverride.objects.create(
        partner=personas.partner_b,
        tier_code="gold",
        reason="Strategic account",
        valid_from=dt.date(2026, 1, 1),
        created_by=personas.staff,
    )
    UserPreference.objects.create(user=personas.partner_a_user, language="en")
    service_token_create(name="IT-Schulung GmbH", scope=TokenScope.TRAINING)
    customer = customer_of(partner, customer_number="K-1")
    contract_of(customer, contract_number="V-1")
    ending = contract_of(customer, contract_number="V-2", end_date=dt.date(2026, 12, 31))
    reminders_plan(today=dt.date(2026, 10, 1), contract_ids=[ending.pk])
    outbox_enqueue(
        key="admin-test:1", to=["partner@example.com"], subject="Renewal", text="Your customer."
    )
    for module in domain_modules("admin_rows"):
        module.admin_rows(personas)
    return AdminData(
        personas=personas,
        order=order,
        published_policy=published,
        draft_policy=TierPolicy.objects.get(code="default"),
    )
