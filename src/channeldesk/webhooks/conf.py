"""The webhook dispatcher's tunables, read from Django settings (declared with their defaults
in `settings.py`, block "Webhooks: delivery"; see docs/webhooks.md)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class WebhookSettings:
    """Everything the dispatcher and the send step need to know.

    - `connect_timeout`, `read_timeout`, `total_timeout`: seconds, per request;
    - `retry_schedule`: the wait after each failed attempt (so `max_attempts` is one more);
    - `retry_jitter`: each wait is drawn from [wait × (1 - jitter), wait × (1 + jitter)];
    - `allow_private_addresses`: loopback, private, link-local … and http:// are not refused;
    - `batch_size`, `window`, `lease`, `poll_interval`: as for the outbox (docs/delivery.md).
    """

    connect_timeout: float
    read_timeout: float
    total_timeout: float
    retry_schedule: tuple[float, ...]
    retry_jitter: float
    allow_private_addresses: bool
    batch_size: int
    window: int
    lease: dt.timedelta
    poll_interval: float

    @property
    def max_attempts(self) -> int:
        return len(self.retry_schedule) + 1

    def retry_bounds(self, *, attempts: int) -> tuple[float, float]:
        """The shortest and longest wait, in seconds, after the `attempts`-th attempt failed."""
        if not self.retry_schedule:
            return 0.0, 0.0
        wait = self.retry_schedule[min(max(attempts, 1), len(self.retry_schedule)) - 1]
        return wait * (1 - self.retry_jitter), wait * (1 + self.retry_jitter)

    def retry_delay(
        self, *, attempts: int, retry_after: float | None = None, draw: random.Random | None = None
    ) -> dt.timedelta:
        """The wait after the `attempts`-th failed attempt: the schedule's step with jitter, or
        the receiver's Retry-After when that is longer (up to the schedule's longest step)."""
        low, high = self.retry_bounds(attempts=attempts)
        seconds = (draw or _random).uniform(low, high)
        if retry_after is not None and retry_after > seconds:
            seconds = min(retry_after, max(self.retry_schedule, default=0.0))
        return dt.timedelta(seconds=seconds)


_random = random.SystemRandom()


def webhook_settings() -> WebhookSettings:
    """The current values; read on every call so tests can override settings."""
    schedule = tuple(float(seconds) for seconds in settings.WEBHOOKS_RETRY_SCHEDULE_SECONDS)
    return WebhookSettings(
        connect_timeout=float(settings.WEBHOOKS_CONNECT_TIMEOUT_SECONDS),
        read_timeout=float(settings.WEBHOOKS_READ_TIMEOUT_SECONDS),
        total_timeout=float(settings.WEBHOOKS_TOTAL_TIMEOUT_SECONDS),
        retry_schedule=schedule,
        retry_jitter=min(max(float(settings.WEBHOOKS_RETRY_JITTER), 0.0), 1.0),
        allow_private_addresses=bool(settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES),
        batch_size=max(1, int(settings.WEBHOOKS_BATCH_SIZE)),
        window=max(1, int(settings.WEBHOOKS_WINDOW)),
        lease=dt.timedelta(seconds=float(settings.WEBHOOKS_LEASE_SECONDS)),
        poll_interval=float(settings.WEBHOOKS_POLL_SECONDS),
    )
