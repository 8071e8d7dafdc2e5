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
import os
import time
from collections import Counter
from multiprocessing.connection import Connection
from typing import Any

from common import database_url, parser, setup_scratch_django
from dispatch_support import (
    DISPATCHERS,
    Measured,
    dispatch_rate,
    emit_figures,
    free_port,
    measure,
    peer_running,
    tables_analyze,
    tables_empty,
)

DELIVERIES = {"small": 500, "full": 10_000}
TARGET = 200
RATIO = 0.5
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
    from django.db import transaction
    from django.utils import timezone

    from channeldesk.webhooks.emit import EventDraft, webhook_events_emit
    from channeldesk.webhooks.models import WebhookEvent, WebhookSubscription
    from channeldesk.webhooks.secrets import webhook_secret_seal

    tables_empty(TABLES)
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
    tables_analyze(TABLES)
    return list(WebhookEvent.objects.order_by("id"))


def _arguments() -> argparse.Namespace:
    options = parser(__doc__ or "", DELIVERIES)
    options.add_argument(
        "--deliveries", type=int, help="Deliveries per run instead of the scale's."
    )
    return options.parse_args()


def main() -> None:
    options = _arguments()
    port = free_port()
    os.environ["WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"] = "1"
    database = setup_scratch_django("webhooks")
    from channeldesk.webhooks.conf import webhook_settings

    receiver_url = f"http://127.0.0.1:{port}/hooks"
    count = options.deliveries or DELIVERIES[options.scale]
    url = database_url("webhooks")
    with peer_running(_receiver, port) as control:
        figures = measure(
            options.runs or 3,
            control,
            refill=lambda: refill(count, receiver_url),
            bare=lambda events: bare_rate(receiver_url, events),
            dispatch=lambda: dispatch_rate(
                _dispatcher, [(url, number) for number in range(DISPATCHERS)]
            ),
            key=lambda event: event.event_id,
        )

    config = webhook_settings()
    value = figures.median("dispatch", "rate")
    emit_figures(
        figures,
        rate=("webhooks_dispatch.deliveries_per_second", "deliveries/s"),
        cpu_name="webhooks_dispatch.cpu_per_delivery",
        cpu_note="sender CPU only (dispatchers vs bare loop); receiver and database not counted",
        targets={
            "at_least": RATIO,
            "rate_target": f">= {TARGET} deliveries/s",
            "meets_rate_target": value >= TARGET,
        },
        common={
            "dispatchers": DISPATCHERS,
            "window": config.window,
            "batch_size": config.batch_size,
            "deliveries": count,
            "scale": options.scale,
            "database": database,
        },
    )


if __name__ == "__main__":
    main()
