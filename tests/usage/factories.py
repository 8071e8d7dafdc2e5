"""Builders for the usage tests: a metered service contract, events, a closed month."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.partners.models import Partner
from channeldesk.usage.events import EventInput
from channeldesk.usage.models import BillingUnit, Subscription
from channeldesk.usage.services import service_terms_set, subscription_create
from tests.contracts.factories import contract_of, customer_of
from tests.factories import ProductFactory

BERLIN = ZoneInfo("Europe/Berlin")


def service_product(
    sku: str = "MSS-EDR",
    *,
    unit: str = BillingUnit.USER_DAY,
    prorate: bool = False,
    price: str = "0.50",
) -> Product:
    """A managed-service product with its billing terms (created once per SKU)."""
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        product = ProductFactory(
            sku=sku,
            kind=ProductKind.SERVICE,
            list_price=Decimal(price),
            unit=unit,
            name_en=f"Managed {sku}",
            name_de=f"Managed {sku}",
        )
    service_terms_set(product=product, billing_unit=unit, prorate=prorate)
    return product


def metered_contract(
    partner: Partner,
    *,
    key: str = "SUB-A",
    customer_number: str | None = None,
    product: Product | None = None,
    start: dt.date = dt.date(2026, 1, 1),
    end: dt.date = dt.date(2027, 12, 31),
    minimum_units: Decimal | None = None,
    time_zone: str = "Europe/Berlin",
    **fields: Any,
) -> Subscription:
    """A customer of `partner` with a service contract that is metered under `key`."""
    customer = customer_of(partner, customer_number=customer_number or f"K-{key}")
    contract = contract_of(
        customer,
        product=product or service_product(),
        contract_number=f"V-{key}",
        start_date=start,
        end_date=end,
        **fields,
    )
    return subscription_create(
        contract=contract,
        subscription_key=key,
        time_zone=time_zone,
        minimum_units=minimum_units,
    )


def event(
    event_id: str,
    user: str,
    at: dt.datetime,
    *,
    key: str = "SUB-A",
    kind: str = "usage",
    target: str | None = None,
) -> EventInput:
    return EventInput(
        event_id=event_id,
        subscription_key=key,
        occurred_at=at,
        user_key=user,
        service="edr",
        kind=kind,
        target_event_id=target,
    )


def at(day: int, hour: int = 12, *, month: int = 10, year: int = 2026) -> dt.datetime:
    """An instant in Berlin in the given month (October 2026 by default)."""
    return dt.datetime(year, month, day, hour, tzinfo=BERLIN)


def after_grace(month: int = 10, year: int = 2026) -> dt.datetime:
    """Noon on the 4th of the next month: the month's 3-day grace period is over."""
    next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
    return dt.datetime(next_year, next_month, 4, 12, tzinfo=BERLIN)
