"""The pricing strategy: what a partner pays for a product on a date (R6).

One function answers it and returns a `PriceQuote` that records the list price, the tier and
policy in force, the discount and the net amount. Renewal quotes, true-up quotes and statement
lines store that snapshot, so a later tier change never alters an issued document. Imported ERP
orders keep the amounts the ERP priced; this strategy is for what ChannelDesk itself quotes.

Rounding: per line, half up, to the cent (`channeldesk.core.money`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from channeldesk.catalog.models import Product
from channeldesk.core.errors import Conflict
from channeldesk.core.money import CURRENCY, money_round, net_after_discount
from channeldesk.partners.models import Partner
from channeldesk.tiers.selectors import tier_current


class NoTierInForce(Conflict):
    """The partner has no tier on that date, so no discount can be determined (nor a quote)."""

    code = "no_quote"


@dataclass(frozen=True)
class PriceQuote:
    partner_number: str
    sku: str
    on: dt.date
    quantity: Decimal
    unit: str
    list_unit_price: Decimal
    list_amount: Decimal
    tier: str
    policy: str
    discount_percent: Decimal
    net_amount: Decimal
    currency: str = CURRENCY

    @property
    def discount_amount(self) -> Decimal:
        return self.list_amount - self.net_amount

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["on"] = self.on.isoformat()
        return {
            key: str(value) if isinstance(value, Decimal) else value for key, value in data.items()
        }


def price_quote(
    *, partner: Partner, product: Product, quantity: Decimal | int, on: dt.date
) -> PriceQuote:
    """Price `quantity` units of `product` for `partner` with the tier discount in force on `on`."""
    current = tier_current(partner=partner, on=on)
    if current is None:
        raise NoTierInForce(f"Partner {partner.partner_number} has no tier on {on}.")
    quantity = Decimal(quantity)
    list_amount = money_round(product.list_price * quantity)
    return PriceQuote(
        partner_number=partner.partner_number,
        sku=product.sku,
        on=on,
        quantity=quantity,
        unit=product.unit,
        list_unit_price=product.list_price,
        list_amount=list_amount,
        tier=current.tier_code,
        policy=current.policy_reference,
        discount_percent=current.discount_percent,
        net_amount=net_after_discount(list_amount, current.discount_percent),
    )
