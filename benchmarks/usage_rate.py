"""`usage_rate`: rating a month of usage on PostgreSQL.

Target (R14, docs/usage.md): a month of 10,000,000 events (100,000 users, 1,000 contracts)
rated in under 30 s with a peak RSS under 1 GiB: the counting happens in SQL, Python sees one
row per contract and day. `--scale small`: 200,000 events, 10,000 users, 100 contracts.

The events are written once into the scratch database `channeldesk_bench_usage` by one
`INSERT … SELECT … FROM generate_series` (not through ingest: that is `usage_ingest`'s
business). Each contract has its own 100 users, each user's events spread over the month's days; one
event in 997 is voided. Measured: `month_rate` (count, attribute
to partner and tier day by day, price) and `period_rate` (the same plus replacing the stored
rating lines), median of the runs.
"""

from __future__ import annotations

import time

from common import arguments, emit, execute, peak_rss_mib, scalar, timed
from usage_support import MONTH, contracts_ensure, setup

SIZES = {"small": (200_000, 100), "full": (10_000_000, 1_000)}  # events, contracts
USERS_PER_CONTRACT = 100
RUNS = {"small": 3, "full": 3}
TARGET_SECONDS = 30
TARGET_RSS_MIB = 1024
VOID_STEP = 997  # a prime: the voided events are spread over all contracts


def _load(events: int, contracts: int) -> None:
    """The month's events, written by the database itself (once per size)."""
    keys = contracts_ensure(contracts)
    first_id = min(keys.values())
    tag = f"R{contracts}"
    present = scalar(
        "SELECT COUNT(*) FROM usage_usageevent WHERE subscription_id BETWEEN %s AND %s",
        [first_id, first_id + contracts - 1],
    )
    if present == events + len(range(0, events, VOID_STEP)):
        return
    execute("TRUNCATE usage_usageevent RESTART IDENTITY")
    started = time.perf_counter()
    # g: contract = g mod C, user = (g / C) mod 100, day = (g * 7919) mod 31 (a prime
    # multiplier, so each user's events spread over the month), hour = g mod 24.
    execute(
        f"""
        INSERT INTO usage_usageevent (subscription_id, event_id, kind, user_key, service,
            occurred_at, usage_date, quantity, target_event_id, received_at)
        SELECT {first_id} + g %% {contracts}, '{tag}-' || g, 'usage',
               'user-' || (g / {contracts}) %% {USERS_PER_CONTRACT}, 'mdr',
               (%s::date + ((g * 7919) %% 31) * interval '1 day' + (g %% 24) * interval '1 hour'),
               %s::date + ((g * 7919) %% 31)::int, 1, NULL, now()
        FROM generate_series(0::bigint, {events - 1}) AS g
        """,
        [MONTH, MONTH],
    )
    execute(
        f"""
        INSERT INTO usage_usageevent (subscription_id, event_id, kind, user_key, service,
            occurred_at, usage_date, quantity, target_event_id, received_at)
        SELECT {first_id} + g %% {contracts}, '{tag}-void-' || g, 'void', '', '',
               %s::timestamptz, NULL, 1, '{tag}-' || g, now()
        FROM generate_series(0, {events - 1}, {VOID_STEP}) AS g
        """,
        [f"{MONTH.isoformat()}T12:00:00Z"],
    )
    execute("ANALYZE usage_usageevent")
    print(f"loaded {events:,} events in {time.perf_counter() - started:.1f} s", flush=True)


def main() -> None:
    options = arguments(__doc__ or "", SIZES)
    database = setup()
    if database != "postgresql":
        raise SystemExit("usage_rate measures PostgreSQL; set BENCH_DATABASE_URL=postgres://…")
    events, contracts = SIZES[options.scale]
    runs = options.runs or RUNS[options.scale]
    _load(events, contracts)
    from channeldesk.usage.closing import period_rate
    from channeldesk.usage.rating import month_rate

    seconds, lines = timed(lambda: month_rate(month=MONTH), runs)
    stored_seconds, summary = timed(lambda: period_rate(month=MONTH), runs)
    rss = round(peak_rss_mib(), 1)
    common = {"scale": options.scale, "database": database, "runs": runs}
    emit(
        "usage_rate.month",
        seconds,
        "s",
        target=f"< {TARGET_SECONDS} s and peak RSS < {TARGET_RSS_MIB} MiB",
        meets_target=seconds < TARGET_SECONDS and rss < TARGET_RSS_MIB,
        events=events,
        contracts=contracts,
        users=contracts * USERS_PER_CONTRACT,
        lines=len(lines),
        user_days=str(summary.units),
        peak_rss_mib=rss,
        **common,
    )
    emit(
        "usage_rate.period_rate",
        stored_seconds,
        "s",
        lines=summary.lines,
        net_total=str(summary.net_total),
        peak_rss_mib=rss,
        **common,
    )


if __name__ == "__main__":
    main()
