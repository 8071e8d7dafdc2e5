"""Unknown outcomes go to review, never out again by themselves; staff release or dismiss."""

import datetime as dt
import time
from collections.abc import Callable

import pytest
from django.core.mail import EmailMessage

from channeldesk.notifications.dispatch import (
    outbox_claim,
    outbox_dispatch,
    outbox_expire,
)
from channeldesk.notifications.leases import DispatchResult
from channeldesk.notifications.models import OutboxMessage
from channeldesk.notifications.services import OutboxError, outbox_dismiss, outbox_release
from tests.notifications.backends import HookBackend
from tests.notifications.factories import NOW, enqueue, enqueue_many, statuses

pytestmark = pytest.mark.django_db

LEASE_OVER = NOW + dt.timedelta(seconds=301)


class Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no handler sees it."""


def die_on(subject: str):
    def before_send(message: EmailMessage) -> None:
        if message.subject == subject:
            raise Killed

    return before_send


def in_review_after_a_killed_send(hook_mailer: type[HookBackend]) -> OutboxMessage:
    """A message whose dispatcher was killed while sending it, moved to review when its lease
    ran out (at LEASE_OVER)."""
    message = enqueue()
    hook_mailer.before_send = die_on(message.subject)
    with pytest.raises(Killed):
        outbox_dispatch(now=NOW)
    hook_mailer.before_send = None
    outbox_expire(now=LEASE_OVER)
    return message


def events(key: str) -> list[str]:
    """In the order written (the tests' clocks are fixed, real ones only move forward)."""
    message = OutboxMessage.objects.get(idempotency_key=key)
    return list(message.events.order_by("id").values_list("kind", flat=True))


def test_with_a_window_of_one_a_death_mid_batch_leaves_only_the_message_in_flight_for_review(
    hook_mailer: type[HookBackend], settings
) -> None:
    settings.OUTBOX_WINDOW = 1
    messages = enqueue_many(5)
    hook_mailer.before_send = die_on("Message 2")
    with pytest.raises(Killed):
        outbox_dispatch(now=NOW, worker="dead")
    assert statuses() == {
        "bulk:0": "sent",
        "bulk:1": "sent",
        "bulk:2": "sending",
        "bulk:3": "claimed",
        "bulk:4": "claimed",
    }
    hook_mailer.before_send = None

    while_held = outbox_dispatch(now=NOW + dt.timedelta(seconds=299), worker="next")
    after_lease = outbox_dispatch(now=LEASE_OVER, worker="next")

    assert while_held == DispatchResult()
    assert after_lease == DispatchResult(expired=1, returned=2, claimed=2, sent=2)
    assert statuses()["bulk:2"] == "review"
    assert events("bulk:2") == ["enqueued", "review"]
    assert events("bulk:3") == ["enqueued", "returned", "sent"]
    review = OutboxMessage.objects.get(idempotency_key="bulk:2")
    assert review.events.get(kind="review").worker == "dead"
    assert sorted(hook_mailer.delivered_ids()) == sorted(
        m.message_id for m in messages if m.idempotency_key != "bulk:2"
    )
    assert outbox_dispatch(now=LEASE_OVER + dt.timedelta(days=1)).claimed == 0


def test_a_window_of_three_puts_the_whole_window_in_flight_in_review(
    hook_mailer: type[HookBackend], settings
) -> None:
    settings.OUTBOX_WINDOW = 3
    enqueue_many(5)
    hook_mailer.before_send = die_on("Message 1")
    with pytest.raises(Killed):
        outbox_dispatch(now=NOW)
    hook_mailer.before_send = None

    result = outbox_dispatch(now=LEASE_OVER)

    assert result == DispatchResult(expired=3, returned=2, claimed=2, sent=2)
    assert [statuses()[f"bulk:{n}"] for n in range(5)] == ["review"] * 3 + ["sent"] * 2
    assert len(hook_mailer.delivered) == 3


def test_a_released_review_message_is_sent_once_more(hook_mailer: type[HookBackend]) -> None:
    message = in_review_after_a_killed_send(hook_mailer)

    released = outbox_release(message=message, note="Partner says nothing arrived.", now=LEASE_OVER)
    result = outbox_dispatch(now=LEASE_OVER)

    assert (released.status, released.attempts) == ("pending", 0)
    assert result == DispatchResult(claimed=1, sent=1)
    assert hook_mailer.delivered_ids() == [message.message_id]
    assert events(message.idempotency_key) == ["enqueued", "review", "released", "sent"]
    release = OutboxMessage.objects.get().events.get(kind="released")
    assert (
        release.detail == "Released from review after 1 attempt(s). Partner says nothing arrived."
    )


def test_a_dismissed_message_is_never_sent_and_says_who_and_why(
    hook_mailer: type[HookBackend], personas
) -> None:
    message = in_review_after_a_killed_send(hook_mailer)

    outbox_dismiss(message=message, reason="Arrived, partner confirmed.", actor=personas.staff)

    assert outbox_dispatch(now=LEASE_OVER + dt.timedelta(days=1)).claimed == 0
    assert hook_mailer.delivered == []
    dismissed = OutboxMessage.objects.get()
    assert dismissed.status == "dismissed"
    event = dismissed.events.get(kind="dismissed")
    assert (event.actor, event.detail) == (
        personas.staff,
        "Dismissed from review: Arrived, partner confirmed.",
    )


def test_a_pending_message_can_be_dismissed_before_it_goes_out(
    hook_mailer: type[HookBackend],
) -> None:
    message = enqueue()

    outbox_dismiss(message=message, reason="Contract renewed meanwhile.")

    assert outbox_dispatch(now=NOW).claimed == 0
    assert hook_mailer.delivered == []


@pytest.mark.usefixtures("quick_retries")
def test_a_failed_message_released_gets_all_its_attempts_again(smtp_sink) -> None:
    smtp_sink.answer_data_with(*["451 4.3.0 Mailbox busy"] * 3)
    message = enqueue()
    for seconds in (0, 60, 180):
        outbox_dispatch(now=NOW + dt.timedelta(seconds=seconds))
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)

    outbox_release(message=message, now=NOW + dt.timedelta(hours=1))
    outbox_dispatch(now=NOW + dt.timedelta(hours=1))

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert smtp_sink.message_ids == {message.message_id: 1}


def release(message: OutboxMessage) -> None:
    outbox_release(message=message)


def dismiss(message: OutboxMessage) -> None:
    outbox_dismiss(message=message, reason="No longer needed.")


@pytest.mark.parametrize(
    ("action", "status", "refusal"),
    [
        *(
            (release, status, f"is {status}; only review, failed messages")
            for status in ("pending", "sending", "sent", "dismissed")
        ),
        *(
            (dismiss, status, f"is {status}; only")
            for status in ("claimed", "sending", "sent", "dismissed")
        ),
    ],
)
def test_release_and_dismiss_refuse_what_they_cannot_act_on(
    action: Callable[[OutboxMessage], None], status: str, refusal: str
) -> None:
    """Release takes only what is in review or failed; dismiss nothing held or settled."""
    message = enqueue()
    OutboxMessage.objects.update(status=status)
    before = list(OutboxMessage.objects.values())

    with pytest.raises(OutboxError, match=refusal):
        action(message)

    assert list(OutboxMessage.objects.values()) == before
    assert events(message.idempotency_key) == ["enqueued"]


def test_dismiss_needs_a_reason() -> None:
    message = enqueue()

    with pytest.raises(OutboxError, match="Say why"):
        outbox_dismiss(message=message, reason="  ")

    assert OutboxMessage.objects.get().status == "pending"


def test_a_slow_dispatcher_whose_lease_ran_out_still_settles_its_send_as_sent(
    hook_mailer: type[HookBackend],
) -> None:
    """Another dispatcher moved the message to review meanwhile; the real outcome wins."""
    message = enqueue()
    hook_mailer.before_send = lambda _: outbox_expire(now=LEASE_OVER)

    result = outbox_dispatch(now=NOW)

    assert result == DispatchResult(claimed=1, sent=1)
    assert OutboxMessage.objects.get().status == "sent"
    assert events(message.idempotency_key) == ["enqueued", "review", "sent"]


def test_a_report_arriving_after_staff_released_the_message_changes_nothing(
    hook_mailer: type[HookBackend],
) -> None:
    message = enqueue()

    def released_meanwhile(_: EmailMessage) -> None:
        outbox_expire(now=LEASE_OVER)
        outbox_release(message=message, now=LEASE_OVER)

    hook_mailer.before_send = released_meanwhile

    result = outbox_dispatch(now=NOW)

    assert result == DispatchResult(claimed=1)
    assert OutboxMessage.objects.get().status == "pending"
    assert events(message.idempotency_key) == ["enqueued", "review", "released", "late"]


def test_a_dispatcher_starts_no_send_in_the_second_half_of_its_lease(
    hook_mailer: type[HookBackend], settings
) -> None:
    settings.OUTBOX_LEASE_SECONDS = 0.2
    settings.OUTBOX_WINDOW = 1
    enqueue_many(4)
    hook_mailer.before_send = lambda _: time.sleep(0.15)

    result = outbox_dispatch(now=NOW, limit=4)

    assert result == DispatchResult(claimed=4, sent=1, returned=3)
    assert [statuses()[f"bulk:{n}"] for n in range(4)] == ["sent"] + ["pending"] * 3
    assert events("bulk:1") == ["enqueued", "returned"]


def test_a_dead_claim_on_a_message_that_was_tried_before_goes_back_to_retry() -> None:
    message = enqueue()
    OutboxMessage.objects.update(status="retry", attempts=2)
    claim = outbox_claim(now=NOW, limit=10, worker="dead")
    assert claim is not None

    result = outbox_expire(now=LEASE_OVER)

    assert result == DispatchResult(returned=1)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.claim_token) == ("retry", 2, None)
    assert (
        message.events.get(kind="returned").detail == "The lease of dead ran out before it tried."
    )
