"""Fixtures of the security tests (none is autouse: each module asks for what it needs)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache


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
