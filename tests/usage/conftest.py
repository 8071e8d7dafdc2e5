"""Fixtures of the usage tests: partner A (Silver, 25 %) with one metered customer contract."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from channeldesk.usage.models import Subscription
from tests.personas import Personas
from tests.tiers.factories import previous_tier
from tests.usage.factories import metered_contract


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def subscription(personas: Personas) -> Subscription:
    previous_tier(personas.partner_a, "silver")
    previous_tier(personas.partner_b, "gold")
    return metered_contract(personas.partner_a)
