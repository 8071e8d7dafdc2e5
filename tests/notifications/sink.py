"""An SMTP server on loopback that records what it receives and can be told to refuse.

It runs aiosmtpd in a thread of the test process; dispatchers in other processes reach it
through its port like any mail server.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from typing import Any

import pytest
from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Received:
    message_id: str
    recipients: tuple[str, ...]
    subject: str
    content: bytes


@dataclass
class SinkHandler:
    """aiosmtpd hooks: refuse recipients, answer DATA from a script, record the rest."""

    received: list[Received] = field(default_factory=list)
    refused_recipients: dict[str, str] = field(default_factory=dict)
    data_replies: deque[str] = field(default_factory=deque)
    delay: float = 0.0
    drops_after_data: int = 0
    hold_at: int = 0
    held: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        reply = self.refused_recipients.get(address)
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            scripted = self.data_replies.popleft() if self.data_replies else None
        if scripted is not None:
            return scripted
        if self.delay:
            await asyncio.sleep(self.delay)
        headers = BytesHeaderParser().parsebytes(envelope.content)
        with self.lock:
            self.received.append(
                Received(
                    message_id=str(headers["Message-ID"]),
                    recipients=tuple(envelope.rcpt_tos),
                    subject=str(headers["Subject"]),
                    content=envelope.content,
                )
            )
        if self._take_drop():
            # The message is in; the client never hears so.
            server.transport.close()
        if len(self.received) == self.hold_at:
            # The message is in; the answer waits (for good: the client gets killed).
            self.held.set()
            await asyncio.sleep(3600)
        return "250 OK"

    def _take_drop(self) -> bool:
        with self.lock:
            if not self.drops_after_data:
                return False
            self.drops_after_data -= 1
            return True


class SmtpSink:
    """A started server: `port`, what it received, and knobs to make it misbehave."""

    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def message_ids(self) -> Counter[str]:
        return Counter(message.message_id for message in self.received)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def mailers(self) -> dict[str, Any]:
        """The MAILERS setting that points Django's default mailer at this server."""
        return {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": self.port, "timeout": 10},
            }
        }

    def answer_data_with(self, *replies: str) -> None:
        """The next DATA commands get these replies instead of being accepted."""
        with self.handler.lock:
            self.handler.data_replies.extend(replies)

    def drop_after_data(self, times: int = 1) -> None:
        """Take the next message(s), then hang up instead of answering 250."""
        with self.handler.lock:
            self.handler.drops_after_data += times

    def hold_answer_at(self, number: int) -> threading.Event:
        """Take the `number`-th message, then keep its sender waiting for the answer; the
        event is set once a sender waits."""
        self.handler.hold_at = number
        return self.handler.held

    def refuse(self, address: str, reply: str) -> None:
        self.handler.refused_recipients[address] = reply


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(name="smtp_sink")
def smtp_sink_fixture(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server on a free loopback port, and the default mailer pointed at it."""
    sink = SmtpSink()
    sink.controller.start()
    settings.MAILERS = sink.mailers()
    yield sink
    sink.controller.stop()
