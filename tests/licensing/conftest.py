"""Fixtures of the licensing tests: fixed keys, an enterprise contract with its keycode, and a
clean throttle cache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import caches

from channeldesk.contracts.models import Contract
from channeldesk.licensing.services import IssuedKeycode
from tests.licensing.factories import (
    SECRET_1,
    SECRET_2,
    SIGNING_SEED,
    TODAY,
    enterprise_contract,
    issued,
)
from tests.personas import Personas


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The licensing worlds are built on fixed dates (contracts from 1 April 2026 to 31 March
    2027, scans around TODAY): every licensing test runs on TODAY unless it names its own day,
    so none of them depends on the day the suite runs."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("today") is None:
            item.add_marker(pytest.mark.today(TODAY.isoformat()))


@pytest.fixture(autouse=True)
def _licensing_keys(settings: Any) -> None:
    """Keys from the settings, as in production (no key file)."""
    settings.LICENSING_KEYCODE_KEYS = f"1:{SECRET_1},2:{SECRET_2}"
    settings.LICENSING_KEYCODE_KEY_ID = 1
    settings.LICENSING_KEYCODE_RETIRED_KEY_IDS = []
    settings.LICENSING_SIGNING_KEY = SIGNING_SEED
    settings.LICENSING_SIGNING_KEY_ID = "test-key"


@pytest.fixture(autouse=True)
def _empty_throttle_cache(db: None) -> Iterator[None]:
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def contract(personas: Personas) -> Contract:
    return enterprise_contract(personas.partner_a)


@pytest.fixture
def keycode(contract: Contract) -> IssuedKeycode:
    return issued(contract)
