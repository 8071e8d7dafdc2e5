"""The send step of a webhook delivery: one signed POST to the subscription's endpoint, and what
its answer means for the delivery (docs/webhooks.md).

The request is signed per the Standard Webhooks specification with its reference package
(`standardwebhooks.Webhook(secret).sign`): `webhook-id` is the event's id (the same on every
attempt, so a receiver dedupes), `webhook-timestamp` the attempt's time, `webhook-signature`
`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. The body is the event's envelope as JSON.

What an outgoing request may do is limited, because the URL is chosen by whoever subscribes:

- **no server-side request forgery**: the host is resolved and *every* address checked; a
  private, loopback, link-local, multicast, reserved or otherwise non-public address is
  refused (a permanent failure), unless `WEBHOOKS_ALLOW_PRIVATE_ADDRESSES` allows it. The
  connection is then opened to the checked address itself (`GuardedBackend`), while TLS still
  verifies the host name and the Host header stays the URL's: a DNS answer that changes
  between the check and the connection (rebinding) changes nothing. No proxy from the
  environment is used, and http:// only where private addresses are allowed;
- **no redirects followed**: a 3xx is a failed attempt like any other non-2xx;
- **timeouts** to connect, per read and for the whole request; the answer's body is read
  (streamed, undecoded) up to 64 KiB, of which about 1 KiB is kept in the history.

Outcomes: a 2xx is delivered; 410 Gone is permanent and pauses the subscription (the receiver
says the endpoint is gone); any other answer, a timeout or a broken connection is temporary
and retried (Standard Webhooks practice: a receiver that is down or misconfigured for a while
should still get its events); a refused address, a URL that cannot be used or a secret that
cannot be opened are permanent.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import datetime as dt
import enum
import functools
import ipaddress
import json
import socket
import ssl
import time
import typing
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx
import structlog
from standardwebhooks import Webhook

from channeldesk import __version__
from channeldesk.webhooks.conf import WebhookSettings
from channeldesk.webhooks.models import WebhookEvent

USER_AGENT = f"ChannelDesk-Webhooks/{__version__}"
# The most of an answer's body that is read, and the part of it kept in the history.
BODY_LIMIT = 64 * 1024
EXCERPT_LIMIT = 1024
# What a partner reads when the endpoint's address is refused: never the address itself (it
# may be an internal one); staff find it in the server log (`webhook_address_refused`).
ADDRESS_REFUSED = "The address of the endpoint is not a public internet address."

logger = structlog.get_logger(__name__)

type Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class SendKind(enum.Enum):
    DELIVERED = "delivered"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    GONE = "gone"


@dataclass(frozen=True)
class SendOutcome:
    """How one attempt ended: what the history keeps of it, and the receiver's Retry-After
    (seconds), if it sent one."""

    kind: SendKind
    status_code: int | None = None
    latency_ms: int | None = None
    excerpt: str = ""
    error: str = ""
    retry_after: float | None = None


# --- Addresses -----------------------------------------------------------------------------


class AddressRefused(Exception):
    """The endpoint is, or resolves to, an address webhooks may not reach (SSRF). Its text is
    the generic `ADDRESS_REFUSED`: the address is logged, not shown."""


def address_refusal(address: Address) -> str:
    """Why `address` may not be reached from here, or "" when it is a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("reserved", address.is_reserved),
        ("private", address.is_private),
        ("not globally routable", not address.is_global),
    )
    return next((name for name, refused in checks if refused), "")


# Name lookups run here so that a slow resolver is bounded by a timeout (getaddrinfo has none).
_resolver = concurrent.futures.ThreadPoolExecutor(max_workers=4, thread_name_prefix="webhook-dns")


def host_addresses(host: str, port: int, *, timeout: float | None) -> list[str]:
    """The addresses `host` resolves to, in the resolver's order; httpcore.ConnectError when it
    does not resolve, httpcore.ConnectTimeout when the lookup takes longer than `timeout`."""
    lookup = _resolver.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=timeout)
    except concurrent.futures.TimeoutError as error:
        lookup.cancel()
        raise httpcore.ConnectTimeout(f"Looking up {host} timed out.") from error
    except (OSError, UnicodeError) as error:
        raise httpcore.ConnectError(f"{host} could not be resolved: {error}") from error
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def refused_addresses(addresses: typing.Iterable[str]) -> list[tuple[str, str]]:
    """The (address, reason) of each address webhooks may not reach."""
    refused = []
    for text in addresses:
        reason = address_refusal(ipaddress.ip_address(text.split("%", 1)[0]))
        if reason:
            refused.append((text, reason))
    return refused


def _checked_addresses(
    host: str, port: int, *, allow_private: bool, timeout: float | None = None
) -> list[str]:
    """Every address `host` resolves to, each checked; AddressRefused if any is refused (a name
    with one public and one private address is refused: which one is used is not ours)."""
    addresses = host_addresses(host, port, timeout=_capped(timeout))
    if not allow_private:
        refused = refused_addresses(addresses)
        if refused:
            logger.warning(
                "webhook_address_refused",
                host=host,
                addresses=[f"{text} ({reason})" for text, reason in refused],
            )
            raise AddressRefused(ADDRESS_REFUSED)
    return addresses


# The monotonic moment by which the current request must be over (`webhook_send` sets it for
# the request it makes): every lookup, connect, read and write is capped to the time left.
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "webhook_deadline", default=None
)


def _capped(timeout: float | None) -> float | None:
    """`timeout` capped to what is left of the request's total time; ReadTimeout when none is."""
    deadline = _deadline.get()
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("The request took longer than the total timeout.")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every read and write ends by the request's total deadline, so
    a server that trickles its answer (one header line at a time) cannot hold a request longer
    than `WEBHOOKS_TOTAL_TIMEOUT_SECONDS`."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, timeout=_capped(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout=_capped(timeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        return DeadlineStream(
            self._stream.start_tls(ssl_context, server_hostname, timeout=_capped(timeout))
        )

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend that connects only to checked addresses: it resolves the
    host itself, checks every address, and opens the connection to the checked one, so no
    second lookup can answer differently. TLS is started by httpcore afterwards with the URL's
    host name (SNI and certificate check), and the Host header is the URL's."""

    def __init__(self, *, allow_private: bool) -> None:
        self.allow_private = allow_private

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _checked_addresses(
            host, port, allow_private=self.allow_private, timeout=timeout
        )
        error: Exception | None = None
        for address in addresses:
            try:
                stream = super().connect_tcp(
                    address,
                    port,
                    timeout=_capped(timeout),
                    local_address=local_address,
                    socket_options=socket_options,
                )
                return DeadlineStream(stream)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as failed:
                error = failed
        raise error or httpcore.ConnectError(f"{host} has no address.")


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport over `GuardedBackend`, ignoring proxies from the environment."""

    def __init__(self, *, allow_private: bool, limits: httpx.Limits) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False, limits=limits)
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(allow_private=allow_private),
        )


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """The TLS settings of every webhook request (certifi's CAs, host names checked), made
    once per process: loading the CAs costs a tenth of a second."""
    return httpx.create_ssl_context(trust_env=False)


def webhook_client(config: WebhookSettings) -> httpx.Client:
    """The one HTTP client of a dispatcher: keep-alive connections to the endpoints, guarded
    addresses, no redirects, no environment proxies, the configured timeouts."""
    return httpx.Client(
        transport=GuardedTransport(
            allow_private=config.allow_private_addresses,
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=20),
        ),
        timeout=httpx.Timeout(
            connect=config.connect_timeout,
            read=config.read_timeout,
            write=config.read_timeout,
            pool=config.connect_timeout,
        ),
        follow_redirects=False,
        trust_env=False,
        headers={"User-Agent": USER_AGENT},
    )


def webhook_url_refusal(url: str, *, allow_private: bool) -> str:
    """Why `url` cannot be an endpoint, before any lookup ("" when it may be): only https (or
    http where private addresses are allowed), a host, and no IP literal of a refused class.
    The address a host name resolves to is checked at every connection (`GuardedBackend`)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return "The URL cannot be read."
    allowed = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in allowed:
        return "Webhook URLs must use https."
    if not host:
        return "The URL has no host."
    if parts.username or parts.password:
        return "The URL may not carry a user name or password."
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return ""
    reason = "" if allow_private else address_refusal(literal)
    # The address is the one the URL spells out: naming its class tells nobody anything new.
    return f"Refused: {host} is a {reason} address." if reason else ""


# --- The request ---------------------------------------------------------------------------


def envelope_bytes(event: WebhookEvent) -> bytes:
    """The body receivers get: the event's envelope as compact JSON (docs/webhooks.md).

    `sequence` increases with every event written, so a receiver that gets two events about
    the same thing out of order can drop the older one.
    """
    envelope = {
        "id": event.event_id,
        "type": event.type,
        "version": event.version,
        "timestamp": event.occurred_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        "sequence": event.pk,
        "data": event.data,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def signed_headers(*, event_id: str, body: bytes, secret: str, now: dt.datetime) -> dict[str, str]:
    """The Standard Webhooks headers of one attempt, signed at `now`."""
    return {
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, now, body),
        "Content-Type": "application/json",
        "Accept-Encoding": "identity",
    }


def webhook_send(
    client: httpx.Client,
    *,
    url: str,
    event_id: str,
    body: bytes,
    secret: str,
    config: WebhookSettings,
    now: dt.datetime,
) -> SendOutcome:
    """POST one delivery and say how it ended (never raises for what the endpoint does)."""
    refusal = webhook_url_refusal(url, allow_private=config.allow_private_addresses)
    if refusal:
        return SendOutcome(SendKind.PERMANENT, error=refusal)
    headers = signed_headers(event_id=event_id, body=body, secret=secret, now=now)
    began = time.monotonic()
    deadline = _deadline.set(began + config.total_timeout)
    try:
        with client.stream("POST", url, content=body, headers=headers) as response:
            excerpt = _read_limited(response, deadline=began + config.total_timeout)
            latency_ms = round((time.monotonic() - began) * 1000)
            return _judged(response, excerpt=excerpt, latency_ms=latency_ms)
    except AddressRefused as refused:
        error, kind = str(refused), SendKind.PERMANENT
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as invalid:
        error, kind = f"The URL cannot be used: {invalid}", SendKind.PERMANENT
    except httpx.TimeoutException as timeout:
        error, kind = f"Timed out ({type(timeout).__name__}).", SendKind.TEMPORARY
    except (httpx.HTTPError, _BodyTooSlow) as failed:
        error, kind = f"{type(failed).__name__}: {failed}".strip(), SendKind.TEMPORARY
    except Exception as unexpected:  # whatever an answer does is an outcome
        logger.warning("webhook_send_crashed", url=url, event_id=event_id, exc_info=True)
        error = f"The request failed ({type(unexpected).__name__})."
        kind = SendKind.TEMPORARY
    finally:
        _deadline.reset(deadline)
    latency_ms = round((time.monotonic() - began) * 1000)
    return SendOutcome(kind, latency_ms=latency_ms, error=storable_text(error[:2000]))


def storable_text(text: str) -> str:
    """`text` as every database stores it: no NUL (PostgreSQL refuses it in text) and no lone
    surrogate (not encodable as UTF-8), each replaced by U+FFFD."""
    text = text.encode("utf-8", errors="replace").decode("utf-8", errors="replace")
    return text.replace("\x00", "\ufffd")


class _BodyTooSlow(Exception):
    pass


def _read_limited(response: httpx.Response, *, deadline: float) -> bytes:
    """Up to BODY_LIMIT bytes of the answer, as sent (not decompressed), until `deadline`."""
    received = bytearray()
    for chunk in response.iter_raw():
        received += chunk
        if len(received) >= BODY_LIMIT:
            break
        if time.monotonic() > deadline:
            raise _BodyTooSlow("The answer's body took longer than the total timeout.")
    return bytes(received[:BODY_LIMIT])


def _judged(response: httpx.Response, *, excerpt: bytes, latency_ms: int) -> SendOutcome:
    code = response.status_code
    text = storable_text(excerpt[:EXCERPT_LIMIT].decode("utf-8", errors="replace"))
    if 200 <= code < 300:
        return SendOutcome(SendKind.DELIVERED, code, latency_ms, text)
    if code == 410:
        error = "410 Gone: the receiver says this endpoint is gone."
        return SendOutcome(SendKind.GONE, code, latency_ms, text, error)
    error = f"HTTP {code}"
    if 300 <= code < 400:
        location = response.headers.get("location", "")
        error = storable_text(
            f"HTTP {code}: redirects are not followed (to {location[:500] or 'nowhere'})."
        )
    return SendOutcome(
        SendKind.TEMPORARY, code, latency_ms, text, error, retry_after_seconds(response.headers)
    )


def retry_after_seconds(headers: httpx.Headers) -> float | None:
    """Retry-After in seconds (a number of seconds or an HTTP date), or None."""
    value = headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=dt.UTC)
        return max((moment - dt.datetime.now(dt.UTC)).total_seconds(), 0.0)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
