"""The outbox's tunables, read from Django settings (declared with their defaults in
`settings.py`; see docs/outbox.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import parseaddr

from django.conf import settings


@dataclass(frozen=True)
class OutboxSettings:
    """Everything the dispatcher needs to know about pacing, retries and leases.

    - `batch_size`: messages claimed at once (one lease, one SMTP connection);
    - `window`: messages marked `sending` together; at most this many go to review when a
      dispatcher dies, so 1 is the most precise and larger windows save database round trips;
    - `lease`: how long a claim is held; a dispatcher starts no send in the second half of its
      lease, and a claim older than the lease is taken to be dead;
    - `max_attempts`, `retry_base`, `retry_max`: exponential backoff after temporary failures;
    - `poll_interval`: how long `outbox dispatch --loop` sleeps when nothing is due;
    - `message_id_domain`: the right-hand side of the Message-IDs.
    """

    batch_size: int
    window: int
    lease: dt.timedelta
    max_attempts: int
    retry_base: dt.timedelta
    retry_max: dt.timedelta
    poll_interval: float
    message_id_domain: str

    def retry_delay(self, *, attempts: int) -> dt.timedelta:
        """The wait after the `attempts`-th attempt failed: base, 2×base, 4×base, … up to max."""
        exponent = max(attempts - 1, 0)
        seconds = self.retry_base.total_seconds() * 2 ** min(exponent, 32)
        return min(dt.timedelta(seconds=seconds), self.retry_max)


def outbox_settings() -> OutboxSettings:
    """The current values; read on every call so tests can override settings."""
    return OutboxSettings(
        batch_size=max(1, int(settings.OUTBOX_BATCH_SIZE)),
        window=max(1, int(settings.OUTBOX_WINDOW)),
        lease=dt.timedelta(seconds=float(settings.OUTBOX_LEASE_SECONDS)),
        max_attempts=max(1, int(settings.OUTBOX_MAX_ATTEMPTS)),
        retry_base=dt.timedelta(seconds=float(settings.OUTBOX_RETRY_BASE_SECONDS)),
        retry_max=dt.timedelta(seconds=float(settings.OUTBOX_RETRY_MAX_SECONDS)),
        poll_interval=float(settings.OUTBOX_POLL_SECONDS),
        message_id_domain=str(settings.OUTBOX_MESSAGE_ID_DOMAIN or _sender_domain()),
    )


def _sender_domain() -> str:
    """The domain of DEFAULT_FROM_EMAIL, so Message-IDs name the sender's own domain."""
    address = parseaddr(str(settings.DEFAULT_FROM_EMAIL))[1]
    return address.rpartition("@")[2] or "localhost"
