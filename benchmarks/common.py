"""Shared plumbing for the benchmarks: database per scale, dataset loading, timing, output.

Every benchmark prints one JSON object per line: `name`, `value`, `unit`, and where the issue
asks for a ratio, `baseline` and `ratio` measured in the same run, plus `scale`, `database`,
`runs` and the target. Figures are medians of several runs (the machine is shared).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHANNELDESK = str(Path(sys.executable).parent / "channeldesk")
ANCHOR = "2026-11-27"  # the demo data's "today": fixed so figures compare run to run
TODAY = dt.date.fromisoformat(ANCHOR)
SEED = "7"


@dataclass(frozen=True)
class Scale:
    name: str
    partners: int
    order_lines: int
    subset: int
    runs: int


SCALES = {
    "small": Scale("small", partners=2_000, order_lines=200_000, subset=1_000, runs=3),
    "full": Scale("full", partners=100_000, order_lines=10_000_000, subset=10_000, runs=5),
}


def parser(
    description: str, scales: Iterable[str] = SCALES, *, runs: bool = True
) -> argparse.ArgumentParser:
    """The options the benchmarks share, `--scale` (one of `scales`) and, where it repeats its
    measurements, `--runs`; a benchmark adds its own before parsing."""
    options = argparse.ArgumentParser(description=description)
    options.add_argument("--scale", choices=sorted(scales), default="small")
    if runs:
        options.add_argument(
            "--runs", type=int, help="Repetitions per measurement (median is taken)."
        )
    return options


def arguments(description: str, scales: Iterable[str] = SCALES) -> argparse.Namespace:
    return parser(description, scales).parse_args()


def dataset_benchmark(description: str) -> tuple[Scale, int, str]:
    """The options parsed and Django on the scale's demo dataset: the scale, the runs and the
    database vendor."""
    options = arguments(description)
    scale = SCALES[options.scale]
    return scale, options.runs or scale.runs, setup_django(scale)


def database_url(name: str) -> str:
    """The benchmark database `channeldesk_bench_<name>` on the server that BENCH_DATABASE_URL
    names (or a SQLite file under var/ where it names SQLite)."""
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/channeldesk")
    if base.startswith("sqlite"):
        return f"sqlite:///{ROOT / 'var' / f'bench-{name}.sqlite3'}"
    return base.rsplit("/", 1)[0] + f"/channeldesk_bench_{name}"


def setup_django(scale: Scale) -> str:
    """Point Django at the benchmark database, migrated and loaded at the scale's size."""
    url = database_url(scale.name)
    env = _django_on(url)
    if not _is_loaded(scale):
        _recreate(url, env)
        subprocess.run(
            demo_load_command(scale, "--no-users"), check=True, env=env, stdout=sys.stderr
        )
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh planner statistics, as after any bulk load (autovacuum may not have run yet).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    return connection.vendor


def setup_scratch_django(name: str) -> str:
    """Point Django at the scratch database `name` (for benchmarks that bring their own data),
    created and migrated; returns the vendor."""
    _django_on(database_url(name))
    from django.db import connection

    return connection.vendor


def _django_on(url: str) -> dict[str, str]:
    """Create and migrate the database at `url` and set Django up on it; returns the
    environment for child processes."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
    _create_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([CHANNELDESK, "migrate", "--noinput", "-v", "0"], check=True, env=env)
    import django

    django.setup()
    return env


def demo_load_command(scale: Scale, *extra: str) -> list[str]:
    """`channeldesk demo load` of the scale's dataset (fixed seed and "today")."""
    return [
        CHANNELDESK,
        "demo",
        "load",
        "--seed",
        SEED,
        "--today",
        ANCHOR,
        "--partners",
        str(scale.partners),
        "--orders",
        str(scale.order_lines),
        *extra,
    ]


def _create_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def _recreate(url: str, env: dict[str, str]) -> None:
    """Start from an empty database so the dataset is exactly the scale's."""
    from django.db import connection

    connection.close()
    if url.startswith("postgres"):
        database_recreate(url)
    else:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    subprocess.run([CHANNELDESK, "migrate", "--noinput", "-v", "0"], check=True, env=env)


def database_recreate(url: str) -> None:
    """Drop the PostgreSQL database at `url` (its sessions too) and create it empty."""
    import psycopg

    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def _is_loaded(scale: Scale) -> bool:
    from channeldesk.catalog.models import OrderLine
    from channeldesk.partners.models import Partner

    return (
        Partner.objects.count() == scale.partners and OrderLine.objects.count() == scale.order_lines
    )


def timed_pair(
    measured: Callable[[], Any], baseline: Callable[[], Any], runs: int
) -> tuple[float, float, Any]:
    """Median wall times of `measured` and its `baseline`, run alternately (which goes first
    alternates too), so that both see the same machine: on a shared machine the cache and the
    neighbours change from minute to minute. Returns both medians and measured's last result."""
    measured_times, baseline_times = [], []
    result = None
    for run in range(runs):
        order = ((measured, measured_times), (baseline, baseline_times))
        for function, times in order if run % 2 == 0 else reversed(order):
            start = time.perf_counter()
            value = function()
            times.append(time.perf_counter() - start)
            if function is measured:
                result = value
    return statistics.median(measured_times), statistics.median(baseline_times), result


def timed(function: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """Median wall time of `runs` calls, and the last result."""
    times = []
    result = None
    for _ in range(runs):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(name: str, value: float, unit: str, **extra: Any) -> None:
    record = {"name": name, "value": round(value, 4), "unit": unit, **extra}
    print(json.dumps(record), flush=True)


def emit_under(name: str, value: float, unit: str, *, limit: float, **extra: Any) -> None:
    """A figure whose target is to stay under `limit` (in the same unit)."""
    emit(name, value, unit, target=f"< {limit:g} {unit}", meets_target=value < limit, **extra)


def emit_at_least(name: str, value: float, unit: str, *, least: float, **extra: Any) -> None:
    """A figure whose target is to reach `least` (in the same unit)."""
    emit(name, value, unit, target=f">= {least:,} {unit}", meets_target=value >= least, **extra)


def emit_compared(
    name: str,
    value: float,
    unit: str,
    *,
    baseline: float,
    at_least: float | None = None,
    **extra: Any,
) -> None:
    """A figure beside its baseline measured in the same run, with their ratio; where the issue
    asks for a ratio of `at_least`, the target and whether it is met."""
    ratio = value / baseline
    if at_least is not None:
        extra = {"target": f"ratio >= {at_least}", "meets_target": ratio >= at_least, **extra}
    emit(name, value, unit, baseline=round(baseline, 4), ratio=round(ratio, 3), **extra)


def interleaved_rates(
    measured: Callable[[slice], object],
    baseline: Callable[[slice], object],
    *,
    count: int,
    step: int,
    runs: int,
) -> tuple[float, float]:
    """Median items per second of `measured` and `baseline`, each called on the same slices of
    `count` items, interleaved `step` items at a time so that both see the same share of a
    busy machine."""
    measured_rates, baseline_rates = [], []
    for _ in range(runs):
        measured_seconds = baseline_seconds = 0.0
        for first in range(0, count, step):
            part = slice(first, first + step)
            start = time.perf_counter()
            measured(part)
            middle = time.perf_counter()
            baseline(part)
            measured_seconds += middle - start
            baseline_seconds += time.perf_counter() - middle
        measured_rates.append(count / measured_seconds)
        baseline_rates.append(count / baseline_seconds)
    return statistics.median(measured_rates), statistics.median(baseline_rates)


def emit_rates_compared(
    name: str,
    unit: str,
    measured: Callable[[slice], object],
    baseline: Callable[[slice], object],
    *,
    count: int,
    step: int,
    runs: int,
    scale: str,
    **extra: Any,
) -> None:
    """`measured` and its `baseline` in items per second (`interleaved_rates`), emitted with
    their ratio (`emit_compared`; `extra` may name its target, `at_least`), the runs, the scale
    and the peak memory."""
    rate, baseline_rate = interleaved_rates(measured, baseline, count=count, step=step, runs=runs)
    emit_compared(
        name,
        rate,
        unit,
        baseline=baseline_rate,
        **extra,
        runs=runs,
        scale=scale,
        peak_rss_mib=round(peak_rss_mib(), 1),
    )


# --- SQL ----------------------------------------------------------------------------------------


def execute(sql: str, params: Sequence[Any] | None = None) -> int:
    """Run one statement on Django's connection; returns the rows it touched."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.rowcount


def scalar(sql: str, params: Sequence[Any] | None = None) -> Any:
    """The first column of the first row, None without rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        row = cursor.fetchone()
        return row[0] if row else None


def rows(sql: str) -> list[tuple[Any, ...]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return list(cursor.fetchall())


# --- Data the scratch benchmarks share ----------------------------------------------------------

# Contract end dates from a year before "today" to two years after.
FIRST_END = TODAY - dt.timedelta(days=365)
SPREAD_DAYS = 3 * 365


def contracts_register_empty() -> None:
    """No customers, contracts or reminders; the default reminder schedule in force since
    1 April 2026."""
    from channeldesk.contracts.reminders.schedules import schedule_install_default

    execute(
        "TRUNCATE contracts_reminderevent, contracts_reminder, contracts_contract, "
        "contracts_customerassignment, contracts_customer RESTART IDENTITY CASCADE"
    )
    schedule_install_default(effective_from=dt.date(2026, 4, 1))


def bench_partners_insert(count: int, *, with_big: bool = False) -> None:
    """Partners `PB-000001` … (`count` of them), and `PB-BIG` where asked; existing ones kept."""
    execute(
        "INSERT INTO partners_partner (partner_number, name, street, postal_code, city, "
        "country, vat_id, email, phone, language, status, created_at, updated_at) "
        "SELECT CASE WHEN n = 0 THEN 'PB-BIG' ELSE 'PB-' || lpad(n::text, 6, '0') END, "
        "'Bench Partner ' || n, '', '', '', 'DE', '', 'partner' || n || '@bench.example', '', "
        "'de', 'authorized', now(), now() FROM generate_series(%s, %s) AS n "
        "ON CONFLICT (partner_number) DO NOTHING",
        [0 if with_big else 1, count],
    )


def bench_customers_assign(partners: int) -> None:
    """Every customer looked after, since 2020, by one of the first `partners` bench partners."""
    execute(
        "INSERT INTO contracts_customerassignment (customer_id, partner_id, valid_from, "
        "created_at) SELECT c.id, p.id, DATE '2020-01-01', now() FROM contracts_customer c "
        "JOIN partners_partner p ON p.partner_number = 'PB-' || lpad((c.id %% %s + 1)::text, 6, "
        "'0')",
        [partners],
    )


def bench_product(
    *,
    list_price: str | Decimal,
    sku: str = "ENT-BENCH",
    name: str = "ChannelDesk Enterprise",
    kind: str = "enterprise",
    unit: str = "seat",
) -> Any:
    """The product `sku` the bench contracts are for (the same name in both languages), created
    once; by default the enterprise product `ENT-BENCH`."""
    from channeldesk.catalog.models import Product

    product, _ = Product.objects.get_or_create(
        sku=sku,
        defaults={
            "name_de": name,
            "name_en": name,
            "kind": kind,
            "list_price": list_price,
            "unit": unit,
        },
    )
    return product


# --- HTTP ---------------------------------------------------------------------------------------


def post_parallel(
    payloads: list[bytes],
    *,
    port: int,
    path: str,
    clients: int,
    headers: dict[str, str],
    accepted: Callable[[Any], int],
    items: int,
) -> float:
    """POST the payloads to `path` on the local server from `clients` processes, each with one
    keep-alive connection, and check that the answers accepted all `items` (what `accepted`
    reads from each JSON answer); returns the items per second."""
    import multiprocessing

    shares = [payloads[index::clients] for index in range(clients)]
    queue: Any = multiprocessing.Queue()
    target = {"port": port, "path": path, "headers": headers, "accepted": accepted}
    processes = [
        multiprocessing.Process(target=_http_client, args=(share, queue), kwargs=target)
        for share in shares
    ]
    start = time.perf_counter()
    for process in processes:
        process.start()
    total = sum(queue.get() for _ in processes)
    for process in processes:
        process.join()
    elapsed = time.perf_counter() - start
    assert total == items, total
    return items / elapsed


def _http_client(
    payloads: list[bytes],
    queue: Any,
    *,
    port: int,
    path: str,
    headers: dict[str, str],
    accepted: Callable[[Any], int],
) -> None:
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": "application/json", "Connection": "keep-alive", **headers}
    total = 0
    for payload in payloads:
        try:
            connection.request("POST", path, payload, headers)
            response = connection.getresponse()
        except (ConnectionError, http.client.HTTPException):
            connection.close()  # the sync worker closed it: reconnect once
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            connection.request("POST", path, payload, headers)
            response = connection.getresponse()
        body = json.loads(response.read())
        assert response.status == 200, body
        total += accepted(body)
    queue.put(total)


@contextmanager
def gunicorn(*, port: int, env: dict[str, str] | None = None) -> Iterator[None]:
    """The production server (gunicorn, 2 sync workers, keep-alive) on loopback for the block,
    from when it accepts connections; `env` is added to this process's environment (which
    names the benchmark's database)."""
    import signal
    import socket

    executable = str(Path(sys.executable).parent / "gunicorn")
    address = f"127.0.0.1:{port}"
    process = subprocess.Popen(
        [executable, "channeldesk.wsgi", "-w", "2", "-b", address, "--keep-alive", "30"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "channeldesk.settings", **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start within 60 s") from None
                time.sleep(0.1)
        yield
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
