"""`heartbeat_ingest`: heartbeats per second into PostgreSQL, in-process and over HTTP.

Targets (R12, docs/licensing.md):

- `heartbeat_ingest.service`: batches of 1,000 through `heartbeats_ingest` (validation, keycode
  format and MAC, one keycode query, the installation upsert, the heartbeat insert), at least
  0.6× the **limit** measured in the same run: a bare staged COPY of the same rows into a
  temporary table plus `INSERT … ON CONFLICT DO UPDATE` into the installations and the insert of
  the day's heartbeat rows that the service also keeps (history is never deleted), per batch of
  1,000, into copies of the two tables; nothing else (no validation, no keycodes). The
  installations-only limit (no heartbeat rows, the issue's literal wording) is reported beside
  it as `installations_only_limit` / `ratio_to_installations_only`;
- `heartbeat_ingest.http`: the same batches through `POST /api/v1/checkins/heartbeats` on the
  production server (gunicorn, 2 workers) from several client processes with keep-alive, at
  least 20,000 heartbeats per second.

Each batch comes from one site: 1,000 machines under 5 keycodes. Every measured round sends a
day's heartbeats of the same machines (the first round, not measured, creates them), so every
item is accepted and every machine row is updated, in the service and the limit alike.

`--scale small`: 20 batches per round, 2 client processes; `full`: 100 batches, 4 processes.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
import uuid
from typing import Any

from common import (
    TODAY,
    arguments,
    emit_at_least,
    emit_compared,
    execute,
    gunicorn,
    peak_rss_mib,
    post_parallel,
    rows,
    scalar,
)
from licensing_support import code_for, load_contracts, setup

BATCH = 1_000
KEYCODES_PER_BATCH = 5
SIZES = {"small": (20, 2), "full": (100, 4)}
RUNS = {"small": 3, "full": 5}
CONTRACTS = 2_000
TARGET_RATIO = 0.6
TARGET_HTTP = 20_000
PORT = 18_765


def _batches(count: int, day: dt.date, *, offset: int = 0) -> list[list[dict[str, Any]]]:
    """`count` batches of one day: batch b holds 1,000 machines of keycodes 5b+1 … 5b+5."""
    seen = dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC).isoformat()
    batches = []
    for number in range(offset, offset + count):
        codes = [code_for(number * KEYCODES_PER_BATCH + k + 1) for k in range(KEYCODES_PER_BATCH)]
        batches.append(
            [
                {
                    "keycode": codes[item % KEYCODES_PER_BATCH],
                    "installation_id": str(uuid.UUID(int=number * BATCH + item + 1)),
                    "fingerprint": f"{number * BATCH + item + 1:064x}",
                    "product_version": "12.5.1",
                    "seen_at": seen,
                }
                for item in range(BATCH)
            ]
        )
    return batches


def _limit_rows(batches: list[list[dict[str, Any]]], day: dt.date) -> list[list[tuple[Any, ...]]]:
    keycode_ids = dict(rows("SELECT serial, id FROM licensing_keycode"))
    seen = dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC)
    return [
        [
            (
                keycode_ids[(number * KEYCODES_PER_BATCH) + (item % KEYCODES_PER_BATCH) + 1],
                beat["fingerprint"],
                beat["installation_id"],
                beat["product_version"],
                day,
                seen,
            )
            for item, beat in enumerate(batch)
        ]
        for number, batch in enumerate(batches)
    ]


def _limit_tables() -> None:
    """The bare limit writes to copies of the two tables the service writes (same columns,
    indexes and constraints), so both do the same work on the same rows without meeting."""
    execute(
        "CREATE TABLE IF NOT EXISTS bench_installation (LIKE licensing_installation INCLUDING ALL)"
    )
    execute("CREATE TABLE IF NOT EXISTS bench_heartbeat (LIKE licensing_heartbeat INCLUDING ALL)")
    execute("TRUNCATE bench_heartbeat, bench_installation RESTART IDENTITY")


_LIMIT_UPSERT = (
    "INSERT INTO bench_installation AS i (keycode_id, fingerprint, "
    "installation_uuid, hostname_hash, product_version, state, first_seen_on, "
    "last_seen_on, last_seen_at) SELECT keycode_id, fingerprint, installation_uuid, "
    "'', product_version, 'active', seen_on, seen_on, seen_at FROM bench_staging "
    "ON CONFLICT (keycode_id, fingerprint) DO UPDATE SET "
    "installation_uuid = excluded.installation_uuid, "
    "product_version = excluded.product_version, state = 'active', "
    "last_seen_on = GREATEST(i.last_seen_on, excluded.last_seen_on), "
    "last_seen_at = GREATEST(i.last_seen_at, excluded.last_seen_at)"
)


def _limit_batch(batch_rows: list[tuple[Any, ...]], *, with_heartbeats: bool) -> None:
    """The bare database work of one batch: COPY to a staging table, one upsert of the
    installations and, like the service, one insert of the day's heartbeat rows."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS bench_staging (keycode_id bigint, "
            "fingerprint varchar(64), installation_uuid uuid, product_version varchar(32), "
            "seen_on date, seen_at timestamptz) ON COMMIT DELETE ROWS"
        )
        with cursor.cursor.copy(
            "COPY bench_staging (keycode_id, fingerprint, installation_uuid, "
            "product_version, seen_on, seen_at) FROM STDIN"
        ) as copy:
            for row in batch_rows:
                copy.write_row(row)
        if not with_heartbeats:
            cursor.execute(_LIMIT_UPSERT)
            return
        cursor.execute(
            f"WITH m AS ({_LIMIT_UPSERT} RETURNING id, keycode_id, fingerprint) "
            "INSERT INTO bench_heartbeat (installation_id, seen_on, product_version) "
            "SELECT m.id, s.seen_on, s.product_version FROM bench_staging s "
            "JOIN m USING (keycode_id, fingerprint) ON CONFLICT DO NOTHING"
        )


def _round(batches_per_round: int, day: dt.date, now: dt.datetime) -> tuple[float, float, float]:
    """One round of the service and the limits, interleaved batch by batch (so that all see the
    same share of a busy machine); returns the service's, the limit's (installations and
    heartbeats, as the service writes) and the installations-only limit's rates."""
    from channeldesk.licensing.ingest import heartbeats_ingest

    batches = _batches(batches_per_round, day)
    limit_rows = _limit_rows(batches, day)
    service_seconds = limit_seconds = single_seconds = 0.0
    for batch, batch_rows in zip(batches, limit_rows, strict=True):
        start = time.perf_counter()
        _limit_batch(batch_rows, with_heartbeats=True)
        limit_seconds += time.perf_counter() - start
        start = time.perf_counter()
        _limit_batch(batch_rows, with_heartbeats=False)
        single_seconds += time.perf_counter() - start
        start = time.perf_counter()
        result = heartbeats_ingest(items=batch, now=now)
        service_seconds += time.perf_counter() - start
        assert result.counts == {"accepted": BATCH}, result.counts
    heartbeats = batches_per_round * BATCH
    return (
        heartbeats / service_seconds,
        heartbeats / limit_seconds,
        heartbeats / single_seconds,
    )


def _accepted(answer: dict[str, Any]) -> int:
    return int(answer["counts"].get("accepted", 0))


def _http_round(batches: list[list[dict[str, Any]]], clients: int) -> float:
    payloads = [json.dumps({"heartbeats": batch}).encode() for batch in batches]
    return post_parallel(
        payloads,
        port=PORT,
        path="/api/v1/checkins/heartbeats",
        clients=clients,
        headers={},
        accepted=_accepted,
        items=len(batches) * BATCH,
    )


def main() -> None:
    options = arguments(__doc__ or "", SIZES)
    database = setup("licensing_ingest")
    if database != "postgresql":
        raise SystemExit(
            "heartbeat_ingest measures PostgreSQL; set BENCH_DATABASE_URL=postgres://…"
        )
    batches_per_round, clients = SIZES[options.scale]
    runs = options.runs or RUNS[options.scale]
    if scalar("SELECT COUNT(*) FROM licensing_keycode") != CONTRACTS:
        load_contracts(CONTRACTS)
    execute("TRUNCATE licensing_heartbeat, licensing_installation RESTART IDENTITY")
    _limit_tables()
    now = dt.datetime.combine(TODAY, dt.time(12), tzinfo=dt.UTC)
    _round(batches_per_round, TODAY, now)  # creates the machines
    service, limit, single = [], [], []
    for run in range(runs):
        day = TODAY - dt.timedelta(days=run + 1)
        execute("DELETE FROM licensing_heartbeat WHERE seen_on = %s", [day])
        execute("DELETE FROM bench_heartbeat WHERE seen_on = %s", [day])
        service_rate, limit_rate, single_rate = _round(batches_per_round, day, now)
        service.append(service_rate)
        limit.append(limit_rate)
        single.append(single_rate)
    service_rate, limit_rate = statistics.median(service), statistics.median(limit)
    single_rate = statistics.median(single)
    rss = round(peak_rss_mib(), 1)
    common = {"scale": options.scale, "database": database, "runs": runs, "batch": BATCH}
    emit_compared(
        "heartbeat_ingest.service",
        service_rate,
        "heartbeats/s",
        baseline=limit_rate,
        at_least=TARGET_RATIO,
        baseline_name=(
            "bare staged COPY + INSERT … ON CONFLICT DO UPDATE of the installations and "
            "INSERT … ON CONFLICT DO NOTHING of their heartbeat rows, per batch of 1,000"
        ),
        installations_only_limit=round(single_rate, 1),
        ratio_to_installations_only=round(service_rate / single_rate, 3),
        heartbeats_per_round=batches_per_round * BATCH,
        peak_rss_mib=rss,
        **common,
    )
    with gunicorn(port=PORT, env={"LICENSING_HEARTBEAT_RATE_PER_ADDRESS": "1000000/minute"}):
        http_rates = [
            _http_round(
                _batches(batches_per_round, TODAY - dt.timedelta(days=runs + run + 2)), clients
            )
            for run in range(runs)
        ]
    http_rate = statistics.median(http_rates)
    emit_at_least(
        "heartbeat_ingest.http",
        http_rate,
        "heartbeats/s",
        least=TARGET_HTTP,
        server="gunicorn channeldesk.wsgi -w 2 (sync workers)",
        clients=clients,
        heartbeats_per_round=batches_per_round * BATCH,
        ratio_to_service=round(http_rate / service_rate, 3),
        peak_rss_mib=rss,
        **common,
    )


if __name__ == "__main__":
    main()
