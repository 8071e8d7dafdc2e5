"""Fixtures of the tiers tests: the products partners buy, and the `default` policy without its
training criteria unless a test asks for them."""

import pytest

from channeldesk.catalog.models import Product
from channeldesk.tiers.models import TierCriterion
from tests.tiers.factories import enterprise_product, retail_product


@pytest.fixture
def retail(db: None) -> Product:
    return retail_product()


@pytest.fixture
def enterprise(db: None) -> Product:
    return enterprise_product()


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
