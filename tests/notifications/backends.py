"""A mailer for tests that need to act in the middle of a send (die, sweep, release)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend


class HookBackend(BaseEmailBackend):
    """Keeps what it delivers in `delivered`; calls `before_send` first, which may raise."""

    delivered: ClassVar[list[EmailMessage]] = []
    before_send: ClassVar[Callable[[EmailMessage], None] | None] = None

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        for message in email_messages:
            if HookBackend.before_send is not None:
                HookBackend.before_send(message)
            HookBackend.delivered.append(message)
        return len(email_messages)

    @classmethod
    def reset(cls) -> None:
        cls.delivered = []
        cls.before_send = None

    @classmethod
    def delivered_ids(cls) -> list[str]:
        return [message.extra_headers["Message-ID"] for message in cls.delivered]
