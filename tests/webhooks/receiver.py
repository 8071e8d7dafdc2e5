"""A webhook receiver on loopback for the tests: a real HTTP/1.1 server (keep-alive) in a
thread that verifies every request with the `standardwebhooks` package, as a customer's
receiver would, and answers as each test scripts it.

`Receiver.script(webhook_id, attempt)` returns a `Reply`; the default answers 204. What arrived
is kept: `verified` (webhook-id → how many verified requests), `bodies` (webhook-id → the
parsed envelope), `refused` (requests whose signature did not verify).
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass(frozen=True)
class Reply:
    status: int = 204
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


type Script = Callable[[str, int], Reply]


class Receiver:
    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.script: Script = lambda webhook_id, attempt: Reply()
        self.lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.verified: Counter[str] = Counter()
        self.bodies: dict[str, Any] = {}
        self.headers: list[dict[str, str]] = []
        self.refused: list[str] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/hooks"

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.server_address[1])

    def accepted(self) -> set[str]:
        """The webhook-ids answered 2xx at least once."""
        with self.lock:
            return set(self._accepted)

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        body = handler.rfile.read(length)
        headers = {name.lower(): value for name, value in handler.headers.items()}
        webhook_id = headers.get("webhook-id", "")
        try:
            envelope = Webhook(self.secret).verify(body, headers)
        except WebhookVerificationError as error:
            with self.lock:
                self.refused.append(f"{webhook_id}: {error}")
            self._answer(handler, Reply(status=400, body=b"bad signature"))
            return
        with self.lock:
            self.requests[webhook_id] += 1
            attempt = self.requests[webhook_id]
            self.headers.append(headers)
        reply = self.script(webhook_id, attempt)
        if reply.delay:
            time.sleep(reply.delay)
        if 200 <= reply.status < 300:
            with self.lock:
                self.verified[webhook_id] += 1
                self.bodies[webhook_id] = envelope
                self._accepted.add(webhook_id)
        self._answer(handler, reply)

    @staticmethod
    def _answer(handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        try:
            handler.send_response(reply.status)
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # The dispatcher gave up waiting (a timeout test); nothing to answer.

    _accepted: set[str]


@contextmanager
def receiver_running(secret: str, *, host: str = "127.0.0.1") -> Iterator[Receiver]:
    """A `Receiver` listening on `host` (a free port) until the block ends."""
    receiver = Receiver(secret)
    receiver._accepted = set()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            receiver.handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer((host, 0), Handler)
    server.daemon_threads = True
    receiver.server = server
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def envelope_of(receiver: Receiver, webhook_id: str) -> dict[str, Any]:
    return dict(json.loads(json.dumps(receiver.bodies[webhook_id])))
