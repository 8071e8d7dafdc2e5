"""Fixtures of the contracts tests that send reminders: an archive and a mailer of their own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core import mail


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
