"""Fixtures of the training tests: the enterprise product the Gold buyers buy, and `default`
published with its training requirements (tests/training/factories.py builds the records)."""

from __future__ import annotations

import pytest

from channeldesk.catalog.models import Product
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.selectors import policy_get
from channeldesk.tiers.services import tier_policy_publish
from tests.tiers.factories import AS_OF, enterprise_product


@pytest.fixture
def enterprise(db: None) -> Product:
    return enterprise_product()


@pytest.fixture
def published(db: None) -> TierPolicy:
    """`default` published from 1 July 2026, with its training requirements."""
    return tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)
