"""The dispatcher against the database, with the send step scripted: outcomes, backoff, the
pause and its e-mail, lease expiry, staff decisions, the CLI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from channeldesk.audit.models import AuditEntry
from channeldesk.notifications.models import OutboxMessage
from channeldesk.webhooks import dispatch as dispatch_module
from channeldesk.webhooks.conf import webhook_settings
from channeldesk.webhooks.dispatch import webhooks_claim, webhooks_dispatch, webhooks_expire
from channeldesk.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from channeldesk.webhooks.review import (
    WEBHOOK_REVIEW,
    WebhookDeliveryError,
    WebhookDeliveryNotFound,
    webhook_delivery_dismiss,
    webhook_delivery_release,
)
from channeldesk.webhooks.sending import SendKind, SendOutcome
from tests.webhooks.deliveries import deliveries, events_emit, subscription_make

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

type Sent = list[tuple[str, str]]


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Callable[..., Sent]:
    """`answers(outcome, ...)`: the send step answers these in turn (the last one repeats);
    returns the (url, webhook-id) of every send."""

    def install(*outcomes: SendOutcome) -> Sent:
        sent: Sent = []

        def send(client: Any, *, url: str, event_id: str, **kwargs: Any) -> SendOutcome:
            sent.append((url, event_id))
            return outcomes[min(len(sent), len(outcomes)) - 1]

        monkeypatch.setattr(dispatch_module, "webhook_send", send)
        return sent

    return install


OK = SendOutcome(SendKind.DELIVERED, 200, 12, "thanks")
DOWN = SendOutcome(SendKind.TEMPORARY, 503, 30, "maintenance", "HTTP 503")
GONE = SendOutcome(SendKind.GONE, 410, 5, "", "410 Gone: the receiver says this endpoint is gone.")


def test_a_delivered_attempt_is_recorded_on_the_delivery_and_in_its_history(
    answers: Callable[..., Sent],
) -> None:
    subscription, _secret = subscription_make()
    events_emit(3)
    sent = answers(OK)

    result = webhooks_dispatch(worker="w1")

    assert (result.claimed, result.sent, result.retried, result.failed) == (3, 3, 0, 0)
    rows = deliveries()
    assert sorted(sent) == sorted((subscription.url, d.event.event_id) for d in rows)
    for delivery in rows:
        assert delivery.status == "delivered"
        assert delivery.attempts == 1
        assert delivery.delivered_at is not None
        assert (delivery.last_status_code, delivery.last_latency_ms) == (200, 12)
        assert delivery.last_error == ""
        attempt = WebhookAttempt.objects.get(delivery=delivery)
        assert (attempt.kind, attempt.attempt, attempt.status_code) == ("delivered", 1, 200)
        assert (attempt.response_excerpt, attempt.worker) == ("thanks", "w1")
    assert webhooks_dispatch().claimed == 0


def test_a_failed_attempt_is_retried_after_the_first_wait_with_jitter(
    answers: Callable[..., Sent],
) -> None:
    subscription_make()
    events_emit(1)
    answers(DOWN)
    before = timezone.now()

    result = webhooks_dispatch()

    delivery = deliveries()[0]
    assert (result.retried, delivery.status, delivery.attempts) == (1, "retry", 1)
    low, high = webhook_settings().retry_bounds(attempts=1)
    wait = (delivery.next_attempt_at - before).total_seconds()
    assert low - 1 <= wait <= high + 1
    assert delivery.last_status_code == 503
    assert delivery.last_error.startswith("HTTP 503 Next attempt at")
    assert WebhookAttempt.objects.get(delivery=delivery).kind == "retry"
    assert webhooks_dispatch().claimed == 0, "not due before its wait is over"


def test_retry_after_of_the_receiver_sets_the_next_attempt(answers: Callable[..., Sent]) -> None:
    subscription_make()
    events_emit(1)
    answers(SendOutcome(SendKind.TEMPORARY, 429, 3, "", "HTTP 429", retry_after=3600))
    before = timezone.now()
    webhooks_dispatch()
    wait = (deliveries()[0].next_attempt_at - before).total_seconds()
    assert 3600 <= wait <= 3602


def run_until_settled(now: dt.datetime, *, rounds: int = 20) -> dt.datetime:
    """Dispatch again and again, each time when the next attempt is due."""
    for _ in range(rounds):
        due = WebhookDelivery.objects.filter(status__in=("pending", "retry"))
        if not due.exists():
            break
        now = max(now, *(d.next_attempt_at for d in due))
        webhooks_dispatch(now=now)
    return now


def test_a_delivery_failing_for_three_days_fails_and_pauses_its_subscription_with_one_email(
    answers: Callable[..., Sent],
) -> None:
    subscription, _secret = subscription_make(language="en", name="Partner CRM")
    events_emit(2)
    sent = answers(DOWN)
    start = timezone.now()

    end = run_until_settled(start)

    first, second = deliveries()
    assert first.status == "failed"
    assert first.attempts == webhook_settings().max_attempts == 10
    assert dt.timedelta(days=1) < end - start < dt.timedelta(days=5)
    assert first.last_error.startswith("Gave up after 10 attempts: HTTP 503")
    kinds = list(WebhookAttempt.objects.filter(delivery=first).values_list("kind", flat=True))
    assert kinds == ["retry"] * 9 + ["failed"]
    subscription.refresh_from_db()
    assert subscription.status == "paused"
    assert "failed for good" in subscription.paused_reason
    assert len(sent) <= 20
    # The second delivery failed in the same run or waits: it sent no second e-mail.
    assert second.status in ("failed", "retry")
    (email,) = OutboxMessage.objects.filter(category="webhooks:paused")
    assert email.to == ["integrations@example.com"]
    assert email.language == "en"
    assert email.subject == "Webhook paused: Partner CRM"
    assert subscription.url in email.text_body
    assert "HTTP 503" in email.text_body


def test_410_gone_fails_at_once_and_pauses(answers: Callable[..., Sent]) -> None:
    subscription, _secret = subscription_make(language="de")
    events_emit(1)
    answers(GONE)
    result = webhooks_dispatch()
    assert result.failed == 1
    assert deliveries()[0].status == "failed"
    subscription.refresh_from_db()
    assert subscription.status == "paused"
    (email,) = OutboxMessage.objects.filter(category="webhooks:paused")
    assert email.language == "de"


def test_deliveries_of_a_paused_subscription_wait_and_go_out_once_resumed(
    answers: Callable[..., Sent],
) -> None:
    subscription, _secret = subscription_make(status="paused")
    events_emit(2)
    sent = answers(OK)

    assert webhooks_dispatch().claimed == 0
    assert {d.status for d in deliveries()} == {"pending"}

    WebhookSubscription.objects.filter(pk=subscription.pk).update(status="active")
    assert webhooks_dispatch().sent == 2
    assert len(sent) == 2


def test_a_subscription_paused_between_claim_and_send_gets_nothing(
    answers: Callable[..., Sent],
) -> None:
    subscription_make()
    events_emit(2)
    sent = answers(OK)
    claim = webhooks_claim(now=timezone.now(), limit=10, worker="w")
    assert claim is not None
    claim.targets = {
        pk: dispatch_module.Target(t.url, t.secret, active=False) for pk, t in claim.targets.items()
    }
    with dispatch_module.webhook_client(webhook_settings()) as client:
        result = dispatch_module.webhooks_deliver(
            claim, client=client, config=webhook_settings(), clock=timezone.now
        )
    assert (result.returned, sent) == (2, [])
    assert {(d.status, d.attempts, d.claim_token) for d in deliveries()} == {("pending", 0, None)}


def test_a_secret_that_no_key_opens_fails_the_delivery(
    answers: Callable[..., Sent], settings: Any
) -> None:
    subscription_make()
    events_emit(1)
    sent = answers(OK)
    settings.SECRET_KEY = "a different key after a careless rotation!"
    webhooks_dispatch()
    assert sent == []
    delivery = deliveries()[0]
    assert delivery.status == "failed"
    assert "rotate the subscription's secret" in delivery.last_error


# --- Lease expiry ---------------------------------------------------------------------------


def test_a_delivery_left_sending_by_a_dead_worker_is_retried_with_an_expired_attempt() -> None:
    subscription_make()
    events_emit(2)
    now = timezone.now()
    claim = webhooks_claim(now=now, limit=10, worker="dead:1")
    assert claim is not None
    sending, claimed = claim.deliveries
    WebhookDelivery.objects.filter(pk=sending.pk).update(status="sending", attempts=1)

    assert webhooks_expire(now=now + dt.timedelta(seconds=60)).expired == 0
    result = webhooks_expire(now=now + webhook_settings().lease + dt.timedelta(seconds=1))

    assert (result.expired, result.returned) == (1, 1)
    sending.refresh_from_db()
    claimed.refresh_from_db()
    assert (sending.status, sending.attempts) == ("retry", 1)
    assert (claimed.status, claimed.attempts, claimed.claim_token) == ("pending", 0, None)
    attempt = WebhookAttempt.objects.get(delivery=sending)
    assert attempt.kind == "expired"
    assert attempt.worker == "dead:1"
    assert "Outcome unknown" in attempt.detail
    assert not WebhookAttempt.objects.filter(delivery=claimed).exists()


def test_a_late_report_after_the_lease_was_settled_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The dispatcher is so slow that its lease runs out while it sends, and another run
    settles the delivery (expired, retry) before the answer comes: the answer is kept as
    `late` and changes nothing."""
    subscription_make()
    events_emit(1)

    def slow_send(client: Any, **kwargs: Any) -> SendOutcome:
        later = timezone.now() + webhook_settings().lease + dt.timedelta(seconds=1)
        webhooks_expire(now=later)
        return OK

    monkeypatch.setattr(dispatch_module, "webhook_send", slow_send)

    result = webhooks_dispatch(worker="slow")

    assert (result.sent, result.retried) == (0, 0)
    delivery = deliveries()[0]
    assert delivery.status == "retry"
    kinds = list(WebhookAttempt.objects.filter(delivery=delivery).values_list("kind", flat=True))
    assert sorted(kinds) == ["expired", "late"]


# --- Staff decisions ------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["failed", "dismissed", "delivered"])
def test_send_again_puts_a_delivery_back_with_attempts_afresh(status: str, personas: Any) -> None:
    subscription_make()
    events_emit(1)
    delivery = deliveries()[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status, attempts=10)

    released = webhook_delivery_release(
        delivery_id=delivery.pk, actor=personas.staff, note="Receiver lost it"
    )

    assert (released.status, released.attempts) == ("pending", 0)
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.kind == "released"
    assert attempt.actor == personas.staff
    assert "Receiver lost it" in attempt.detail
    entry = AuditEntry.objects.get(kind="webhooks.delivery_release")
    assert entry.changes["status"] == [status, "pending"]


@pytest.mark.parametrize("status", ["pending", "retry", "claimed", "sending"])
def test_send_again_is_refused_for_a_delivery_on_its_way(status: str) -> None:
    subscription_make()
    events_emit(1)
    delivery = deliveries()[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status, attempts=2)
    with pytest.raises(WebhookDeliveryError, match="can be sent again"):
        webhook_delivery_release(delivery_id=delivery.pk, actor=None)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (status, 2)
    assert not WebhookAttempt.objects.exists()


@pytest.mark.parametrize("status", ["pending", "retry", "failed"])
def test_dismiss_closes_a_delivery_with_its_reason(status: str) -> None:
    subscription_make()
    events_emit(1)
    delivery = deliveries()[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status)
    dismissed = webhook_delivery_dismiss(delivery_id=delivery.pk, actor=None, reason="Moot")
    assert dismissed.status == "dismissed"
    assert WebhookAttempt.objects.get(delivery=delivery).detail == f"Dismissed from {status}: Moot"


@pytest.mark.parametrize(
    ("status", "reason"), [("delivered", "x"), ("sending", "x"), ("failed", " ")]
)
def test_dismiss_is_refused_without_a_reason_or_for_a_sent_or_held_delivery(
    status: str, reason: str
) -> None:
    subscription_make()
    events_emit(1)
    delivery = deliveries()[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=status)
    with pytest.raises(WebhookDeliveryError):
        webhook_delivery_dismiss(delivery_id=delivery.pk, actor=None, reason=reason)
    delivery.refresh_from_db()
    assert delivery.status == status
    assert not WebhookAttempt.objects.exists()


def test_an_unknown_delivery_is_not_found() -> None:
    with pytest.raises(WebhookDeliveryNotFound):
        webhook_delivery_release(delivery_id=999_999, actor=None)
    with pytest.raises(WebhookDeliveryNotFound):
        WEBHOOK_REVIEW.get("999999")


# --- The CLI --------------------------------------------------------------------------------


def test_the_cli_dispatches_releases_and_dismisses(answers: Callable[..., Sent]) -> None:
    subscription_make()
    events_emit(2)
    answers(OK)
    out = StringIO()
    call_command("webhooks", "dispatch", "--worker", "cli", "--format", "json", stdout=out)
    (report,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert report == {
        "label": "run",
        "claimed": 2,
        "sent": 2,
        "retried": 0,
        "failed": 0,
        "expired": 0,
        "returned": 0,
    }
    first, second = deliveries()
    out = StringIO()
    call_command("webhooks", "release", str(first.pk), "--note", "lost", stdout=out)
    assert f"Webhook delivery {first.pk}: pending" in out.getvalue()
    with pytest.raises(CommandError, match="only failed, dismissed, delivered deliveries"):
        call_command("webhooks", "release", str(first.pk), stdout=StringIO())
    WebhookDelivery.objects.filter(pk=second.pk).update(status="failed")
    out = StringIO()
    call_command("webhooks", "dismiss", str(second.pk), "--reason", "moot", stdout=out)
    assert f"Webhook delivery {second.pk}: dismissed" in out.getvalue()


def test_the_job_runs_the_dispatch(answers: Callable[..., Sent]) -> None:
    from channeldesk.jobs.webhooks import webhooks_minutely_dispatch

    subscription_make()
    events_emit(1)
    answers(OK)
    result = webhooks_minutely_dispatch.call_local()
    assert result.sent == 1
