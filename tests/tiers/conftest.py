import datetime as dt
from decimal import Decimal

import pytest

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import AssignmentSource, TierAssignment, TierCriterion, TierPolicy
from tests.factories import ProductFactory, order_with_lines

# Evaluations in these tests run as of 1 July 2026: the evaluation half-year is H1 2026 and the
# revenue window the 12 months July 2025 – June 2026.
AS_OF = dt.date(2026, 7, 1)


@pytest.fixture
def retail(db: None) -> Product:
    return ProductFactory(sku="BOX-AV", kind=ProductKind.RETAIL, list_price=Decimal("39.90"))


@pytest.fixture
def enterprise(db: None) -> Product:
    return ProductFactory(sku="ENT-SEAT", kind=ProductKind.ENTERPRISE, list_price=Decimal("100.00"))


def buy(
    partner: Partner,
    product: Product,
    *,
    times: int,
    amount: Decimal,
    start: dt.date = dt.date(2026, 1, 10),
    step_days: int = 20,
) -> None:
    """`times` orders of one line each, `step_days` apart from `start`."""
    for index in range(times):
        order_with_lines(
            partner,
            start + dt.timedelta(days=step_days * index),
            [(product, 10, amount)],
        )


def previous_tier(partner: Partner, code: str) -> TierAssignment:
    policy = TierPolicy.objects.get(code="previous")
    return TierAssignment.objects.create(
        partner=partner,
        policy=policy,
        tier=policy.tiers.get(code=code),
        valid_from=dt.date(2020, 1, 1),
        source=AssignmentSource.INITIAL,
    )


@pytest.fixture(autouse=True)
def _default_policy_without_training(request: pytest.FixtureRequest) -> None:
    """The tiers tests check the order-line criteria of `default`; the training it requires is
    tested in tests/training (and here wherever a test asks for `with_training`). Without this,
    every partner of these tests would miss the courses and land in the entry tier."""
    if "with_training" in request.fixturenames or "db" not in request.fixturenames:
        return
    TierCriterion.objects.filter(tier__policy__code="default", kind="training").delete()


@pytest.fixture
def with_training(db: None) -> None:
    """Keep the training criteria of the `default` policy."""
