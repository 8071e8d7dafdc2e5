"""`reminders_plan`: planning the renewal reminders of 1,000,000 contracts on PostgreSQL.

Target (R10, docs/reminders.md): under 10 s, set-based, with a peak RSS under 512 MiB.

The benchmark brings its own data, written with SQL (`generate_series`, INSERT … SELECT) into a
database of its own (`channeldesk_bench_reminders` on the BENCH_DATABASE_URL server): 1,000
partners, one enterprise product, one customer per two contracts (each looked after by one
partner), and the contracts with end dates spread evenly over three years around the
benchmark's "today" (2026-11-27): those that ended are renewed (7 in 10) or expired, the others
active. `--scale small` uses 20,000 contracts.

Figures, each the median of several runs from an empty reminder table:

- `reminders_plan.seconds` (**the target's figure**): one planning run as the hourly job does it
  (the default 90-day horizon: every contract is looked at, the rows due within 90 days are
  written);
- `reminders_plan.replan_seconds`: the same run again, which finds everything planned;
- `reminders_plan.next_day_seconds`: the run a day later, the steady state of the job (it adds
  the rows that came within the horizon overnight);
- `reminders_plan.all_seconds` (informational, no target): planning every reminder at once, a
  horizon covering every end date, so every active contract gets all its rows. Planning never
  runs like that: reminders are planned ahead of their due date by the hourly sweep, within
  the horizon (docs/reminders.md, "Why planning has a horizon"); this shows what the horizon
  saves;
- `reminders_plan.peak_rss`: the process's peak RSS (planning runs in the database, so it
  stays at Django's own size whatever the number of contracts).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from common import (
    FIRST_END,
    SPREAD_DAYS,
    TODAY,
    arguments,
    bench_customers_assign,
    bench_partners_insert,
    bench_product,
    contracts_register_empty,
    emit,
    emit_under,
    execute,
    peak_rss_mib,
    setup_scratch_django,
)

CONTRACTS = {"small": 20_000, "full": 1_000_000}
RUNS = {"small": 3, "full": 3}
PARTNERS = 1_000
TARGET_SECONDS = 10.0
TARGET_RSS_MIB = 512.0


# --- The data ---------------------------------------------------------------------------------


def _loaded(contracts: int) -> bool:
    from channeldesk.contracts.models import Contract

    return Contract.objects.count() == contracts


def load(contracts: int) -> float:
    """Empty the register and write the scale's data with SQL; returns the seconds it took."""
    start = time.perf_counter()
    contracts_register_empty()
    product = bench_product(list_price="100.00")
    bench_partners_insert(PARTNERS)
    customers = contracts // 2
    _customers(customers)
    _contracts(contracts, customers=customers, product_id=product.pk)
    execute("ANALYZE")
    return time.perf_counter() - start


def _customers(customers: int) -> None:
    execute(
        "INSERT INTO contracts_customer (customer_number, name, street, postal_code, city, "
        "country, language, sector, contact_name, contact_email, created_at, updated_at) "
        "SELECT 'KB-' || lpad(n::text, 8, '0'), 'Bench Customer ' || n, 'Hauptstraße 1', "
        "'10115', 'Berlin', 'DE', CASE WHEN n %% 5 = 0 THEN 'en' ELSE 'de' END, 'other', '', '', "
        "now(), now() FROM generate_series(1, %s) AS n",
        [customers],
    )
    bench_customers_assign(PARTNERS)


def _contracts(contracts: int, *, customers: int, product_id: int) -> None:
    """End dates evenly over three years; those ended before today renewed or expired."""
    execute(
        "INSERT INTO contracts_contract (contract_number, customer_id, partner_id, product_id, "
        "seats, start_date, end_date, status, cancellation_reason, created_at, updated_at) "
        "SELECT 'VB-' || lpad(n::text, 8, '0'), c.id, a.partner_id, %s, 1 + n %% 50, "
        "e.end_date - 364, e.end_date, "
        "CASE WHEN e.end_date >= %s THEN 'active' WHEN n %% 10 < 7 THEN 'renewed' "
        "ELSE 'expired' END, '', now(), now() "
        "FROM generate_series(1, %s) AS n "
        "CROSS JOIN LATERAL (SELECT CAST(%s AS date) + (n * %s / %s) AS end_date) AS e "
        "JOIN contracts_customer c ON c.id = 1 + n %% %s "
        "JOIN contracts_customerassignment a ON a.customer_id = c.id",
        [product_id, TODAY, contracts, FIRST_END, SPREAD_DAYS, contracts, customers],
    )


# --- The measurements -------------------------------------------------------------------------


def _empty_reminders() -> None:
    execute("TRUNCATE contracts_reminderevent, contracts_reminder RESTART IDENTITY")


def _timed(
    function: Callable[[], Any], *, runs: int, before: Callable[[], None]
) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        before()
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def _after_today(plan: Callable[[], Any]) -> None:
    """Back to the state after today's run: the rows of tomorrow's run removed."""
    execute(
        "DELETE FROM contracts_reminder WHERE due_on > %s",
        [TODAY + dt.timedelta(days=90)],
    )
    plan()


def main() -> None:
    options = arguments(__doc__ or "", CONTRACTS)
    database = setup_scratch_django("reminders")
    if database != "postgresql":
        raise SystemExit("reminders_plan measures PostgreSQL; set BENCH_DATABASE_URL=postgres://…")
    from django.conf import settings

    from channeldesk.contracts.models import Reminder
    from channeldesk.contracts.reminders.planning import reminders_plan

    contracts = CONTRACTS[options.scale]
    load_seconds = load(contracts) if not _loaded(contracts) else 0.0
    runs = options.runs or RUNS[options.scale]
    plan = lambda: reminders_plan(today=TODAY)  # noqa: E731
    seconds, report = _timed(plan, runs=runs, before=_empty_reminders)
    replan_seconds, replan = _timed(plan, runs=runs, before=lambda: None)
    next_day = lambda: reminders_plan(today=TODAY + dt.timedelta(days=1))  # noqa: E731
    next_day_seconds, tomorrow = _timed(next_day, runs=runs, before=lambda: _after_today(plan))
    settings.REMINDERS_PLANNING_HORIZON_DAYS = SPREAD_DAYS + 366
    all_seconds, everything = _timed(plan, runs=runs, before=_empty_reminders)
    rows = Reminder.objects.count()
    common = {"scale": options.scale, "database": database, "runs": runs, "contracts": contracts}
    rss = round(peak_rss_mib(), 1)
    emit_under(
        "reminders_plan.seconds",
        seconds,
        "s",
        limit=TARGET_SECONDS,
        reminders=report.planned,
        horizon_days=90,
        mode="the hourly job: rows due within the planning horizon",
        load_seconds=round(load_seconds, 1),
        peak_rss_mib=rss,
        **common,
    )
    for name, figure, result in (
        ("replan_seconds", replan_seconds, replan),
        ("next_day_seconds", next_day_seconds, tomorrow),
    ):
        emit_under(
            f"reminders_plan.{name}",
            figure,
            "s",
            limit=TARGET_SECONDS,
            reminders=result.planned,
            peak_rss_mib=rss,
            **common,
        )
    emit(
        "reminders_plan.all_seconds",
        all_seconds,
        "s",
        target="none (informational)",
        reminders=everything.planned,
        rows=rows,
        mode="every reminder at once (no horizon); planning never runs like this",
        ratio_to_horizon=round(all_seconds / seconds, 2),
        peak_rss_mib=rss,
        **common,
    )
    emit_under("reminders_plan.peak_rss", rss, "MiB", limit=TARGET_RSS_MIB, **common)


if __name__ == "__main__":
    main()
