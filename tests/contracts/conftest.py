"""Fixtures of the contracts tests that send reminders: an archive and a mailer of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from channeldesk.contracts.models import Customer
from tests.contracts.factories import contract_of, customer_of
from tests.personas import Personas


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Stored letters go to a fresh directory, not to the developer's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


@pytest.fixture
def mailbox(settings: Any) -> Iterator[list[mail.EmailMessage]]:
    """The default mailer delivers into `django.core.mail.outbox`."""
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    mail.outbox = []
    yield mail.outbox
    mail.outbox = []


@pytest.fixture
def customers(personas: Personas) -> dict[str, Customer]:
    """K-A and K-MOVES looked after by partner A, K-B by partner B; each with one contract."""
    result = {
        "K-A": customer_of(personas.partner_a, customer_number="K-A"),
        "K-MOVES": customer_of(personas.partner_a, customer_number="K-MOVES"),
        "K-B": customer_of(personas.partner_b, customer_number="K-B"),
    }
    for number, customer in result.items():
        contract_of(customer, contract_number=f"V-{number}")
    return result
