"""Deliveries to a real receiver on loopback that verifies every request with the
`standardwebhooks` package, and dispatcher processes killed mid-delivery."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count

from channeldesk.webhooks import sending
from channeldesk.webhooks.dispatch import webhooks_dispatch
from channeldesk.webhooks.models import WebhookAttempt, WebhookDelivery
from tests.operations.children import database_url, python_processes
from tests.operations.production_processes import wait_for
from tests.webhooks.deliveries import deliveries, events_emit, subscription_make
from tests.webhooks.receiver import Receiver, Reply, receiver_running

pytestmark = pytest.mark.processes

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def loopback(settings: Any) -> None:
    """The receiver is on loopback: allowed, as in DEBUG; retries fast, short timeouts."""
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS = [0.0, 0.0, 0.0]
    settings.WEBHOOKS_RETRY_JITTER = 0.0
    settings.WEBHOOKS_READ_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOKS_TOTAL_TIMEOUT_SECONDS = 3


@pytest.fixture
def receiver(loopback: None) -> Iterator[tuple[Receiver, str]]:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    with receiver_running(secret) as running:
        yield running, secret


def settle(rounds: int = 10) -> None:
    for _ in range(rounds):
        if not WebhookDelivery.objects.filter(status__in=("pending", "retry")).exists():
            return
        webhooks_dispatch()


@pytest.mark.django_db
def test_a_real_receiver_verifies_every_delivery(receiver: tuple[Receiver, str]) -> None:
    running, secret = receiver
    subscription_make(url=running.url, secret=secret)
    events_emit(20)

    result = webhooks_dispatch(worker="w1")

    assert (result.claimed, result.sent) == (20, 20)
    assert running.refused == []
    rows = deliveries()
    assert dict(running.verified) == {delivery.event.event_id: 1 for delivery in rows}
    for delivery in rows:
        envelope = running.bodies[delivery.event.event_id]
        assert envelope["sequence"] == delivery.event.pk
        assert envelope["type"] == "partner.tier_changed"
        assert (delivery.status, delivery.last_status_code) == ("delivered", 204)
        assert delivery.last_latency_ms is not None
    assert {h["user-agent"] for h in running.headers} == {sending.USER_AGENT}
    assert {h["content-type"] for h in running.headers} == {"application/json"}


@pytest.mark.django_db
def test_a_receiver_that_fails_then_times_out_then_recovers_gets_each_event_once(
    receiver: tuple[Receiver, str],
) -> None:
    running, secret = receiver
    answers = {1: Reply(status=500, body=b"boom"), 2: Reply(status=503, delay=1.0)}
    running.script = lambda webhook_id, attempt: answers.get(attempt, Reply(200, b"ok"))
    subscription_make(url=running.url, secret=secret)
    events_emit(5)

    settle()

    rows = deliveries()
    assert dict(running.verified) == {delivery.event.event_id: 1 for delivery in rows}
    assert running.refused == []
    for delivery in rows:
        assert (delivery.status, delivery.attempts) == ("delivered", 3)
        attempts = list(
            WebhookAttempt.objects.filter(delivery=delivery)
            .order_by("attempt")
            .values_list("kind", "status_code", "detail")
        )
        assert [kind for kind, _, _ in attempts] == ["retry", "retry", "delivered"]
        assert attempts[0][1] == 500
        assert attempts[1][1] is None
        assert attempts[1][2].startswith("Timed out")


@pytest.mark.django_db
def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(
    receiver: tuple[Receiver, str], settings: Any
) -> None:
    """307 would repeat the POST with its body and headers: the receiver would count it."""
    running, secret = receiver
    settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS = [60]
    running.script = lambda webhook_id, attempt: Reply(
        307, headers={"Location": running.url + "/elsewhere"}
    )
    subscription_make(url=running.url, secret=secret)
    events_emit(1)

    webhooks_dispatch()

    delivery = deliveries()[0]
    assert sum(running.requests.values()) == 1
    assert (delivery.status, delivery.last_status_code) == ("retry", 307)
    assert "redirects are not followed" in delivery.last_error


@pytest.mark.django_db
def test_an_endless_answer_is_read_up_to_64_kib(receiver: tuple[Receiver, str]) -> None:
    """The receiver streams its answer forever; the send reads 64 KiB and is done."""
    running, secret = receiver
    written: list[int] = []

    def endless(handler: Any) -> None:
        handler.rfile.read(int(handler.headers["Content-Length"]))
        handler.send_response(200)
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()
        chunk = b"x" * 4096
        total = 0
        try:
            while total < 200 * 1024 * 1024:
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                total += len(chunk)
        except (BrokenPipeError, ConnectionResetError):
            pass
        written.append(total)
        handler.close_connection = True

    running.handle = endless  # type: ignore[method-assign]
    subscription_make(url=running.url, secret=secret)
    events_emit(1)

    webhooks_dispatch()

    delivery = deliveries()[0]
    assert (delivery.status, delivery.last_status_code) == ("delivered", 200)
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.response_excerpt == "x" * 1024
    wait_for(lambda: written, timeout=10, what="the receiver to notice the closed connection")
    assert written[0] < 200 * 1024 * 1024


@pytest.fixture
def trickling_server() -> Iterator[tuple[str, list[int]]]:
    """A server on loopback that answers every request with one header line every 0.25 s
    (each line well within the read timeout), 60 lines in all, then 200: the URL, and how
    many header lines it got out before the client hung up (one entry per connection)."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    lines_sent: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.recv(65536)
                sent = 0
                try:
                    connection.sendall(b"HTTP/1.1 200 OK\r\n")
                    while sent < 60 and not stop.is_set():
                        connection.sendall(b"X-Trickle-%d: yes\r\n" % sent)
                        sent += 1
                        stop.wait(0.25)
                    connection.sendall(b"Content-Length: 0\r\n\r\n")
                except OSError:
                    pass
                lines_sent.append(sent)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/hooks", lines_sent
    finally:
        stop.set()
        thread.join(timeout=10)
        listener.close()


@pytest.mark.django_db
def test_headers_trickled_line_by_line_are_cut_off_at_the_total_timeout(
    loopback: None, settings: Any, trickling_server: tuple[str, list[int]]
) -> None:
    """Each header line comes within the read timeout, so only the total timeout (1 s here)
    can end the request: a temporary failure, long before the server would have finished."""
    settings.WEBHOOKS_TOTAL_TIMEOUT_SECONDS = 1
    settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS = [3600.0, 3600.0]
    url, lines_sent = trickling_server
    subscription_make(url=url)
    events_emit(1)

    result = webhooks_dispatch()

    delivery = deliveries()[0]
    assert (result.retried, delivery.status, delivery.last_status_code) == (1, "retry", None)
    assert delivery.last_error.startswith("Timed out (ReadTimeout).")
    wait_for(lambda: lines_sent, timeout=20, what="the server to notice the hang-up")
    assert lines_sent[0] < 60, "the request was not cut off before the answer was complete"


@pytest.mark.django_db
def test_the_connection_goes_to_the_checked_address_with_the_urls_host(
    receiver: tuple[Receiver, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    running, secret = receiver
    real = socket.getaddrinfo
    lookups: list[str] = []

    def pinned(host: str, *args: Any, **kwargs: Any) -> Any:
        lookups.append(host)
        return real("127.0.0.1" if host == "hooks.test" else host, *args, **kwargs)

    monkeypatch.setattr(sending.socket, "getaddrinfo", pinned)
    subscription_make(url=f"http://hooks.test:{running.port}/hooks", secret=secret)
    events_emit(3)

    assert webhooks_dispatch().sent == 3
    assert {h["host"] for h in running.headers} == {f"hooks.test:{running.port}"}
    # The name is looked up once (one connection, kept alive); the connection is opened to the
    # checked address itself (a numeric lookup, which no DNS answers).
    assert lookups[0] == "hooks.test"
    assert set(lookups[1:]) <= {"127.0.0.1"}
    assert lookups.count("hooks.test") == 1


@pytest.mark.django_db
def test_loopback_is_refused_unless_allowed(receiver: tuple[Receiver, str], settings: Any) -> None:
    running, secret = receiver
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    subscription, _ = subscription_make(url=f"https://localhost:{running.port}/x", secret=secret)
    events_emit(1)

    webhooks_dispatch()

    delivery = deliveries()[0]
    assert sum(running.requests.values()) == 0
    assert delivery.status == "failed"
    # What the partner reads names no address (it could be an internal one).
    assert sending.ADDRESS_REFUSED in delivery.last_error
    assert "127.0.0.1" not in delivery.last_error
    assert "127.0.0.1" not in WebhookAttempt.objects.get(delivery=delivery).detail
    subscription.refresh_from_db()
    assert subscription.status == "paused"
    assert "127.0.0.1" not in subscription.paused_reason


# --- Dispatcher processes (PostgreSQL: they share the test database) -------------------------


@pytest.fixture
def start_dispatcher() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "tests.webhooks.child_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    dispatch = ["-m", "channeldesk", "webhooks", "dispatch"]
    with python_processes(*dispatch, environment=environment, cwd=ROOT) as start:
        yield start


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.postgres_only
def test_a_dispatcher_killed_mid_delivery_loses_nothing_and_repeats_only_with_the_same_id(
    receiver: tuple[Receiver, str], start_dispatcher: Callable[..., subprocess.Popen[bytes]]
) -> None:
    """The 12th request is taken by the receiver, whose answer does not come before the
    dispatcher is killed (SIGKILL); a second dispatcher takes over once the lease ran out."""
    running, secret = receiver
    held, let_go = threading.Event(), threading.Event()
    seen = {"count": 0}
    held_id = {"id": ""}
    lock = threading.Lock()

    def script(webhook_id: str, attempt: int) -> Reply:
        with lock:
            seen["count"] += 1
            number = seen["count"]
        if number == 12:
            held_id["id"] = webhook_id
            held.set()
            let_go.wait(20)
        return Reply(200, b"ok")

    running.script = script
    subscription_make(url=running.url, secret=secret)
    events_emit(30)
    killed = start_dispatcher("--loop", "--batch", "10", "--worker", "killed")
    assert held.wait(timeout=30), "the dispatcher never reached the 12th delivery"

    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=10)
    let_go.set()  # The receiver processes the held request after all: the copy that repeats.
    restarted = start_dispatcher("--loop", "--worker", "restarted")
    wait_for(
        lambda: not WebhookDelivery.objects.exclude(status="delivered").exists(),
        timeout=30,
        what="every delivery to be delivered",
    )
    restarted.send_signal(signal.SIGTERM)
    assert restarted.wait(timeout=20) == 0

    rows = deliveries()
    ids = {delivery.event.event_id for delivery in rows}
    assert set(running.verified) == ids, "an event was lost"
    # A window's outcomes are put on record together: deliveries the killed dispatcher had
    # sent in the held one's window were unknown too, and repeat with their own webhook-id.
    doubled = {webhook_id for webhook_id, count in running.verified.items() if count > 1}
    assert set(running.verified.values()) <= {1, 2}
    expired = set(
        WebhookAttempt.objects.filter(kind="expired").values_list(
            "delivery__event__event_id", flat=True
        )
    )
    assert doubled <= expired, "only a delivery whose outcome was unknown repeats"
    assert held_id["id"] in doubled
    by_worker = dict(
        WebhookDelivery.objects.values_list("claimed_by")
        .annotate(n=Count("id"))
        .values_list("claimed_by", "n")
    )
    assert set(by_worker) <= {"killed", "restarted"}
    assert running.refused == []
