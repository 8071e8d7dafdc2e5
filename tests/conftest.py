"""Shared fixtures: the personas (built in tests/personas.py), browsers signed in as them, the
portal's world, the licensing keys, a clean sign-in throttle, the mailbox, an API client, the
database vendor, and the settings every test runs with."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from tests.licensing.factories import SECRET_1, SECRET_2, SIGNING_SEED
from tests.personas import Personas, persona_client, personas_build
from tests.portal.world import PortalWorld, build_portal_world

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
def client_for(personas: Personas) -> Callable[[str], Client]:
    """A test client signed in as the named persona ("anonymous": not signed in; "outsider": a
    login of no partner that is not vendor staff)."""
    return lambda persona: persona_client(persona, personas)


@pytest.fixture
def staff_client(personas: Personas) -> Client:
    """A test client signed in as vendor staff, the usual user of the admin and back office."""
    return persona_client("staff", personas)


@pytest.fixture
def portal_world(personas: Personas) -> PortalWorld:
    return build_portal_world(personas)


@pytest.fixture
def licensing_keys(settings: Any) -> None:
    """The licensing keys (keycode secrets and the signing key) from the settings, as in
    production (no key file)."""
    settings.LICENSING_KEYCODE_KEYS = f"1:{SECRET_1},2:{SECRET_2}"
    settings.LICENSING_KEYCODE_KEY_ID = 1
    settings.LICENSING_KEYCODE_RETIRED_KEY_IDS = []
    settings.LICENSING_SIGNING_KEY = SIGNING_SEED
    settings.LICENSING_SIGNING_KEY_ID = "test-key"


@pytest.fixture
def fresh_rate_limits(db: None) -> None:
    """allauth counts failed sign-ins in the cache; the test starts with none counted."""
    cache.clear()


@pytest.fixture
def mailbox(settings: Any) -> list[Any]:
    """Django's in-memory mailer as the outbox's mailer: what the recipients receive."""
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []
    return mail.outbox


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def is_postgres(db: None) -> bool:
    return connection.vendor == "postgresql"
