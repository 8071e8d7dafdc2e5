"""`usage_ingest`: usage events per second into PostgreSQL, in-process and over HTTP.

Targets (R14, docs/usage.md):

- `usage_ingest.service`: batches of 10,000 through `usage_events_ingest` (the subscription
  look-up, per-event checks, the day in the contract's time zone, COPY into the staging table,
  `INSERT … ON CONFLICT DO NOTHING RETURNING`, the late-month check), at least 0.5× the
  **limit** measured in the same run: a bare staged COPY of the same rows (pre-formatted) plus
  `INSERT … SELECT … ON CONFLICT DO NOTHING`, per batch of 10,000, nothing else.
- `usage_ingest.http`: batches of 1,000 through `POST /api/v1/usage/events` on the production
  server (gunicorn, 2 workers) from several client processes with keep-alive, at least
  40,000 events per second.

Service and limit batches alternate, each with fresh event ids, so both insert every row.
`--scale small`: 5 batches of 10,000 per round and 40 HTTP batches; `full`: 30 and 400.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
import uuid
from typing import Any

from common import (
    arguments,
    emit_at_least,
    emit_compared,
    execute,
    gunicorn,
    peak_rss_mib,
    post_parallel,
)
from usage_support import contracts_ensure, setup

SIZES = {"small": (5, 40, 2), "full": (30, 400, 3)}  # service batches, HTTP batches, clients
RUNS = {"small": 3, "full": 3}
BATCH = 10_000
HTTP_BATCH = 1_000
CONTRACTS = 100
USERS = 100
TARGET_RATIO = 0.5
TARGET_HTTP = 40_000
PORT = 8791
BERLIN = dt.timezone(dt.timedelta(hours=2))


def _events(tag: str, count: int) -> list[Any]:
    from channeldesk.usage.events import EventInput

    base = dt.datetime(2026, 10, 1, 8, tzinfo=BERLIN)
    return [
        EventInput(
            event_id=f"{tag}-{index}",
            subscription_key=f"B-{index % CONTRACTS}",
            occurred_at=base + dt.timedelta(minutes=index % 40_000),
            user_key=f"user-{index % USERS:04d}",
            service="mdr",
        )
        for index in range(count)
    ]


def _service_batch(events: list[Any]) -> float:
    from channeldesk.usage.ingest import usage_events_ingest

    start = time.perf_counter()
    report = usage_events_ingest(events=events)
    elapsed = time.perf_counter() - start
    assert report.accepted == len(events), report.accepted
    return elapsed


def _limit_batch(buffer: str) -> float:
    from django.db import connection, transaction

    from channeldesk.usage.ingest import _COLUMNS, _STAGE, stage_create

    table = "usage_usageevent"
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        stage_create(cursor)
        with cursor.copy(f"COPY {_STAGE} ({_COLUMNS}) FROM STDIN") as copy:
            copy.write(buffer)
        cursor.execute(
            f"INSERT INTO {table} ({_COLUMNS}) SELECT {_COLUMNS} FROM {_STAGE} "
            "ON CONFLICT (subscription_id, event_id) DO NOTHING"
        )
    return time.perf_counter() - start


def _limit_buffer(events: list[Any], keys: dict[str, int]) -> str:
    """The rows the service would write, pre-formatted: the limit does no Python work."""
    from channeldesk.usage.ingest import _copy_buffer

    received = dt.datetime.now(dt.UTC).isoformat()
    rows = [
        (
            keys[item.subscription_key],
            item.event_id,
            item.kind,
            item.user_key,
            item.service,
            item.occurred_at,
            item.occurred_at.date(),
            item.quantity,
            None,
        )
        for item in events
    ]
    return _copy_buffer(rows, received)


def _round(run: int, batches: int, keys: dict[str, int]) -> tuple[float, float]:
    service_time = limit_time = 0.0
    for batch in range(batches):
        service_events = _events(f"s{run}-{batch}-{uuid.uuid4().hex[:6]}", BATCH)
        limit_events = _events(f"l{run}-{batch}-{uuid.uuid4().hex[:6]}", BATCH)
        buffer = _limit_buffer(limit_events, keys)
        if batch % 2:
            service_time += _service_batch(service_events)
            limit_time += _limit_batch(buffer)
        else:
            limit_time += _limit_batch(buffer)
            service_time += _service_batch(service_events)
    total = batches * BATCH
    return total / service_time, total / limit_time


# --- HTTP ---------------------------------------------------------------------------------------


def _accepted(answer: dict[str, Any]) -> int:
    return int(answer["accepted"])


def _http_round(batches: int, clients: int, secret: str) -> float:
    tag = uuid.uuid4().hex[:8]
    payloads = []
    for batch in range(batches):
        events = _events(f"h{tag}-{batch}", HTTP_BATCH)
        items = [
            {
                "event_id": item.event_id,
                "subscription_key": item.subscription_key,
                "user_key": item.user_key,
                "service": item.service,
                "occurred_at": item.occurred_at.isoformat(),
            }
            for item in events
        ]
        payloads.append(json.dumps({"events": items}).encode())
    return post_parallel(
        payloads,
        port=PORT,
        path="/api/v1/usage/events",
        clients=clients,
        headers={"Authorization": f"Bearer {secret}"},
        accepted=_accepted,
        items=batches * HTTP_BATCH,
    )


def main() -> None:
    options = arguments(__doc__ or "", SIZES)
    database = setup()
    if database != "postgresql":
        raise SystemExit("usage_ingest measures PostgreSQL; set BENCH_DATABASE_URL=postgres://…")
    batches, http_batches, clients = SIZES[options.scale]
    runs = options.runs or RUNS[options.scale]
    keys = contracts_ensure(CONTRACTS)
    execute("TRUNCATE usage_usageevent RESTART IDENTITY")
    _round(-1, 1, keys)  # warm-up: connection, staging table, caches
    service, limit = [], []
    for run in range(runs):
        service_rate, limit_rate = _round(run, batches, keys)
        service.append(service_rate)
        limit.append(limit_rate)
    service_rate, limit_rate = statistics.median(service), statistics.median(limit)
    common = {"scale": options.scale, "database": database, "runs": runs}
    emit_compared(
        "usage_ingest.service",
        service_rate,
        "events/s",
        baseline=limit_rate,
        at_least=TARGET_RATIO,
        baseline_name="bare staged COPY + INSERT … ON CONFLICT DO NOTHING per batch of 10,000",
        batch=BATCH,
        events_per_round=batches * BATCH,
        peak_rss_mib=round(peak_rss_mib(), 1),
        **common,
    )
    from channeldesk.core.tokens import service_token_create
    from channeldesk.usage.models import Subscription
    from channeldesk.usage.services import sender_grant

    issued = service_token_create(name=f"bench {uuid.uuid4().hex[:6]}", scope="usage")
    sender_grant(
        token=issued.token, subscriptions=Subscription.objects.filter(subscription_key__in=keys)
    )
    with gunicorn(port=PORT):
        _http_round(clients * 2, clients, issued.secret)  # warm-up: workers import, connect
        http_rates = [_http_round(http_batches, clients, issued.secret) for _ in range(runs)]
    http_rate = statistics.median(http_rates)
    emit_at_least(
        "usage_ingest.http",
        http_rate,
        "events/s",
        least=TARGET_HTTP,
        server="gunicorn channeldesk.wsgi -w 2 (sync workers)",
        clients=clients,
        batch=HTTP_BATCH,
        events_per_round=http_batches * HTTP_BATCH,
        peak_rss_mib=round(peak_rss_mib(), 1),
        **common,
    )


if __name__ == "__main__":
    main()
