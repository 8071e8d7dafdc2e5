"""`demo_load`: `channeldesk demo load` into an empty database: wall time and peak RSS.

Target (issue 2): 10 million order lines (100,000 partners) load with a peak RSS under 2 GiB —
the loader streams, it never builds everything in memory. Measured in a child process, whose
peak RSS the kernel reports (RUSAGE_CHILDREN).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

import psycopg
from common import ANCHOR, CHANNELDESK, SCALES, SEED, arguments, database_url, emit


def _empty_database(url: str) -> None:
    server, name = url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    options = arguments(__doc__ or "")
    scale = SCALES[options.scale]
    url = database_url(scale).replace("channeldesk_bench_", "channeldesk_bench_load_")
    if not url.startswith("postgres"):
        sys.exit("demo_load needs PostgreSQL (BENCH_DATABASE_URL).")
    _empty_database(url)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([CHANNELDESK, "migrate", "--noinput", "-v", "0"], check=True, env=env)
    started = time.perf_counter()
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
            "--reminder-days",
            "0",
        ],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    common = {
        "scale": scale.name,
        "database": "postgresql",
        "partners": scale.partners,
        "order_lines": scale.order_lines,
    }
    emit("demo_load.wall_time", seconds, "s", **common)
    emit("demo_load.peak_rss", peak, "MiB", target="< 2048", **common)
    _empty_database(url)


if __name__ == "__main__":
    main()
