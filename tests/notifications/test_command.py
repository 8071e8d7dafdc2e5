"""`channeldesk outbox ...`: dispatch, list, show, release and dismiss from the shell."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from channeldesk.notifications.models import OutboxMessage
from tests.notifications.factories import enqueue, enqueue_many
from tests.notifications.sink import SmtpSink

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("outbox", *args, stdout=out)
    return out.getvalue()


def test_dispatch_sends_what_is_due_and_says_so(smtp_sink: SmtpSink) -> None:
    messages = enqueue_many(3)

    output = run("dispatch", "--limit", "2", "--format", "json")
    again = run("dispatch")

    assert json.loads(output) == {
        "label": "run",
        "claimed": 2,
        "sent": 2,
        "retried": 0,
        "failed": 0,
        "unknown": 0,
        "expired": 0,
        "returned": 0,
        "dismissed": 0,
        "review": 0,
    }
    assert again.strip() == (
        "run: claimed 1, sent 1, retry 0, failed 0, review 0, returned 0, dismissed 0"
    )
    assert smtp_sink.message_ids == {message.message_id: 1 for message in messages}


def test_list_shows_only_the_asked_statuses() -> None:
    enqueue("a")
    enqueue("b")
    OutboxMessage.objects.filter(idempotency_key="b").update(status="failed", last_error="550")

    rows = [
        json.loads(line)
        for line in run("list", "--status", "failed", "--format", "json").splitlines()
    ]

    assert [(row["key"], row["status"], row["last_error"]) for row in rows] == [
        ("b", "failed", "550")
    ]


def test_show_prints_the_history() -> None:
    enqueue("reminder:1:partner")

    document = json.loads(run("show", "reminder:1:partner", "--format", "json"))

    assert document["key"] == "reminder:1:partner"
    assert [event["kind"] for event in document["history"]] == ["enqueued"]


def test_release_and_dismiss_settle_messages_in_review() -> None:
    enqueue("a")
    enqueue("b")
    OutboxMessage.objects.update(status="review")

    released = run("release", "a", "--note", "Not arrived.")
    dismissed = run("dismiss", "b", "--reason", "Arrived.")

    assert (released.strip(), dismissed.strip()) == ("a: pending", "b: dismissed")
    assert dict(OutboxMessage.objects.values_list("idempotency_key", "status")) == {
        "a": "pending",
        "b": "dismissed",
    }


def test_release_of_an_unknown_key_or_a_sent_message_fails_and_changes_nothing() -> None:
    enqueue("sent")
    OutboxMessage.objects.update(status="sent")

    with pytest.raises(CommandError, match="No outbox message has the key 'nope'"):
        run("release", "nope")
    with pytest.raises(CommandError, match="sent is sent; only review, failed"):
        run("release", "sent")

    assert OutboxMessage.objects.get().status == "sent"


def test_list_counts_the_messages_per_status_above_the_table() -> None:
    enqueue("a")
    enqueue("b")
    OutboxMessage.objects.filter(idempotency_key="b").update(status="review")

    output = run("list")

    assert (
        "pending 1 · claimed 0 · sending 0 · sent 0 · retry 0 · failed 0 · review 1 · dismissed 0"
        in output
    )
