"""Shared fixtures: the personas (built in tests/personas.py), an API client, the database
vendor, and the settings every test runs with."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from tests.personas import Personas, personas_build

pytest_plugins = ["tests.clock", "tests.processes"]


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings: Any) -> None:
    """The personas get real password hashes; the slow default hasher would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Iterator[None]:
    """A request leaves its language active in the thread; later tests start from the default."""
    yield
    translation.deactivate()


@pytest.fixture
def personas(db: None) -> Personas:
    return personas_build()


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def is_postgres(db: None) -> bool:
    return connection.vendor == "postgresql"
