"""`reminders_plan`: planning the renewal reminders of 1,000,000 contracts on PostgreSQL.

Target (issue 3, section 6): under 10 s, set-based, with a peak RSS under 512 MiB.

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

import argparse
import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from common import ANCHOR, emit, peak_rss_mib, setup_scratch_django

CONTRACTS = {"small": 20_000, "full": 1_000_000}
RUNS = {"small": 3, "full": 3}
PARTNERS = 1_000
TARGET_SECONDS = 10.0
TARGET_RSS_MIB = 512.0
TODAY = dt.date.fromisoformat(ANCHOR)
# End dates from a year before "today" to two years after.
FIRST_END = TODAY - dt.timedelta(days=365)
SPREAD_DAYS = 3 * 365


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(CONTRACTS), default="small")
    parser.add_argument("--runs", type=int, help="Repetitions (the median is taken).")
    return parser.parse_args()


# --- The data ---------------------------------------------------------------------------------


def _execute(sql: str, params: list[Any] | None = None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])


def _loaded(contracts: int) -> bool:
    from channeldesk.contracts.models import Contract

    return Contract.objects.count() == contracts


def load(contracts: int) -> float:
    """Empty the register and write the scale's data with SQL; returns the seconds it took."""
    from channeldesk.catalog.models import Product, ProductKind
    from channeldesk.contracts.reminders.schedules import schedule_install_default

    start = time.perf_counter()
    _execute(
        "TRUNCATE contracts_reminderevent, contracts_reminder, contracts_contract, "
        "contracts_customerassignment, contracts_customer RESTART IDENTITY CASCADE"
    )
    schedule_install_default(effective_from=dt.date(2026, 4, 1))
    product, _ = Product.objects.get_or_create(
        sku="ENT-BENCH",
        defaults={
            "name_de": "ChannelDesk Enterprise",
            "name_en": "ChannelDesk Enterprise",
            "kind": ProductKind.ENTERPRISE,
            "list_price": "100.00",
            "unit": "seat",
        },
    )
    _partners()
    customers = contracts // 2
    _customers(customers)
    _contracts(contracts, customers=customers, product_id=product.pk)
    _execute("ANALYZE")
    return time.perf_counter() - start


def _partners() -> None:
    _execute(
        "INSERT INTO partners_partner (partner_number, name, street, postal_code, city, "
        "country, vat_id, email, phone, language, status, created_at, updated_at) "
        "SELECT 'PB-' || lpad(n::text, 6, '0'), 'Bench Partner ' || n, '', '', '', 'DE', '', "
        "'partner' || n || '@bench.example', '', 'de', 'authorized', now(), now() "
        "FROM generate_series(1, %s) AS n ON CONFLICT (partner_number) DO NOTHING",
        [PARTNERS],
    )


def _customers(customers: int) -> None:
    _execute(
        "INSERT INTO contracts_customer (customer_number, name, street, postal_code, city, "
        "country, language, sector, contact_name, contact_email, created_at, updated_at) "
        "SELECT 'KB-' || lpad(n::text, 8, '0'), 'Bench Customer ' || n, 'Hauptstraße 1', "
        "'10115', 'Berlin', 'DE', CASE WHEN n %% 5 = 0 THEN 'en' ELSE 'de' END, 'other', '', '', "
        "now(), now() FROM generate_series(1, %s) AS n",
        [customers],
    )
    _execute(
        "INSERT INTO contracts_customerassignment (customer_id, partner_id, valid_from, "
        "created_at) SELECT c.id, p.id, DATE '2020-01-01', now() FROM contracts_customer c "
        "JOIN partners_partner p ON p.partner_number = 'PB-' || lpad((c.id %% %s + 1)::text, 6, "
        "'0')",
        [PARTNERS],
    )


def _contracts(contracts: int, *, customers: int, product_id: int) -> None:
    """End dates evenly over three years; those ended before today renewed or expired."""
    _execute(
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
    _execute("TRUNCATE contracts_reminderevent, contracts_reminder RESTART IDENTITY")


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
    _execute(
        "DELETE FROM contracts_reminder WHERE due_on > %s",
        [TODAY + dt.timedelta(days=90)],
    )
    plan()


def main() -> None:
    options = _arguments()
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
    emit(
        "reminders_plan.seconds",
        seconds,
        "s",
        target=f"< {TARGET_SECONDS:g} s",
        meets_target=seconds < TARGET_SECONDS,
        reminders=report.planned,
        horizon_days=90,
        mode="the hourly job: rows due within the planning horizon",
        load_seconds=round(load_seconds, 1),
        peak_rss_mib=rss,
        **common,
    )
    emit(
        "reminders_plan.replan_seconds",
        replan_seconds,
        "s",
        target=f"< {TARGET_SECONDS:g} s",
        meets_target=replan_seconds < TARGET_SECONDS,
        reminders=replan.planned,
        peak_rss_mib=rss,
        **common,
    )
    emit(
        "reminders_plan.next_day_seconds",
        next_day_seconds,
        "s",
        target=f"< {TARGET_SECONDS:g} s",
        meets_target=next_day_seconds < TARGET_SECONDS,
        reminders=tomorrow.planned,
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
    emit(
        "reminders_plan.peak_rss",
        rss,
        "MiB",
        target=f"< {TARGET_RSS_MIB:g} MiB",
        meets_target=rss < TARGET_RSS_MIB,
        **common,
    )


if __name__ == "__main__":
    main()
