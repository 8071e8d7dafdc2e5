"""Shared plumbing for the benchmarks: database per scale, dataset loading, timing, output.

Every benchmark prints one JSON object per line: `name`, `value`, `unit`, and where the issue
asks for a ratio, `baseline` and `ratio` measured in the same run, plus `scale`, `database`,
`runs` and the target. Figures are medians of several runs (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CHANNELDESK = str(Path(sys.executable).parent / "channeldesk")
ANCHOR = "2026-11-27"  # the demo data's "today": fixed so figures compare run to run
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


def arguments(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--runs", type=int, help="Repetitions per measurement (median is taken).")
    return parser.parse_args()


def database_url(scale: Scale) -> str:
    """BENCH_DATABASE_URL names the server; each scale gets its own database on it."""
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/channeldesk")
    if base.startswith("sqlite"):
        return f"sqlite:///{ROOT / 'var' / f'bench-{scale.name}.sqlite3'}"
    return base.rsplit("/", 1)[0] + f"/channeldesk_bench_{scale.name}"


def setup_django(scale: Scale) -> str:
    """Point Django at the benchmark database, migrated and loaded at the scale's size."""
    url = database_url(scale)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
    _create_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([CHANNELDESK, "migrate", "--noinput", "-v", "0"], check=True, env=env)
    import django

    django.setup()
    if not _is_loaded(scale):
        _recreate(url, env)
        subprocess.run(
            [
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
                "--no-users",
            ],
            check=True,
            env=env,
            stdout=sys.stderr,
        )
    from django.db import connection

    if connection.vendor == "postgresql":
        # Fresh planner statistics, as after any bulk load (autovacuum may not have run yet).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    return connection.vendor


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
        import psycopg

        server, name = url.rsplit("/", 1)
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
    else:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    subprocess.run([CHANNELDESK, "migrate", "--noinput", "-v", "0"], check=True, env=env)


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


def scratch_database_url(name: str) -> str:
    """An empty benchmark database of its own (`channeldesk_bench_<name>`) on the server that
    BENCH_DATABASE_URL names, for benchmarks that bring their own data."""
    base = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/channeldesk")
    if base.startswith("sqlite"):
        return f"sqlite:///{ROOT / 'var' / f'bench-{name}.sqlite3'}"
    return base.rsplit("/", 1)[0] + f"/channeldesk_bench_{name}"


def setup_scratch_django(name: str) -> str:
    """Point Django at the scratch database, created and migrated; returns the vendor."""
    url = scratch_database_url(name)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
    _create_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([CHANNELDESK, "migrate", "--noinput", "-v", "0"], check=True, env=env)
    import django

    django.setup()
    from django.db import connection

    return connection.vendor


def gunicorn_start(*, port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """The production server (gunicorn, 2 sync workers, keep-alive) on loopback, returned once it
    accepts connections; `env` is added to this process's environment. Stop it with
    `gunicorn_stop`."""
    import socket

    gunicorn = str(Path(sys.executable).parent / "gunicorn")
    process = subprocess.Popen(
        [gunicorn, "channeldesk.wsgi", "-w", "2", "-b", f"127.0.0.1:{port}", "--keep-alive", "30"],
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "channeldesk.settings", **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return process
        except OSError:
            time.sleep(0.1)
    gunicorn_stop(process)
    raise SystemExit("gunicorn did not start within 60 s")


def gunicorn_stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers."""
    import signal

    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
