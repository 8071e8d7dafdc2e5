"""Whatever a receiver answers, and whatever staff do to a subscription while its deliveries are
being sent, the dispatcher records every outcome of its window and never crashes: odd
Retry-After values, NUL bytes in an answer, an exception inside the request, a subscription
deleted or paused between the claim and the send."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from django.utils import timezone

from channeldesk.webhooks import dispatch as dispatch_module
from channeldesk.webhooks import sending
from channeldesk.webhooks.conf import webhook_settings
from channeldesk.webhooks.dispatch import webhooks_claim, webhooks_deliver, webhooks_dispatch
from channeldesk.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from channeldesk.webhooks.secrets import webhook_secret_generate
from channeldesk.webhooks.sending import SendKind, SendOutcome
from tests.webhooks.deliveries import deliveries, events_emit, subscription_make

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

OK = SendOutcome(SendKind.DELIVERED, 200, 12, "thanks")


def mock_client(monkeypatch: pytest.MonkeyPatch, settings: Any, answer: Any) -> None:
    """The dispatcher's HTTP client answers every request with `answer(request)`. A setting
    of its own makes the dispatcher make a new client rather than keep the one it has."""
    settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS = 4.25
    client = httpx.Client(transport=httpx.MockTransport(answer), follow_redirects=False)
    monkeypatch.setattr(dispatch_module, "webhook_client", lambda config: client)


# --- What a receiver answers ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "١٢", "Mon, 99 Foo 2026 99:99:99 GMT", "Fri, 31 Dec 99999"])
def test_a_retry_after_that_is_no_number_and_no_date_is_ignored(value: str) -> None:
    headers = httpx.Headers([(b"Retry-After", value.encode())])  # as a receiver sends it
    assert headers["retry-after"] == value
    assert sending.retry_after_seconds(headers) is None


def test_nul_bytes_and_lone_surrogates_never_reach_the_database() -> None:
    assert sending.storable_text("a\x00b\udc80c") == "a\ufffdb?c"


def test_an_answer_with_a_nul_byte_and_a_superscript_retry_after_is_recorded(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    subscription_make()
    events_emit(2)
    mock_client(
        monkeypatch,
        settings,
        lambda request: httpx.Response(
            503,
            content=iter([b"down\x00for maintenance"]),  # streamed, as on the wire
            headers=[(b"Retry-After", "²".encode()), (b"X-Note", b"nul\x00")],
        ),
    )

    result = webhooks_dispatch()

    assert (result.claimed, result.retried) == (2, 2)
    for delivery in deliveries():
        assert delivery.status == "retry"
        attempt = WebhookAttempt.objects.get(delivery=delivery)
        assert attempt.response_excerpt == "down\ufffdfor maintenance"
        assert "\x00" not in attempt.detail


def test_an_exception_inside_the_request_is_a_temporary_failure_named_by_its_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash(request: httpx.Request) -> httpx.Response:
        raise RuntimeError("something inside the HTTP stack\x00")

    config = webhook_settings()
    with httpx.Client(transport=httpx.MockTransport(crash)) as client:
        outcome = sending.webhook_send(
            client,
            url="https://hooks.example.com/x",
            event_id="evt_1",
            body=b"{}",
            secret=webhook_secret_generate(),
            config=config,
            now=dt.datetime.now(dt.UTC),
        )
    assert outcome.kind is SendKind.TEMPORARY
    assert "RuntimeError" in outcome.error
    assert "\x00" not in outcome.error


def test_one_send_that_raises_loses_none_of_the_windows_other_outcomes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    subscription_make()
    events_emit(3)
    calls: list[str] = []

    def send(client: Any, *, event_id: str, **kwargs: Any) -> SendOutcome:
        calls.append(event_id)
        if len(calls) == 2:
            raise ValueError("a bug in one delivery")
        return OK

    monkeypatch.setattr(dispatch_module, "webhook_send", send)

    result = webhooks_dispatch()

    assert (result.claimed, result.sent, result.retried) == (3, 2, 1)
    statuses = sorted(d.status for d in deliveries())
    assert statuses == ["delivered", "delivered", "retry"]
    failed = WebhookDelivery.objects.get(status="retry")
    assert "ValueError" in failed.last_error
    assert WebhookAttempt.objects.count() == 3


# --- Subscriptions changed while their deliveries are sent ----------------------------------


def two_subscriptions() -> tuple[WebhookSubscription, WebhookSubscription]:
    first, _ = subscription_make(url="https://one.example.com/hook", name="One")
    second, _ = subscription_make(url="https://two.example.com/hook", name="Two")
    events_emit(2)
    return first, second


def test_a_subscription_deleted_while_its_delivery_is_sent_leaves_the_others_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = two_subscriptions()
    gone = list(WebhookDelivery.objects.filter(subscription=first).values_list("pk", flat=True))

    def send(client: Any, *, url: str, **kwargs: Any) -> SendOutcome:
        if url == first.url:
            WebhookSubscription.objects.filter(pk=first.pk).delete()
        return OK

    monkeypatch.setattr(dispatch_module, "webhook_send", send)

    result = webhooks_dispatch()

    assert result.sent == 2
    assert not WebhookAttempt.objects.filter(delivery_id__in=gone).exists()
    kept = WebhookDelivery.objects.filter(subscription=second)
    assert {d.status for d in kept} == {"delivered"}
    assert WebhookAttempt.objects.filter(delivery__in=kept, kind="delivered").count() == 2


def test_a_subscription_deleted_between_claim_and_send_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = two_subscriptions()
    sent: list[str] = []

    def send(client: Any, *, url: str, **kwargs: Any) -> SendOutcome:
        sent.append(url)
        return OK

    monkeypatch.setattr(dispatch_module, "webhook_send", send)
    claim = webhooks_claim(now=timezone.now(), limit=10, worker="w")
    assert claim is not None
    WebhookSubscription.objects.filter(pk=first.pk).delete()
    claim.targets.pop(first.pk)  # as if deleted before the claim read the targets

    result = webhooks_deliver(
        claim, client=httpx.Client(), config=webhook_settings(), clock=timezone.now
    )

    assert set(sent) == {second.url}
    assert result.sent == 2
    assert {d.status for d in deliveries()} == {"delivered"}


def test_a_subscription_paused_after_the_claim_is_not_sent_to(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = two_subscriptions()
    sent: list[str] = []

    def send(client: Any, *, url: str, **kwargs: Any) -> SendOutcome:
        sent.append(url)
        return OK

    monkeypatch.setattr(dispatch_module, "webhook_send", send)
    claim = webhooks_claim(now=timezone.now(), limit=10, worker="w")
    assert claim is not None
    WebhookSubscription.objects.filter(pk=first.pk).update(status="paused")

    result = webhooks_deliver(
        claim, client=httpx.Client(), config=webhook_settings(), clock=timezone.now
    )

    assert set(sent) == {second.url}
    assert (result.sent, result.returned) == (2, 2)
    paused = WebhookDelivery.objects.filter(subscription=first)
    assert {(d.status, d.attempts, d.claim_token) for d in paused} == {("pending", 0, None)}


def test_a_subscription_paused_during_a_run_gets_nothing_from_its_next_windows(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.WEBHOOKS_WINDOW = 1
    first, second = two_subscriptions()
    sent: list[str] = []

    def send(client: Any, *, url: str, **kwargs: Any) -> SendOutcome:
        sent.append(url)
        WebhookSubscription.objects.filter(pk=second.pk).update(status="paused")
        return OK

    monkeypatch.setattr(dispatch_module, "webhook_send", send)
    # Deliveries are claimed in the order they were written: one, two, one, two.
    result = webhooks_dispatch(batch_size=10, limit=4)

    assert sent == [first.url, first.url]
    assert (result.sent, result.returned) == (2, 2)
    assert {d.status for d in WebhookDelivery.objects.filter(subscription=second)} == {"pending"}


# --- Input the database would refuse --------------------------------------------------------


def test_the_subscription_form_refuses_a_notify_email_longer_than_the_column() -> None:
    from channeldesk.webhooks.forms import SubscriptionForm

    too_long = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".example.com"
    data = {
        "name": "CRM",
        "url": "https://crm.example.com/hooks",
        "event_types": ["contract.renewed"],
        "notify_email": too_long,
        "language": "en",
    }
    form = SubscriptionForm(data=data)
    assert not form.is_valid()
    assert list(form.errors) == ["notify_email"]
    assert SubscriptionForm(data={**data, "notify_email": "it@example.com"}).is_valid()
