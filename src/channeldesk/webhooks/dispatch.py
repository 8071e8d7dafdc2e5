"""The webhook dispatcher: claims due deliveries, sends them signed, records every attempt.

It runs the delivery engine's protocol (`notifications.leases`, docs/delivery.md) with one
difference that the Standard Webhooks specification allows: delivery is **at least once**. A
receiver dedupes by `webhook-id`, so an attempt whose outcome is unknown (the dispatcher died or
hung while sending and its lease ran out) is retried like a failed one, not held for review.

1. **Expire** (`webhooks_expire`): deliveries whose lease ran out go back to the queue; a
   claimed one was never attempted, a sending one gets an `expired` attempt and its backoff.
2. **Claim** (`webhooks_claim`): a batch of due deliveries of active subscriptions, under a
   lease, with their events and subscriptions read in two queries.
3. **Send**, window by window: one transaction records the previous window's outcomes (one
   guarded UPDATE for all of them, one INSERT of their attempts) and marks the next window
   `sending`; then each delivery of the window is POSTed over the dispatcher's one HTTP client
   (`webhooks.sending`). No send starts in the second half of the lease; the rest is returned.
4. **Settle**: 2xx → delivered; a temporary failure → retry after the backoff (with jitter,
   or the receiver's Retry-After); no attempts left, or a permanent failure → failed, and the
   subscription is paused and its owner told by e-mail (`webhooks.pausing`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import structlog
from django.db import models, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone

from channeldesk.notifications.leases import (
    CLAIM_CLEARED,
    DispatchResult,
    Lease,
    default_worker,
    lease_start,
    leases_claim,
    leases_expired,
    leases_held,
    leases_mark_sending,
    leases_return,
)
from channeldesk.webhooks.conf import WebhookSettings, webhook_settings
from channeldesk.webhooks.models import (
    DUE_STATUSES,
    HELD_STATUSES,
    AttemptKind,
    DeliveryStatus,
    SubscriptionStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from channeldesk.webhooks.pausing import Pause, subscriptions_pause
from channeldesk.webhooks.secrets import webhook_secret_unseal
from channeldesk.webhooks.sending import (
    SendKind,
    SendOutcome,
    envelope_bytes,
    webhook_client,
    webhook_send,
)

type Clock = Callable[[], dt.datetime]

logger = structlog.get_logger(__name__)

# What a run reports (`DispatchResult.document`), in this order.
WEBHOOK_COUNTS = ("claimed", "sent", "retried", "failed", "expired", "returned")


@dataclass(frozen=True)
class Target:
    """What sending to one subscription needs, read once per claim; `secret` is "" when the
    sealed secret opens with no configured key (every delivery to it then fails)."""

    url: str
    secret: str
    active: bool


@dataclass
class Claim:
    """Deliveries one dispatcher holds under `lease`, with their bodies and targets."""

    lease: Lease
    deliveries: list[WebhookDelivery]
    events: dict[int, WebhookEvent]
    bodies: dict[int, bytes]
    targets: dict[int, Target]


def webhooks_dispatch(
    *,
    limit: int = 1000,
    worker: str = "",
    batch_size: int | None = None,
    now: dt.datetime | None = None,
) -> DispatchResult:
    """Send what is due, up to `limit` deliveries, in batches over one HTTP client.

    Steps: settle expired claims (`webhooks_expire`); claim a batch (`webhooks_claim`), stop
    when nothing is due; send it (`webhooks_deliver`); repeat. `now` fixes the clock for tests.
    """
    config = webhook_settings()
    clock: Clock = (lambda: now) if now is not None else timezone.now
    worker = worker or default_worker()
    result = webhooks_expire(now=clock())
    client = _client(config)
    while result.claimed < limit:
        size = min(batch_size or config.batch_size, limit - result.claimed)
        claim = webhooks_claim(now=clock(), limit=size, worker=worker, config=config)
        if claim is None:
            break
        result += webhooks_deliver(claim, client=client, config=config, clock=clock)
    return result


_clients: dict[WebhookSettings, httpx.Client] = {}


def _client(config: WebhookSettings) -> httpx.Client:
    """The process's one HTTP client, kept from run to run (`webhooks dispatch --loop`, the job
    worker) so that connections to the endpoints stay open; a new one when settings change."""
    client = _clients.get(config)
    if client is None:
        for stale in _clients.values():
            stale.close()
        _clients.clear()
        client = _clients[config] = webhook_client(config)
    return client


def webhooks_claim(
    *, now: dt.datetime, limit: int, worker: str, config: WebhookSettings | None = None
) -> Claim | None:
    """Take up to `limit` due deliveries of active subscriptions, under a lease, committed at
    once; rows another dispatcher is claiming are skipped. The subscriptions' status is read in
    a subquery, so the claim locks delivery rows only."""
    config = config or webhook_settings()
    lease = lease_start(worker=worker, length=config.lease)
    active = WebhookSubscription.objects.filter(status=SubscriptionStatus.ACTIVE).values("pk")
    due = WebhookDelivery.objects.filter(
        status__in=DUE_STATUSES, next_attempt_at__lte=now, subscription_id__in=active
    ).order_by("next_attempt_at", "id")
    deliveries = leases_claim(
        due=due,
        limit=limit,
        lease=lease,
        lease_end=now + config.lease,
        status=DeliveryStatus.CLAIMED,
    )
    if not deliveries:
        return None
    events = WebhookEvent.objects.in_bulk({delivery.event_id for delivery in deliveries})
    return Claim(
        lease=lease,
        deliveries=deliveries,
        events=events,
        bodies={pk: envelope_bytes(event) for pk, event in events.items()},
        targets=_targets({delivery.subscription_id for delivery in deliveries}),
    )


def _targets(subscription_ids: set[int]) -> dict[int, Target]:
    targets = {}
    for pk, url, sealed, status in WebhookSubscription.objects.filter(
        pk__in=subscription_ids
    ).values_list("pk", "url", "secret_sealed", "status"):
        try:
            secret = webhook_secret_unseal(sealed)
        except ValueError:
            secret = ""
        targets[pk] = Target(url, secret, status == SubscriptionStatus.ACTIVE)
    return targets


# --- Expiry ---------------------------------------------------------------------------------


@transaction.atomic
def webhooks_expire(*, now: dt.datetime | None = None) -> DispatchResult:
    """Settle claims whose lease ran out (the dispatcher died or hung).

    Claimed deliveries were never attempted: back to the queue. Sending ones may or may not
    have arrived: an `expired` attempt, then retry after the backoff like any failed attempt
    (at least once; the receiver dedupes by webhook-id), or failed when none is left.
    """
    now = now or timezone.now()
    config = webhook_settings()
    expired = leases_expired(
        model=WebhookDelivery,
        held_statuses=HELD_STATUSES,
        now=now,
        only=("pk", "status", "attempts", "claimed_by", "subscription_id", "lease_expires_at"),
    )
    claimed = [delivery for delivery in expired if delivery.status == DeliveryStatus.CLAIMED]
    sending = [delivery for delivery in expired if delivery.status == DeliveryStatus.SENDING]
    _requeue(claimed)
    outcomes = [
        (
            delivery,
            SendOutcome(
                SendKind.TEMPORARY,
                error=(
                    f"Outcome unknown: the lease of {delivery.claimed_by} ran out while it was "
                    f"sending attempt {delivery.attempts}."
                ),
            ),
        )
        for delivery in sending
    ]
    settled = _settle_all(outcomes, config=config, now=now, expired=True)
    _write(settled, held=[d.pk for d in sending], worker="", now=now)
    return DispatchResult(expired=len(sending), returned=len(claimed))


def _requeue(deliveries: Sequence[WebhookDelivery]) -> None:
    """Back to the queue as if never claimed: pending, or retry when tried before."""
    for status, group in (
        (DeliveryStatus.PENDING, [d.pk for d in deliveries if d.attempts == 0]),
        (DeliveryStatus.RETRY, [d.pk for d in deliveries if d.attempts > 0]),
    ):
        if group:
            WebhookDelivery.objects.filter(pk__in=group).update(status=status, **CLAIM_CLEARED)


# --- Sending one claim ------------------------------------------------------------------------


def webhooks_deliver(
    claim: Claim, *, client: httpx.Client, config: WebhookSettings, clock: Clock
) -> DispatchResult:
    """Send one claim (step 3 of `webhooks_dispatch`): window by window, each attempt on record
    (`sending`) before its request is made.

    Deliveries whose subscription was paused (or deleted) since they became due are returned
    unattempted, as is whatever is left when half the lease is used up. The subscriptions'
    status is read again before every window, so one paused while this claim is being sent
    gets nothing more from it. No failure of one send loses the other outcomes of its window.
    """
    result = DispatchResult(claimed=len(claim.deliveries))
    waiting = [d for d in claim.deliveries if _active(claim, d)]
    unattempted = [d for d in claim.deliveries if not _active(claim, d)]
    outcomes: list[tuple[WebhookDelivery, SendOutcome]] = []
    while waiting and time.monotonic() < claim.lease.deadline:
        window, waiting = waiting[: config.window], waiting[config.window :]
        with transaction.atomic():
            result += _record(claim, outcomes, config=config, now=clock())
            _refresh_targets(claim, window)
            unattempted += [d for d in window if not _active(claim, d)]
            window = _mark_sending(claim, [d for d in window if _active(claim, d)])
        outcomes = []
        for position, delivery in enumerate(window):
            if time.monotonic() >= claim.lease.deadline:
                _unmark(claim, window[position:])
                unattempted += window[position:]
                break
            outcomes.append(
                (delivery, _guarded_send(claim, delivery, client=client, config=config))
            )
    with transaction.atomic():
        result += _record(claim, outcomes, config=config, now=clock())
        result += _return_unattempted(claim, [*unattempted, *waiting])
    return result


def _active(claim: Claim, delivery: WebhookDelivery) -> bool:
    """Whether the delivery's subscription still exists and is active (as last read)."""
    target = claim.targets.get(delivery.subscription_id)
    return target is not None and target.active


def _refresh_targets(claim: Claim, window: Sequence[WebhookDelivery]) -> None:
    """Read again the status of the window's subscriptions: a subscription deleted since
    the claim loses its target, a paused one becomes inactive."""
    ids = {delivery.subscription_id for delivery in window}
    statuses = dict(WebhookSubscription.objects.filter(pk__in=ids).values_list("pk", "status"))
    for pk in ids:
        target = claim.targets.get(pk)
        if pk not in statuses:
            claim.targets.pop(pk, None)
        elif target is not None:
            active = statuses[pk] == SubscriptionStatus.ACTIVE
            if active != target.active:
                claim.targets[pk] = Target(target.url, target.secret, active)


def _guarded_send(
    claim: Claim, delivery: WebhookDelivery, *, client: httpx.Client, config: WebhookSettings
) -> SendOutcome:
    """`_send`, whose unexpected failure is a temporary failure of this delivery only."""
    try:
        return _send(claim, delivery, client=client, config=config)
    except Exception as error:  # one delivery's problem stays its own
        logger.exception("webhook_send_failed", delivery=delivery.pk)
        return SendOutcome(
            SendKind.TEMPORARY, error=f"The attempt failed ({type(error).__name__})."
        )


def _send(
    claim: Claim, delivery: WebhookDelivery, *, client: httpx.Client, config: WebhookSettings
) -> SendOutcome:
    target = claim.targets.get(delivery.subscription_id)
    if target is None:
        return SendOutcome(SendKind.TEMPORARY, error="The subscription is gone.")
    if not target.secret:
        return SendOutcome(
            SendKind.PERMANENT,
            error="The signing secret opens with no configured key (SECRET_KEY was changed "
            "without SECRET_KEY_FALLBACKS): rotate the subscription's secret.",
        )
    event = claim.events[delivery.event_id]
    return webhook_send(
        client,
        url=target.url,
        event_id=event.event_id,
        body=claim.bodies[delivery.event_id],
        secret=target.secret,
        config=config,
        now=timezone.now(),
    )


def _mine(claim: Claim, deliveries: Sequence[WebhookDelivery], statuses: Sequence[str]) -> Any:
    return leases_held(model=WebhookDelivery, lease=claim.lease, rows=deliveries, statuses=statuses)


def _mark_sending(claim: Claim, window: list[WebhookDelivery]) -> list[WebhookDelivery]:
    """Claimed → sending, attempts + 1; only the deliveries that are still ours are sent."""
    return leases_mark_sending(
        model=WebhookDelivery,
        lease=claim.lease,
        window=window,
        claimed_status=DeliveryStatus.CLAIMED,
        sending_status=DeliveryStatus.SENDING,
    )


def _unmark(claim: Claim, deliveries: Sequence[WebhookDelivery]) -> None:
    """Sending → claimed for marked deliveries that were not sent after all (lease half used)."""
    _mine(claim, deliveries, (DeliveryStatus.SENDING,)).update(
        status=DeliveryStatus.CLAIMED, attempts=F("attempts") - 1
    )
    for delivery in deliveries:
        delivery.status = DeliveryStatus.CLAIMED
        delivery.attempts -= 1


def _return_unattempted(claim: Claim, deliveries: Sequence[WebhookDelivery]) -> DispatchResult:
    ours = leases_return(
        model=WebhookDelivery,
        lease=claim.lease,
        rows=deliveries,
        claimed_status=DeliveryStatus.CLAIMED,
        only=("pk", "attempts"),
    )
    _requeue(ours)
    return DispatchResult(returned=len(ours))


# --- Recording outcomes -------------------------------------------------------------------


@dataclass(frozen=True)
class Settled:
    """The new state of one delivery after an attempt, and its history entry."""

    delivery: WebhookDelivery
    outcome: SendOutcome
    status: DeliveryStatus
    kind: AttemptKind
    detail: str
    next_attempt_at: dt.datetime | None
    pause: str = ""


def _record(
    claim: Claim,
    outcomes: Sequence[tuple[WebhookDelivery, SendOutcome]],
    *,
    config: WebhookSettings,
    now: dt.datetime,
) -> DispatchResult:
    """Write a window's outcomes (in the caller's transaction): the deliveries this claim still
    holds in one UPDATE, every attempt in one INSERT (a report on a delivery no longer ours is
    kept as `late` and changes nothing), then the pauses."""
    if not outcomes:
        return DispatchResult()
    held = set(
        _mine(claim, [delivery for delivery, _ in outcomes], (DeliveryStatus.SENDING,))
        .select_for_update()
        .values_list("pk", flat=True)
    )
    settled = _settle_all(outcomes, config=config, now=now, expired=False)
    return _write(settled, held=held, worker=claim.lease.worker, now=now)


def _settle_all(
    outcomes: Sequence[tuple[WebhookDelivery, SendOutcome]],
    *,
    config: WebhookSettings,
    now: dt.datetime,
    expired: bool,
) -> list[Settled]:
    return [
        _settled(delivery, outcome, config=config, now=now, expired=expired)
        for delivery, outcome in outcomes
    ]


def _settled(
    delivery: WebhookDelivery,
    outcome: SendOutcome,
    *,
    config: WebhookSettings,
    now: dt.datetime,
    expired: bool,
) -> Settled:
    """What an attempt's outcome makes of the delivery (see the module docstring, step 4)."""
    if outcome.kind is SendKind.DELIVERED:
        return Settled(delivery, outcome, DeliveryStatus.DELIVERED, AttemptKind.DELIVERED, "", None)
    if outcome.kind is SendKind.TEMPORARY and delivery.attempts < config.max_attempts:
        wait = config.retry_delay(attempts=delivery.attempts, retry_after=outcome.retry_after)
        next_attempt_at = now + wait
        detail = f"{outcome.error} Next attempt at {_local(next_attempt_at)}."
        kind = AttemptKind.EXPIRED if expired else AttemptKind.RETRY
        return Settled(delivery, outcome, DeliveryStatus.RETRY, kind, detail, next_attempt_at)
    detail = outcome.error
    if outcome.kind is SendKind.TEMPORARY:
        detail = f"Gave up after {delivery.attempts} attempts: {detail}"
    return Settled(
        delivery, outcome, DeliveryStatus.FAILED, AttemptKind.FAILED, detail, None, pause=detail
    )


def _write(
    settled: Sequence[Settled], *, held: set[int] | list[int], worker: str, now: dt.datetime
) -> DispatchResult:
    """One UPDATE for the held deliveries, one INSERT for the attempts, then the pauses."""
    held = set(held)
    # A delivery deleted meanwhile (with its subscription) has nothing left to record on.
    existing = set(
        WebhookDelivery.objects.filter(pk__in=[entry.delivery.pk for entry in settled])
        .select_for_update()
        .values_list("pk", flat=True)
    )
    settled = [entry for entry in settled if entry.delivery.pk in existing]
    mine = [entry for entry in settled if entry.delivery.pk in held]
    if mine:
        WebhookDelivery.objects.filter(pk__in=[entry.delivery.pk for entry in mine]).update(
            status=_per_row(mine, lambda e: e.status, models.CharField()),
            next_attempt_at=_per_row(
                mine,
                lambda e: e.next_attempt_at,
                models.DateTimeField(),
                keep="next_attempt_at",
            ),
            delivered_at=_per_row(
                mine,
                lambda e: now if e.status == DeliveryStatus.DELIVERED else None,
                models.DateTimeField(),
                keep="delivered_at",
            ),
            last_status_code=_per_row(
                mine, lambda e: e.outcome.status_code, models.PositiveSmallIntegerField()
            ),
            last_latency_ms=_per_row(
                mine, lambda e: e.outcome.latency_ms, models.PositiveIntegerField()
            ),
            last_error=_per_row(mine, lambda e: e.detail, models.TextField()),
        )
    WebhookAttempt.objects.bulk_create(
        _attempt(entry, worker=worker, now=now, late=entry.delivery.pk not in held)
        for entry in settled
    )
    subscriptions_pause(
        [Pause(e.delivery.subscription_id, e.delivery.pk, e.pause) for e in mine if e.pause],
        now=now,
    )
    return DispatchResult(
        sent=sum(1 for e in mine if e.status == DeliveryStatus.DELIVERED),
        retried=sum(1 for e in mine if e.status == DeliveryStatus.RETRY),
        failed=sum(1 for e in mine if e.status == DeliveryStatus.FAILED),
    )


def _per_row(
    entries: Sequence[Settled],
    value: Callable[[Settled], Any],
    field: models.Field[Any, Any],
    *,
    keep: str = "",
) -> Any:
    """A CASE over the rows' ids giving each its own value; with `keep`, a None value keeps
    the column as it is. When every row gets the same value, just that value."""
    values = [value(entry) for entry in entries]
    if len(set(values)) == 1 and not (keep and values[0] is None):
        return Value(values[0], output_field=field)
    whens = [
        When(pk=entry.delivery.pk, then=Value(item, output_field=field))
        for entry, item in zip(entries, values, strict=True)
        if not (keep and item is None)
    ]
    default = F(keep) if keep else Value(None, output_field=field)
    if not whens:
        return default
    return Case(*whens, default=default, output_field=field)


def _attempt(entry: Settled, *, worker: str, now: dt.datetime, late: bool) -> WebhookAttempt:
    outcome = entry.outcome
    kind, detail = entry.kind, entry.detail
    if late:
        kind = AttemptKind.LATE
        detail = (
            f"Reported {outcome.kind.value} ({outcome.status_code or outcome.error or '-'}) "
            "after the delivery was no longer this dispatcher's; the report changed nothing."
        )
    return WebhookAttempt(
        delivery_id=entry.delivery.pk,
        kind=kind,
        attempt=entry.delivery.attempts,
        at=now,
        worker=worker or entry.delivery.claimed_by,
        detail=detail,
        status_code=outcome.status_code,
        latency_ms=outcome.latency_ms,
        response_excerpt=outcome.excerpt,
    )


def _local(moment: dt.datetime) -> str:
    """A moment as staff read it in the history: business time zone, named."""
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M:%S %Z}"
