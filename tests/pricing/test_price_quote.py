import datetime as dt
from decimal import Decimal

import pytest

from channeldesk.pricing.selectors import NoTierInForce, price_quote
from channeldesk.tiers.selectors import policy_get
from channeldesk.tiers.services import tier_policy_publish, tiers_apply
from tests.factories import PartnerFactory, ProductFactory
from tests.tiers.factories import previous_tier

pytestmark = pytest.mark.django_db


def test_quote_uses_the_tier_discount_in_force_on_the_date() -> None:
    partner = PartnerFactory()
    previous_tier(partner, "silver")
    product = ProductFactory(list_price=Decimal("33.33"), unit="seat")
    policy = tier_policy_publish(
        policy=policy_get(reference="default"), effective_from=dt.date(2026, 7, 1)
    )
    tiers_apply(policy=policy)

    before = price_quote(partner=partner, product=product, quantity=7, on=dt.date(2026, 6, 30))
    after = price_quote(partner=partner, product=product, quantity=7, on=dt.date(2026, 7, 1))

    assert (before.tier, before.policy, before.discount_percent) == (
        "silver",
        "previous@1",
        Decimal("25.00"),
    )
    assert before.list_amount == Decimal("233.31")
    assert before.net_amount == Decimal("174.98")  # 233.31 × 0.75 = 174.9825 → half up
    assert (after.tier, after.discount_percent, after.net_amount) == (
        "authorized",
        Decimal("20.00"),
        Decimal("186.65"),  # 233.31 × 0.80 = 186.648
    )
    assert after.discount_amount == Decimal("46.66")
    assert after.as_dict()["net_amount"] == "186.65"


def test_no_quote_without_a_tier() -> None:
    with pytest.raises(NoTierInForce):
        price_quote(
            partner=PartnerFactory(), product=ProductFactory(), quantity=1, on=dt.date(2026, 1, 1)
        )
