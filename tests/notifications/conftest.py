"""Fixtures of the outbox tests: an SMTP server on loopback (from tests/notifications/sink.py)
and mailers the tests control (tests/notifications/factories.py fills the outbox)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.notifications.backends import HookBackend
from tests.notifications.sink import free_port, smtp_sink_fixture  # noqa: F401 - fixture


@pytest.fixture
def unreachable_server(settings: Any) -> None:
    """The default mailer points at an SMTP port on loopback where nobody listens."""
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 5},
        }
    }


@pytest.fixture
def quick_retries(settings: Any) -> None:
    """Three attempts, one minute apart and then two: small numbers the tests can check."""
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_RETRY_MAX_SECONDS = 120


@pytest.fixture
def hook_mailer(settings: Any) -> Iterator[type[HookBackend]]:
    """The default mailer delivers into a list and lets the test act before each send."""
    HookBackend.reset()
    settings.MAILERS = {"default": {"BACKEND": "tests.notifications.backends.HookBackend"}}
    yield HookBackend
    HookBackend.reset()
