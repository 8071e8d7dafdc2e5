"""The send step without a network: signing, the address rules, the URL rules, the backoff."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import random
import socket
from typing import Any

import httpcore
import pytest
import structlog
from standardwebhooks import Webhook, WebhookVerificationError

from channeldesk.webhooks import sending
from channeldesk.webhooks.conf import webhook_settings
from channeldesk.webhooks.models import WebhookEvent
from channeldesk.webhooks.secrets import (
    webhook_secret_generate,
    webhook_secret_seal,
    webhook_secret_unseal,
)
from channeldesk.webhooks.sending import (
    AddressRefused,
    GuardedBackend,
    address_refusal,
    envelope_bytes,
    signed_headers,
    webhook_url_refusal,
)

MOMENT = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def an_event(**fields: Any) -> WebhookEvent:
    values: dict[str, Any] = {
        "pk": 41,
        "event_id": "evt_0123456789abcdef",
        "type": "contract.renewed",
        "version": 1,
        "occurred_at": MOMENT,
        "data": {"contract": {"number": "V-1"}, "amount": "12.50"},
    }
    values.update(fields)
    return WebhookEvent(**values)


# --- Secrets --------------------------------------------------------------------------------


def test_a_secret_has_the_standard_webhooks_form_and_signs_with_the_stock_library() -> None:
    secret = webhook_secret_generate()
    assert secret.startswith("whsec_")
    assert len(Webhook(secret)._whsecret) == 32
    assert secret != webhook_secret_generate()


def test_a_sealed_secret_opens_only_with_the_key_it_was_sealed_under(settings: Any) -> None:
    secret = webhook_secret_generate()
    sealed = webhook_secret_seal(secret)
    assert secret not in sealed
    assert webhook_secret_unseal(sealed) == secret
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "another key entirely, long enough to be a key"
    with pytest.raises(ValueError, match="opens with neither"):
        webhook_secret_unseal(sealed)
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert webhook_secret_unseal(sealed) == secret


def test_a_sealed_secret_is_no_sealed_outbox_body() -> None:
    from channeldesk.notifications.sealing import unseal

    with pytest.raises(ValueError, match="opens with neither"):
        unseal(webhook_secret_seal(webhook_secret_generate()))


# --- Signing and the envelope -------------------------------------------------------------


def test_the_envelope_carries_id_type_version_timestamp_sequence_and_data() -> None:
    assert json.loads(envelope_bytes(an_event())) == {
        "id": "evt_0123456789abcdef",
        "type": "contract.renewed",
        "version": 1,
        "timestamp": "2026-12-07T09:00:00Z",
        "sequence": 41,
        "data": {"contract": {"number": "V-1"}, "amount": "12.50"},
    }


def test_the_signed_headers_verify_with_the_standardwebhooks_package() -> None:
    secret = webhook_secret_generate()
    body = envelope_bytes(an_event())
    now = dt.datetime.now(dt.UTC)
    headers = signed_headers(event_id="evt_0123456789abcdef", body=body, secret=secret, now=now)

    assert headers["webhook-id"] == "evt_0123456789abcdef"
    assert headers["webhook-timestamp"] == str(int(now.timestamp()))
    assert headers["webhook-signature"].startswith("v1,")
    assert headers["Content-Type"] == "application/json"
    assert Webhook(secret).verify(body, headers)["id"] == "evt_0123456789abcdef"


@pytest.mark.parametrize("tamper", ["body", "id", "secret", "timestamp"])
def test_a_changed_body_id_secret_or_stale_timestamp_does_not_verify(tamper: str) -> None:
    secret = webhook_secret_generate()
    body = envelope_bytes(an_event())
    now = dt.datetime.now(dt.UTC)
    if tamper == "timestamp":
        now -= dt.timedelta(minutes=10)
    headers = signed_headers(event_id="evt_1", body=body, secret=secret, now=now)
    if tamper == "body":
        body = body.replace(b"12.50", b"99.50")
    if tamper == "id":
        headers["webhook-id"] = "evt_2"
    if tamper == "secret":
        secret = webhook_secret_generate()
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(body, headers)


# --- Addresses (SSRF) -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - the address under test
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("fc00::1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "reserved"),
        ("100.64.0.1", "not globally routable"),
    ],
)
def test_non_public_addresses_are_refused_with_their_class(address: str, reason: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) == ""


def resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> list[tuple[str, int]]:
    """Makes every host resolve to `addresses`; returns where connections were opened."""
    connected: list[tuple[str, int]] = []

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        family = lambda a: socket.AF_INET6 if ":" in a else socket.AF_INET  # noqa: E731
        return [(family(a), socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

    def connect_tcp(self: Any, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        connected.append((host, port))
        raise httpcore.ConnectError("test: no network")

    monkeypatch.setattr(sending.socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect_tcp)
    return connected


def test_a_host_with_one_private_address_among_public_ones_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connected = resolving_to(monkeypatch, "93.184.215.14", "10.0.0.7")
    with structlog.testing.capture_logs() as logs, pytest.raises(AddressRefused) as refused:
        GuardedBackend(allow_private=False).connect_tcp("hooks.example.com", 443)
    assert connected == []
    # Partners read the refusal: it names no address; the server log does.
    assert str(refused.value) == sending.ADDRESS_REFUSED
    assert "10.0.0.7" not in str(refused.value)
    (logged,) = [entry for entry in logs if entry["event"] == "webhook_address_refused"]
    assert logged["host"] == "hooks.example.com"
    assert logged["addresses"] == ["10.0.0.7 (private)"]


def test_the_connection_goes_to_the_checked_address_not_to_a_second_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    connected = resolving_to(monkeypatch, "93.184.215.14")
    with pytest.raises(httpcore.ConnectError):
        GuardedBackend(allow_private=False).connect_tcp("hooks.example.com", 443)
    assert connected == [("93.184.215.14", 443)]


def test_private_addresses_pass_where_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    connected = resolving_to(monkeypatch, "127.0.0.1")
    with pytest.raises(httpcore.ConnectError):
        GuardedBackend(allow_private=True).connect_tcp("localhost", 8000)
    assert connected == [("127.0.0.1", 8000)]


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "169.254.169.254", "10.0.0.1", "::1", "224.0.0.1"],
)
def test_a_send_to_a_refused_address_fails_for_good_with_the_reason(
    monkeypatch: pytest.MonkeyPatch, settings: Any, address: str
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    connected = resolving_to(monkeypatch, address)
    config = webhook_settings()
    with sending.webhook_client(config) as client:
        outcome = sending.webhook_send(
            client,
            url="https://innocent.example.com/hook",
            event_id="evt_1",
            body=b"{}",
            secret=webhook_secret_generate(),
            config=config,
            now=dt.datetime.now(dt.UTC),
        )
    assert outcome.kind is sending.SendKind.PERMANENT
    assert outcome.error == sending.ADDRESS_REFUSED
    assert address not in outcome.error
    assert connected == []


def test_environment_proxies_are_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://10.0.0.1:3128")
    client = sending.webhook_client(webhook_settings())
    assert client._mounts == {}
    assert client.follow_redirects is False
    client.close()


@pytest.mark.parametrize(
    ("url", "allow_private", "refusal"),
    [
        ("https://hooks.example.com/x", False, ""),
        ("http://hooks.example.com/x", False, "must use https"),
        ("http://127.0.0.1:8000/x", True, ""),
        ("ftp://hooks.example.com/x", True, "must use https"),
        ("https://127.0.0.1/x", False, "loopback"),
        ("https://[::1]/x", False, "loopback"),
        ("https://169.254.169.254/latest", False, "link-local"),
        ("https://user:pw@hooks.example.com/x", False, "user name or password"),
        ("https:///x", False, "no host"),
        ("https://hooks.example.com:port/x", False, "cannot be read"),
    ],
)
def test_url_rules(url: str, allow_private: bool, refusal: str) -> None:
    found = webhook_url_refusal(url, allow_private=allow_private)
    assert (refusal in found) if refusal else found == ""
    assert bool(found) == bool(refusal)


# --- Backoff --------------------------------------------------------------------------------


def test_the_default_schedule_retries_for_about_three_days() -> None:
    config = webhook_settings()
    assert config.max_attempts == 10
    assert config.retry_schedule[0] == 5
    total = dt.timedelta(seconds=sum(config.retry_schedule))
    assert dt.timedelta(days=2, hours=20) <= total <= dt.timedelta(days=3, hours=4)


@pytest.mark.parametrize("attempts", range(1, 10))
def test_each_wait_stays_within_its_jitter_bounds_and_varies(attempts: int) -> None:
    config = webhook_settings()
    step = config.retry_schedule[attempts - 1]
    draw = random.Random(attempts)
    waits = [config.retry_delay(attempts=attempts, draw=draw).total_seconds() for _ in range(200)]
    assert min(waits) >= step * 0.5
    assert max(waits) <= step * 1.5
    assert max(waits) - min(waits) > step * 0.5  # spread out, not one fixed wait


def test_a_longer_retry_after_is_honoured_up_to_the_longest_step() -> None:
    config = webhook_settings()
    draw = random.Random(1)
    assert config.retry_delay(attempts=1, retry_after=120, draw=draw).total_seconds() == 120
    capped = config.retry_delay(attempts=1, retry_after=10**7, draw=draw).total_seconds()
    assert capped == max(config.retry_schedule)
    short = config.retry_delay(attempts=3, retry_after=1, draw=draw).total_seconds()
    assert short >= 900


def test_retry_after_is_read_as_seconds_or_as_a_date() -> None:
    import httpx

    assert sending.retry_after_seconds(httpx.Headers({"Retry-After": "30"})) == 30
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)
    dated = sending.retry_after_seconds(
        httpx.Headers({"Retry-After": later.strftime("%a, %d %b %Y %H:%M:%S GMT")})
    )
    assert dated is not None
    assert 590 <= dated <= 600
    assert sending.retry_after_seconds(httpx.Headers({"Retry-After": "soon"})) is None
    assert sending.retry_after_seconds(httpx.Headers({})) is None
