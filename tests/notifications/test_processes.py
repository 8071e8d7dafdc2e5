"""Dispatcher processes against PostgreSQL: racing each other, and killed mid-batch.

The dispatchers are `channeldesk outbox dispatch` processes reaching the test database and the
SMTP server on loopback like any deployment would; the SMTP server counts Message-IDs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from channeldesk.notifications.models import OutboxMessage
from tests.notifications.factories import enqueue_many
from tests.notifications.sink import SmtpSink
from tests.operations.children import database_url, python_processes
from tests.operations.production_processes import wait_for

# PostgreSQL only (skipped at collection elsewhere): the races test the claim (FOR UPDATE SKIP
# LOCKED) with processes sharing the database server.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres_only,
    pytest.mark.slow,
]

ROOT = Path(__file__).resolve().parents[2]
IN_FLIGHT = ("pending", "retry", "claimed", "sending")


@pytest.fixture
def start_dispatcher(smtp_sink: SmtpSink) -> Iterator[Callable[..., subprocess.Popen]]:
    """Starts `channeldesk outbox dispatch ...`; whatever is still running is killed after."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "EMAIL_URL": smtp_sink.url,
        "DJANGO_SETTINGS_MODULE": "tests.notifications.child_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    dispatch = ["-m", "channeldesk", "outbox", "dispatch"]
    with python_processes(*dispatch, environment=environment, cwd=ROOT) as start:
        yield start


def other_connections() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return int(cursor.fetchone()[0])


def settled() -> bool:
    return not OutboxMessage.objects.filter(status__in=IN_FLIGHT).exists()


def stop(process: subprocess.Popen) -> str:
    """SIGTERM, as systemd would; the loop finishes its run and exits cleanly."""
    process.send_signal(signal.SIGTERM)
    try:
        out, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)  # faulthandler (child_settings): every stack
        time.sleep(2)
        process.kill()
        out, err = process.communicate(timeout=30)
        raise AssertionError(
            f"The dispatcher did not stop within 30 s of SIGTERM; it was here:\n{err.decode()}"
        ) from None
    assert process.returncode == 0, err.decode()
    return out.decode()


def test_two_dispatcher_processes_deliver_every_message_exactly_once(
    smtp_sink: SmtpSink, start_dispatcher: Callable[..., subprocess.Popen]
) -> None:
    smtp_sink.handler.delay = 0.002
    first = start_dispatcher("--loop", "--batch", "20", "--worker", "first")
    second = start_dispatcher("--loop", "--batch", "20", "--worker", "second")
    wait_for(lambda: other_connections() >= 2, what="both dispatchers to be polling")

    messages = enqueue_many(600)
    wait_for(settled, what="every message to be settled")
    stop(first), stop(second)

    assert smtp_sink.message_ids == {message.message_id: 1 for message in messages}
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    by_worker = dict(
        OutboxMessage.objects.values_list("claimed_by")
        .annotate(n=Count("id"))
        .values_list("claimed_by", "n")
    )
    assert set(by_worker) == {"first", "second"}
    assert sum(by_worker.values()) == 600


def test_a_dispatcher_killed_mid_batch_and_restarted_loses_nothing_and_sends_nothing_twice(
    smtp_sink: SmtpSink, start_dispatcher: Callable[..., subprocess.Popen]
) -> None:
    """The 60th message is taken by the server, whose answer never comes: the dispatcher is
    killed (SIGKILL) while it waits, in the middle of its second batch."""
    messages = enqueue_many(200)
    held = smtp_sink.hold_answer_at(60)
    killed = start_dispatcher("--loop", "--batch", "50", "--worker", "killed")
    assert held.wait(timeout=60), "the dispatcher never reached the 60th message"

    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    in_flight = dict(
        OutboxMessage.objects.filter(
            claimed_by="killed", status__in=("claimed", "sending")
        ).values_list("idempotency_key", "status")
    )
    restarted = start_dispatcher("--loop", "--worker", "restarted")
    wait_for(settled, what="the restarted dispatcher to settle everything")
    stop(restarted)

    delivered = smtp_sink.message_ids
    assert max(delivered.values()) == 1, "a message was delivered twice"
    rows = {m.message_id: m for m in OutboxMessage.objects.all()}
    sent = {mid for mid, m in rows.items() if m.status == "sent"}
    review = {mid for mid, m in rows.items() if m.status == "review"}
    assert len(sent) + len(review) == len(messages) == 200
    assert sent <= set(delivered), "a message recorded as sent never arrived"
    assert set(delivered) - sent <= review, "a delivered message is neither sent nor in review"
    sixtieth = smtp_sink.received[59].message_id
    assert sixtieth in review
    assert {rows[mid].idempotency_key for mid in review} <= {
        key for key, status in in_flight.items() if status == "sending"
    }
    assert "claimed" in in_flight.values(), "the kill did not land mid-batch"
