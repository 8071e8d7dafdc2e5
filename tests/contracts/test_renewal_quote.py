"""The renewal quote: seats × list price at the tier discount of who looks after the customer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from channeldesk.contracts.selectors import NoPartnerAssigned, contract_renewal_quote
from channeldesk.contracts.services import customer_partner_change
from channeldesk.pricing.selectors import NoTierInForce
from tests.contracts.factories import contract_of, customer_of, enterprise_product
from tests.factories import PartnerFactory
from tests.tiers.factories import previous_tier

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 5, 4)


def test_the_quote_prices_the_seats_at_the_current_partners_discount() -> None:
    seller, successor = (
        PartnerFactory(partner_number="P-SELL"),
        PartnerFactory(partner_number="P-NOW"),
    )
    previous_tier(seller, "gold")
    previous_tier(successor, "silver")
    customer = customer_of(seller)
    product = enterprise_product("ENT-Q", list_price=Decimal("33.33"), unit="seat")
    contract = contract_of(customer, product=product, seats=7)
    customer_partner_change(customer=customer, partner=successor, on=dt.date(2026, 1, 1))

    quote = contract_renewal_quote(contract=contract, on=ON)

    assert (quote.partner_number, quote.sku, quote.on, quote.quantity, quote.unit) == (
        "P-NOW",
        "ENT-Q",
        ON,
        Decimal(7),
        "seat",
    )
    assert (quote.tier, quote.discount_percent) == ("silver", Decimal("25.00"))
    assert quote.list_amount == Decimal("233.31")
    assert quote.net_amount == Decimal("174.98")  # 233.31 × 0.75 = 174.9825 → half up


def test_no_quote_when_the_partner_has_no_tier() -> None:
    contract = contract_of(customer_of(PartnerFactory()))

    with pytest.raises(NoTierInForce):
        contract_renewal_quote(contract=contract, on=ON)


def test_no_quote_for_a_day_nobody_looked_after_the_customer() -> None:
    contract = contract_of(customer_of(PartnerFactory(), since=dt.date(2026, 1, 1)))

    with pytest.raises(NoPartnerAssigned):
        contract_renewal_quote(contract=contract, on=dt.date(2025, 12, 31))
