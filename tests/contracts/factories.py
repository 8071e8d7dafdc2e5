"""Factories for customers, who looks after them, and contracts.

`customer_of` and `contract_of` build what the services would: a customer always comes with the
partner who looks after it, and a contract's selling partner defaults to that partner.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.contracts.models import (
    Contract,
    Customer,
    CustomerAssignment,
    CustomerSector,
)
from channeldesk.partners.models import Partner
from tests.factories import ProductFactory

# Far enough back that a partner change "today" always comes after it.
LONG_AGO = dt.date(2020, 1, 1)
# The day before the tests were collected: a partner change from YESTERDAY is in force today.
YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    customer_number = factory.Sequence(lambda n: f"K-{n:05d}")
    name = factory.Sequence(lambda n: f"Kunde {n} GmbH")
    street = "Marktplatz 1"
    postal_code = "10115"
    city = "Berlin"
    country = "DE"
    language = "de"
    sector = CustomerSector.OTHER
    contact_name = "Erika Mustermann"
    contact_email = factory.LazyAttribute(
        lambda customer: f"it@{customer.customer_number.lower()}.example"
    )


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    contract_number = factory.Sequence(lambda n: f"V-{n:06d}")
    seats = 10
    start_date = dt.date(2025, 4, 1)
    end_date = dt.date(2026, 3, 31)


def customer_of(partner: Partner, *, since: dt.date = LONG_AGO, **fields: Any) -> Customer:
    """A customer looked after by `partner` since `since`."""
    customer = CustomerFactory(**fields)
    CustomerAssignment.objects.create(customer=customer, partner=partner, valid_from=since)
    return customer


def enterprise_product(sku: str = "ENT-100", **fields: Any) -> Product:
    """The enterprise product contracts are for (created once per SKU)."""
    existing = Product.objects.filter(sku=sku).first()
    if existing is not None:
        return existing
    return ProductFactory(sku=sku, kind=ProductKind.ENTERPRISE, **fields)


def contract_of(customer: Customer, *, partner: Partner | None = None, **fields: Any) -> Contract:
    """A contract of `customer`, sold by the partner looking after it unless told otherwise."""
    if partner is None:
        partner = CustomerAssignment.objects.get(customer=customer, valid_to__isnull=True).partner
    fields.setdefault("product", enterprise_product())
    return ContractFactory(customer=customer, partner=partner, **fields)


def contracts_state() -> dict[str, list[dict[str, Any]]]:
    """Every row (all columns, timestamps included) of the contracts domain's tables."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Customer, CustomerAssignment, Contract)
    }
