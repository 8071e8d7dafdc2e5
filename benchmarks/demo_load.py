"""`demo_load`: `channeldesk demo load` into an empty database: wall time and peak RSS.

Target (R2, docs/tiers.md): 10 million order lines (100,000 partners) load with a peak RSS
under 2 GiB — the loader streams, it never builds everything in memory. Measured in a child
process, whose peak RSS the kernel reports (RUSAGE_CHILDREN).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time

from common import (
    CHANNELDESK,
    SCALES,
    arguments,
    database_recreate,
    database_url,
    demo_load_command,
    emit,
)


def main() -> None:
    options = arguments(__doc__ or "")
    scale = SCALES[options.scale]
    url = database_url(f"load_{scale.name}")
    if not url.startswith("postgres"):
        sys.exit("demo_load needs PostgreSQL (BENCH_DATABASE_URL).")
    database_recreate(url)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run([CHANNELDESK, "migrate", "--noinput", "-v", "0"], check=True, env=env)
    started = time.perf_counter()
    subprocess.run(
        demo_load_command(scale, "--no-users", "--reminder-days", "0"),
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
    database_recreate(url)


if __name__ == "__main__":
    main()
