import datetime as dt
from decimal import Decimal

import pytest

from channeldesk.catalog.models import Product
from channeldesk.tiers.selectors import policy_get
from channeldesk.tiers.simulation import tiers_simulate
from tests.factories import PartnerFactory, order_with_lines
from tests.tiers.factories import AS_OF, buy, previous_tier

pytestmark = pytest.mark.django_db


def test_simulation_counts_movers_and_discount_cost(enterprise: Product) -> None:
    climber, faller = PartnerFactory(), PartnerFactory()
    previous_tier(climber, "gold")
    previous_tier(faller, "silver")
    # 5 orders of 10 seats at a list price of 100 EUR: 5,000 EUR at list price.
    buy(climber, enterprise, times=5, amount=Decimal("12000.00"))
    # One order of 10 seats: 1,000 EUR at list price.
    order_with_lines(faller, dt.date(2026, 3, 1), [(enterprise, 10, Decimal("800.00"))])

    simulation = tiers_simulate(policy=policy_get(reference="default"), as_of=AS_OF)

    by_code = {tier.code: tier for tier in simulation.tiers}
    assert (by_code["gold"].current, by_code["gold"].projected) == (1, 1)
    assert (by_code["silver"].current, by_code["silver"].projected) == (1, 0)
    assert (by_code["authorized"].current, by_code["authorized"].projected) == (0, 1)
    # Gold: 30 % → 35 % of 5,000; the faller: 25 % → 20 % of 1,000.
    assert by_code["gold"].discount_cost_current == Decimal("1500.00")
    assert by_code["gold"].discount_cost_projected == Decimal("1750.00")
    assert by_code["authorized"].discount_cost_current == Decimal("250.00")
    assert by_code["authorized"].discount_cost_projected == Decimal("200.00")
    assert simulation.discount_cost_current == Decimal("1750.00")
    assert simulation.discount_cost_projected == Decimal("1950.00")
    assert simulation.discount_cost_change == Decimal("200.00")
    assert simulation.directions == {"up": 0, "down": 1, "unchanged": 1, "new": 0}


def test_cost_window_is_the_twelve_months_before_the_as_of_date(enterprise: Product) -> None:
    partner = PartnerFactory()
    previous_tier(partner, "silver")
    order_with_lines(partner, dt.date(2025, 6, 30), [(enterprise, 10, Decimal("1000.00"))])
    order_with_lines(partner, dt.date(2025, 7, 1), [(enterprise, 1, Decimal("100.00"))])

    simulation = tiers_simulate(policy=policy_get(reference="default"), as_of=AS_OF)

    assert simulation.cost_window.start == dt.date(2025, 7, 1)
    assert simulation.discount_cost_current == Decimal("25.00")
