"""Fixtures of the outbox tests: an SMTP server on loopback and a way to fill the outbox."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from channeldesk.notifications.models import OutboxMessage
from channeldesk.notifications.services import MessageDraft, outbox_enqueue, outbox_enqueue_many
from tests.notifications.backends import HookBackend
from tests.notifications.sink import SmtpSink

NOW = timezone.make_aware(dt.datetime(2026, 1, 15, 9, 0))


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server on a free loopback port, and the default mailer pointed at it."""
    sink = SmtpSink()
    sink.controller.start()
    settings.MAILERS = sink.mailers()
    yield sink
    sink.controller.stop()


@pytest.fixture
def quick_retries(settings: Any) -> None:
    """Three attempts, one minute apart and then two: small numbers the tests can check."""
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_RETRY_MAX_SECONDS = 120


def enqueue(key: str = "reminder:1:partner", **fields: Any) -> OutboxMessage:
    values: dict[str, Any] = {
        "to": ["anna@alpha.example"],
        "subject": "Ihr Kunde erhält in 15 Tagen ein Verlängerungsschreiben",
        "text": "Guten Tag,\n\nbitte beachten Sie …",
        "now": NOW,
    }
    return outbox_enqueue(key=key, **{**values, **fields}).message


def enqueue_many(count: int, *, prefix: str = "bulk") -> list[OutboxMessage]:
    drafts = [
        MessageDraft(
            key=f"{prefix}:{number}",
            to=[f"partner{number}@example.com"],
            subject=f"Message {number}",
            text=f"Text {number}",
        )
        for number in range(count)
    ]
    return [result.message for result in outbox_enqueue_many(drafts=drafts, now=NOW)]


def statuses() -> dict[str, str]:
    return dict(OutboxMessage.objects.values_list("idempotency_key", "status"))


@pytest.fixture
def hook_mailer(settings: Any) -> Iterator[type[HookBackend]]:
    """The default mailer delivers into a list and lets the test act before each send."""
    HookBackend.reset()
    settings.MAILERS = {"default": {"BACKEND": "tests.notifications.backends.HookBackend"}}
    yield HookBackend
    HookBackend.reset()
