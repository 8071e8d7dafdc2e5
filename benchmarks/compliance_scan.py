"""`compliance_scan`: the daily compliance scan of 100,000 enterprise contracts with 1,000,000
installations on PostgreSQL.

Target (R12, docs/licensing.md): under 10 s, with a peak RSS under 512 MiB. The scan is one
INSERT … SELECT (licensing/compliance.py), so the process stays at Django's own size.

Figures, each the median of several runs:

- `compliance_scan.seconds`: one day's scan from scratch (no records of the day yet), with the
  previous day's records present, as in the daily job; episodes opened and quoted included;
- `compliance_scan.rescan_seconds`: the same day again (the records are replaced);
- `compliance_scan.peak_rss`: the process's peak RSS.

`--scale small`: 5,000 contracts, 50,000 installations.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

from common import TODAY, arguments, emit_under, execute, peak_rss_mib, scalar
from licensing_support import load_contracts, load_installations, setup

SIZES = {"small": (5_000, 10), "full": (100_000, 10)}
RUNS = {"small": 3, "full": 3}
TARGET_SECONDS = 10.0
TARGET_RSS_MIB = 512.0


def main() -> None:
    options = arguments(__doc__ or "", SIZES)
    database = setup(f"licensing_{options.scale}")
    if database != "postgresql":
        raise SystemExit("compliance_scan measures PostgreSQL; set BENCH_DATABASE_URL=postgres://…")
    from channeldesk.licensing.compliance import compliance_scan

    contracts, per_contract = SIZES[options.scale]
    load_seconds = 0.0
    if scalar("SELECT COUNT(*) FROM licensing_keycode") != contracts:
        load_seconds += load_contracts(contracts)
    installations = scalar("SELECT COUNT(*) FROM licensing_installation")
    if not contracts * per_contract * 0.9 <= installations <= contracts * per_contract * 1.2:
        load_seconds += load_installations(per_contract)
        installations = scalar("SELECT COUNT(*) FROM licensing_installation")
    runs = options.runs or RUNS[options.scale]
    yesterday = TODAY - dt.timedelta(days=1)
    execute("DELETE FROM licensing_complianceepisode")
    execute("DELETE FROM licensing_compliancerecord")
    compliance_scan(day=yesterday, with_quotes=False)
    times, rescans, result = [], [], None
    for _ in range(runs):
        execute("DELETE FROM licensing_complianceepisode WHERE started_on = %s", [TODAY])
        execute("UPDATE licensing_complianceepisode SET ended_on = NULL")
        execute("DELETE FROM licensing_compliancerecord WHERE day = %s", [TODAY])
        start = time.perf_counter()
        result = compliance_scan(day=TODAY, with_quotes=False)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        compliance_scan(day=TODAY, with_quotes=False)
        rescans.append(time.perf_counter() - start)
    assert result is not None
    seconds, rescan = statistics.median(times), statistics.median(rescans)
    rss = round(peak_rss_mib(), 1)
    common = {
        "scale": options.scale,
        "database": database,
        "runs": runs,
        "contracts": contracts,
        "installations": installations,
    }
    emit_under(
        "compliance_scan.seconds",
        seconds,
        "s",
        limit=TARGET_SECONDS,
        by_status=result.by_status,
        load_seconds=round(load_seconds, 1),
        peak_rss_mib=rss,
        **common,
    )
    emit_under(
        "compliance_scan.rescan_seconds",
        rescan,
        "s",
        limit=TARGET_SECONDS,
        peak_rss_mib=rss,
        **common,
    )
    emit_under("compliance_scan.peak_rss", rss, "MiB", limit=TARGET_RSS_MIB, **common)


if __name__ == "__main__":
    main()
