"""`webhooks_dispatch`: webhook deliveries per second from the dispatcher to a local receiver.

Target (issue 16): two dispatcher processes deliver at least 200 signed webhooks/s to a receiver
on loopback (an HTTP/1.1 keep-alive server in a process of its own), and at least half the rate
of a bare loop measured in the same run: one `httpx.Client` POSTing the same envelopes, each
signed with `standardwebhooks`, one after the other (`baseline`; `ratio` = dispatch / bare).
Every run also checks at the receiver that each event arrived exactly once.

The dispatchers start up (Django, the database connection, the HTTP client) before the clock
starts, so the figure is the sending, not Python's start-up. `--deliveries N` replaces the
scale's count. The dispatchers reach the receiver on 127.0.0.1, which only
WEBHOOKS_ALLOW_PRIVATE_ADDRESSES allows (set here for them).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from common import database_url, emit_compared, parser, setup_scratch_django

DELIVERIES = {"small": 500, "full": 10_000}
DISPATCHERS = 2
TARGET = 200
RATIO = 0.5
STARTUP_TIMEOUT = 120  # seconds
RUN_TIMEOUT = 600  # seconds
SECRET = "whsec_" + "C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
# Children first, so that DELETE on SQLite meets no foreign key.
TABLES = (
    "webhooks_webhookattempt",
    "webhooks_webhookdelivery",
    "webhooks_webhookevent",
    "webhooks_webhooksubscription",
)


# --- The receiver (its own process) ----------------------------------------------------------


def _receiver(port: int, control: Connection) -> None:
    """Counts webhook-ids, answers 204; `stats` over the pipe returns (and resets) the counts."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    seen: Counter[str] = Counter()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                seen[self.headers.get("webhook-id", "(none)")] += 1
            self.send_response_only(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    control.send("ready")
    while (command := control.recv()) != "stop":
        if command == "stats":
            with lock:
                counts, seen = dict(seen), Counter()
            control.send(counts)
    server.shutdown()


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- The dispatchers (processes) -----------------------------------------------------------


def _dispatcher(url: str, number: int, ready: Any, start: Any, out: Any) -> None:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="channeldesk.settings",
        WEBHOOKS_ALLOW_PRIVATE_ADDRESSES="1",
    )
    import django

    django.setup()
    from django.db import connection

    from channeldesk.webhooks.dispatch import webhooks_dispatch

    connection.ensure_connection()
    webhooks_dispatch(limit=0)  # imports and the HTTP client made; nothing sent before the clock
    ready.release()
    start.wait()
    cpu = time.process_time()
    result = webhooks_dispatch(limit=10**9, worker=f"bench-{number}")
    out.put((time.perf_counter(), result.sent, time.process_time() - cpu))


@dataclass(frozen=True)
class Measured:
    """Deliveries per second, and the sender's CPU time per delivery (all its processes)."""

    rate: float
    cpu_ms: float


def dispatch_rate(url: str) -> Measured:
    """Two dispatcher processes, timed from a common start signal."""
    context = multiprocessing.get_context("spawn")
    ready, start, out = context.Semaphore(0), context.Event(), context.Queue()
    processes = [
        context.Process(target=_dispatcher, args=(url, number, ready, start, out))
        for number in range(DISPATCHERS)
    ]
    for process in processes:
        process.start()
    for _ in processes:
        if not ready.acquire(timeout=STARTUP_TIMEOUT):
            for process in processes:
                process.kill()
            raise RuntimeError("A dispatcher process did not start; see its traceback above.")
    began = time.perf_counter()
    start.set()
    reports = [out.get(timeout=RUN_TIMEOUT) for _ in processes]
    for process in processes:
        process.join()
    sent = sum(report[1] for report in reports)
    cpu = sum(report[2] for report in reports)
    return Measured(sent / (max(report[0] for report in reports) - began), cpu * 1000 / sent)


# --- The bare loop and the data -----------------------------------------------------------


def bare_rate(receiver_url: str, events: list[Any]) -> Measured:
    """One httpx.Client, the same envelopes, each signed, one POST after the other."""
    import datetime as dt

    import httpx
    from standardwebhooks import Webhook

    from channeldesk.webhooks.sending import envelope_bytes

    bodies = [(event.event_id, envelope_bytes(event)) for event in events]
    webhook = Webhook(SECRET)
    began, cpu = time.perf_counter(), time.process_time()
    with httpx.Client(follow_redirects=False, trust_env=False) as client:
        for event_id, body in bodies:
            now = dt.datetime.now(dt.UTC)
            client.post(
                receiver_url,
                content=body,
                headers={
                    "webhook-id": event_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": webhook.sign(event_id, now, body),
                    "Content-Type": "application/json",
                },
            ).raise_for_status()
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    return Measured(len(bodies) / elapsed, cpu * 1000 / len(bodies))


def refill(count: int, receiver_url: str) -> list[Any]:
    """Empty webhook tables, one subscription to the receiver, `count` events due to it."""
    from django.db import connection, transaction
    from django.utils import timezone

    from channeldesk.webhooks.emit import EventDraft, webhook_events_emit
    from channeldesk.webhooks.models import WebhookEvent, WebhookSubscription
    from channeldesk.webhooks.secrets import webhook_secret_seal

    _empty()
    now = timezone.now()
    WebhookSubscription.objects.create(
        name="Benchmark receiver",
        url=receiver_url,
        event_types=["contract.renewed"],
        secret_sealed=webhook_secret_seal(SECRET),
        notify_email="bench@example.com",
        created_at=now,
        updated_at=now,
    )
    drafts = [
        EventDraft(
            type="contract.renewed",
            key=f"bench:{number}",
            data={
                "contract": {"number": f"V-{number:07d}", "end": "2027-12-31", "seats": 25},
                "partner": {"number": f"P{number % 2000:06d}"},
                "net_amount": "12345.00",
                "currency": "EUR",
            },
            partner_id=None,
        )
        for number in range(count)
    ]
    for begin in range(0, count, 2000):
        with transaction.atomic():
            webhook_events_emit(drafts[begin : begin + 2000])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(TABLES)}")
    return list(WebhookEvent.objects.order_by("id"))


def _empty() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"DELETE FROM {table}")
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM {', '.join(TABLES)}")


def _arguments() -> argparse.Namespace:
    options = parser(__doc__ or "", DELIVERIES)
    options.add_argument(
        "--deliveries", type=int, help="Deliveries per run instead of the scale's."
    )
    return options.parse_args()


@dataclass
class Figures:
    bare: list[Measured]
    dispatch: list[Measured]
    exactly_once: bool = True

    def median(self, which: str, field: str) -> float:
        return statistics.median(getattr(m, field) for m in getattr(self, which))


def _arrived_once(control: Connection, events: list[Any]) -> bool:
    control.send("stats")
    return control.recv() == {event.event_id: 1 for event in events}


def measure(options: argparse.Namespace, url: str, control: Connection, port: int) -> Figures:
    """Per run: refill, the bare loop, refill, the two dispatchers; each checked at the receiver."""
    receiver_url = f"http://127.0.0.1:{port}/hooks"
    count = options.deliveries or DELIVERIES[options.scale]
    figures = Figures(bare=[], dispatch=[])
    for _ in range(options.runs or 3):
        events = refill(count, receiver_url)
        figures.bare.append(bare_rate(receiver_url, events))
        figures.exactly_once &= _arrived_once(control, events)
        events = refill(count, receiver_url)
        figures.dispatch.append(dispatch_rate(url))
        figures.exactly_once &= _arrived_once(control, events)
    return figures


def main() -> None:
    options = _arguments()
    port = _free_port()
    os.environ["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"] = "1"
    database = setup_scratch_django("webhooks")
    from channeldesk.webhooks.conf import webhook_settings

    context = multiprocessing.get_context("spawn")
    control, remote = context.Pipe()
    receiver = context.Process(target=_receiver, args=(port, remote), daemon=True)
    receiver.start()
    assert control.recv() == "ready"
    figures = measure(options, database_url("webhooks"), control, port)
    control.send("stop")
    receiver.join()

    config = webhook_settings()
    common = {
        "dispatchers": DISPATCHERS,
        "window": config.window,
        "batch_size": config.batch_size,
        "deliveries": options.deliveries or DELIVERIES[options.scale],
        "scale": options.scale,
        "database": database,
        "runs": len(figures.dispatch),
        "exactly_once": figures.exactly_once,
    }
    value, baseline = figures.median("dispatch", "rate"), figures.median("bare", "rate")
    emit_compared(
        "webhooks_dispatch.deliveries_per_second",
        value,
        "deliveries/s",
        baseline=baseline,
        at_least=RATIO,
        rate_target=f">= {TARGET} deliveries/s",
        meets_rate_target=value >= TARGET,
        rates=[round(m.rate, 1) for m in figures.dispatch],
        baselines=[round(m.rate, 1) for m in figures.bare],
        **common,
    )
    cpu, bare_cpu = figures.median("dispatch", "cpu_ms"), figures.median("bare", "cpu_ms")
    emit_compared(
        "webhooks_dispatch.cpu_per_delivery",
        cpu,
        "ms",
        baseline=bare_cpu,
        note="sender CPU only (dispatchers vs bare loop); receiver and database not counted",
        **common,
    )


if __name__ == "__main__":
    main()
