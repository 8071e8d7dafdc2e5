"""The data every API access test runs against: the personas and a little of everything.

Partner A (two users) and partner B (one user) each have a contact and two orders; both use the
order number "10001", so scoping by order number alone would leak. Partner C has no users at all
and is suspended: only vendor staff ever see it. One product is retired: partners do not see it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.response import Response
from rest_framework.test import APIClient

from channeldesk.catalog.models import Order, Product, ProductKind
from channeldesk.partners.models import Contact, Partner, PartnerStatus
from tests.factories import PartnerFactory, ProductFactory, UserFactory, order_with_lines
from tests.personas import Personas


@dataclass
class World:
    personas: Personas
    outsider: Any
    partner_c: Partner
    contact_a: Contact
    contact_b: Contact
    product: Product
    retail_product: Product
    retired_product: Product
    order_a: Order
    order_a_later: Order
    order_b: Order

    @property
    def partner_a(self) -> Partner:
        return self.personas.partner_a

    @property
    def partner_b(self) -> Partner:
        return self.personas.partner_b

    def user(self, persona: str) -> Any | None:
        """The login of a persona; None for the anonymous visitor."""
        if persona == "anonymous":
            return None
        if persona == "outsider":
            return self.outsider
        return self.personas.all()[persona]


def build_world(personas: Personas) -> World:
    partner_a, partner_b = personas.partner_a, personas.partner_b
    product = ProductFactory(sku="ENT-100", name_en="Endpoint Suite", list_price=Decimal("50.00"))
    retail_product = ProductFactory(sku="BOX-1", kind=ProductKind.RETAIL)
    retired_product = ProductFactory(sku="OLD-9", is_active=False)
    return World(
        personas=personas,
        outsider=UserFactory(username="olga"),
        partner_c=PartnerFactory(
            partner_number="C-3000", name="Gamma Netz AG", status=PartnerStatus.SUSPENDED
        ),
        contact_a=Contact.objects.create(partner=partner_a, name="Anna Alpha", role="sales"),
        contact_b=Contact.objects.create(partner=partner_b, name="Bernd Beta", role="technical"),
        product=product,
        retail_product=retail_product,
        retired_product=retired_product,
        order_a=order_with_lines(
            partner_a,
            dt.date(2026, 1, 10),
            [(product, 10, Decimal("400.00")), (retail_product, 2, Decimal("59.80"))],
            order_number="10001",
        ),
        order_a_later=order_with_lines(
            partner_a,
            dt.date(2026, 3, 20),
            [(product, -1, Decimal("-40.00"))],
            order_number="10002",
        ),
        order_b=order_with_lines(
            partner_b,
            dt.date(2026, 2, 15),
            [(product, 5, Decimal("212.50"))],
            order_number="10001",
        ),
    )


def get_counting_queries(client: APIClient, url: str) -> tuple[Response, int]:
    """`client`'s GET of `url` and the number of database queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    return response, len(queries)
