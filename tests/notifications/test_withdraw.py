"""Callers withdraw messages whose occasion went away, and domains' send-time checks drop moot
ones; neither ever stops a message already on its way, and neither sends anything twice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence

import pytest
from django.core.mail import EmailMessage

from channeldesk.notifications import checks
from channeldesk.notifications.dispatch import outbox_claim, outbox_dispatch
from channeldesk.notifications.leases import DispatchResult
from channeldesk.notifications.models import OutboxMessage
from channeldesk.notifications.services import OutboxError, outbox_dismiss_many
from tests.notifications.backends import HookBackend
from tests.notifications.factories import NOW, enqueue, statuses

pytestmark = pytest.mark.django_db


def history(key: str) -> list[tuple[str, str]]:
    message = OutboxMessage.objects.get(idempotency_key=key)
    return list(message.events.order_by("id").values_list("kind", "detail"))


@pytest.fixture
def test_check() -> Iterator[list[list[str]]]:
    """A send-time check for the `test:` categories: messages whose subject says "moot" are."""
    calls: list[list[str]] = []

    def check(messages: Sequence[OutboxMessage], now: dt.datetime) -> Mapping[int, str]:
        calls.append([message.idempotency_key for message in messages])
        return {message.pk: "Occasion gone." for message in messages if "moot" in message.subject}

    before = dict(checks.SEND_CHECKS)
    checks.send_check_register(category_prefix="test:", check=check)
    yield calls
    checks.SEND_CHECKS.clear()
    checks.SEND_CHECKS.update(before)


def test_withdrawing_dismisses_unsent_messages_claimed_ones_included() -> None:
    for key in ("pending", "retry", "claimed", "sending", "sent", "other"):
        enqueue(key)
    for status in ("retry", "claimed", "sending", "sent"):
        OutboxMessage.objects.filter(idempotency_key=status).update(status=status)

    withdrawn = outbox_dismiss_many(
        keys=["pending", "retry", "claimed", "sending", "sent", "unknown"],
        reason="Contract renewed.",
        now=NOW,
    )

    assert sorted(message.idempotency_key for message in withdrawn) == [
        "claimed",
        "pending",
        "retry",
    ]
    assert statuses() == {
        "pending": "dismissed",
        "retry": "dismissed",
        "claimed": "dismissed",
        "sending": "sending",
        "sent": "sent",
        "other": "pending",
    }
    assert history("claimed")[-1] == ("dismissed", "Dismissed from claimed: Contract renewed.")
    assert OutboxMessage.objects.get(idempotency_key="claimed").claim_token is None


def test_withdrawing_needs_a_reason_and_then_changes_nothing() -> None:
    enqueue("pending")

    with pytest.raises(OutboxError):
        outbox_dismiss_many(keys=["pending"], reason="  ")

    assert statuses() == {"pending": "pending"}
    assert [kind for kind, _ in history("pending")] == ["enqueued"]


def test_a_withdrawn_claimed_message_is_not_sent_by_the_dispatcher_holding_it(
    hook_mailer: type[HookBackend], settings
) -> None:
    settings.OUTBOX_WINDOW = 1
    enqueue("first", subject="First", now=NOW)
    enqueue("second", subject="Second", now=NOW + dt.timedelta(seconds=1))

    def withdraw_the_second(email: EmailMessage) -> None:
        if email.subject == "First":
            outbox_dismiss_many(keys=["second"], reason="Occasion gone.")

    hook_mailer.before_send = withdraw_the_second
    result = outbox_dispatch(now=NOW + dt.timedelta(minutes=1))

    assert [email.subject for email in hook_mailer.delivered] == ["First"]
    assert result == DispatchResult(claimed=2, sent=1)
    assert statuses() == {"first": "sent", "second": "dismissed"}


def test_a_send_time_check_dismisses_the_moot_messages_of_its_categories(
    hook_mailer: type[HookBackend], test_check: list[list[str]]
) -> None:
    enqueue("test:1", category="test:a", subject="still wanted")
    enqueue("test:2", category="test:b", subject="moot now")
    enqueue("plain", category="other", subject="moot too, but no check covers it")

    result = outbox_dispatch(now=NOW + dt.timedelta(minutes=1))

    assert test_check == [["test:1", "test:2"]]
    assert result == DispatchResult(claimed=3, sent=2, dismissed=1)
    assert statuses() == {"test:1": "sent", "test:2": "dismissed", "plain": "sent"}
    assert history("test:2")[-1][1] == "Dismissed from claimed at send time: Occasion gone."
    assert sorted(email.subject for email in hook_mailer.delivered) == [
        "moot too, but no check covers it",
        "still wanted",
    ]


def test_a_check_does_not_dismiss_a_message_another_dispatcher_holds(
    hook_mailer: type[HookBackend], test_check: list[list[str]]
) -> None:
    enqueue("test:1", category="test:a", subject="moot now")
    held = outbox_claim(now=NOW, limit=10, worker="other")
    assert held is not None

    result = outbox_dispatch(now=NOW + dt.timedelta(minutes=1))

    assert result == DispatchResult()
    assert test_check == []
    assert statuses() == {"test:1": "claimed"}


def test_a_check_needs_a_category_prefix() -> None:
    with pytest.raises(ValueError, match="category prefix"):
        checks.send_check_register(category_prefix="", check=lambda messages, now: {})
