"""`import_orders`: a large orders file through `channeldesk import orders`, in bounded memory.

Targets (issue 14, section 5):

- `import_orders.peak_rss`: the import of the whole file (`--scale full`: 1,000,000 lines) peaks
  below 512 MiB. The import runs as a child process (the real CLI); its peak resident size is
  the child's `ru_maxrss` (`os.wait4`, the rusage of exactly that child).
- `import_orders.throughput`: order lines per second of the import (wall time of the child,
  start-up included), beside the **baseline** measured in the same run: a bare `COPY` of the
  same file into an equivalent table (the file's six columns with their types, no indexes, no
  checks), at least 0.3× its rate.

Each run imports into empty order tables (every order new), so runs compare. The file is plain
(`,`, ISO dates, `.` decimals) so that PostgreSQL's COPY can read it as it is; partners and
products are created once. `--scale small`: 50,000 lines; `full`: 1,000,000. Medians of the
runs; PostgreSQL only (BENCH_DATABASE_URL or DATABASE_URL names the server).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CHANNELDESK, ROOT, emit, setup_scratch_django

LINES = {"small": 50_000, "full": 1_000_000}
RUNS = {"small": 3, "full": 3}
PARTNERS = 2_000
PRODUCTS = 50
TARGET_RSS_MIB = 512
TARGET_RATIO = 0.3
HEADER = "order_number,partner_number,order_date,sku,quantity,net_amount\n"
BASELINE_TABLE = "bench_import_orders_copy"


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(LINES), default="small")
    parser.add_argument("--runs", type=int)
    return parser.parse_args()


def _write_file(path: Path, lines: int) -> None:
    """Orders of one to five lines, spread over partners, products and a year of days."""
    if path.exists() and path.stat().st_size > 0:
        return
    with path.open("w", encoding="ascii") as out:
        out.write(HEADER)
        written = order = 0
        while written < lines:
            partner = f"BP-{order * 7919 % PARTNERS:05d}"
            day = f"2026-{1 + order % 12:02d}-{1 + order % 28:02d}"
            for line in range(min(1 + order % 5, lines - written)):
                quantity = 1 + (order + line) % 9
                amount = f"{quantity * (19 + line * 7)}.{(order + line) % 100:02d}"
                if order % 20 == 19:  # a credit note now and then
                    quantity, amount = -quantity, f"-{amount}"
                sku = f"BSKU-{(order + line) % PRODUCTS:03d}"
                out.write(f"SO-{order:07d},{partner},{day},{sku},{quantity},{amount}\n")
                written += 1
            order += 1


def _ensure_register() -> None:
    from channeldesk.catalog.models import Product, ProductKind
    from channeldesk.partners.models import Partner

    Partner.objects.bulk_create(
        [
            Partner(partner_number=f"BP-{index:05d}", name=f"Benchmark partner {index}")
            for index in range(PARTNERS)
        ],
        ignore_conflicts=True,
    )
    Product.objects.bulk_create(
        [
            Product(
                sku=f"BSKU-{index:03d}",
                name_de=f"Produkt {index}",
                name_en=f"Product {index}",
                kind=ProductKind.RETAIL,
                list_price=10,
            )
            for index in range(PRODUCTS)
        ],
        ignore_conflicts=True,
    )


def _empty_orders() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalog_orderline, catalog_order")
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {BASELINE_TABLE} (order_number varchar(64), "
            "partner_number varchar(32), order_date date, sku varchar(64), quantity integer, "
            "net_amount numeric(14, 2))"
        )
        cursor.execute(f"TRUNCATE {BASELINE_TABLE}")


def _import(path: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of `channeldesk import orders FILE` as a child process."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        child = subprocess.Popen(
            [CHANNELDESK, "import", "orders", str(path)],
            stdout=subprocess.DEVNULL,
            stderr=errors,  # a file, not a pipe: a rejected file's problems would fill a pipe
            env={**os.environ, "DJANGO_SETTINGS_MODULE": "channeldesk.settings"},
        )
        _, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4, not by Popen
        if child.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"the import failed: {errors.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def _copy(path: Path) -> float:
    """Wall time of a bare COPY of the file into the equivalent table."""
    from django.db import connection

    start = time.perf_counter()
    sql = f"COPY {BASELINE_TABLE} FROM STDIN (FORMAT csv, HEADER true)"
    with connection.cursor() as cursor, path.open("rb") as source, cursor.copy(sql) as copy:
        while block := source.read(1024 * 1024):
            copy.write(block)
    return time.perf_counter() - start


def main() -> None:
    arguments = _arguments()
    scale = arguments.scale
    if "BENCH_DATABASE_URL" not in os.environ and os.environ.get("DATABASE_URL"):
        os.environ["BENCH_DATABASE_URL"] = os.environ["DATABASE_URL"]
    vendor = setup_scratch_django("import_orders")
    if vendor != "postgresql":
        raise SystemExit("import_orders compares with PostgreSQL's COPY; name a PostgreSQL server")
    lines = LINES[scale]
    runs = arguments.runs or RUNS[scale]
    (ROOT / "var").mkdir(exist_ok=True)
    path = ROOT / "var" / f"bench-import-orders-{lines}.csv"
    _write_file(path, lines)
    _ensure_register()
    import_times, copy_times, peaks = [], [], []
    for run in range(runs):
        _empty_orders()
        steps = [("import", path), ("copy", path)]
        for step, file in steps if run % 2 == 0 else reversed(steps):
            if step == "import":
                elapsed, peak = _import(file)
                import_times.append(elapsed)
                peaks.append(peak)
            else:
                copy_times.append(_copy(file))
    from channeldesk.catalog.models import OrderLine

    assert OrderLine.objects.count() == lines, OrderLine.objects.count()
    common = {"scale": scale, "database": vendor, "runs": runs, "lines": lines}
    emit(
        "import_orders.peak_rss",
        max(peaks),
        "MiB",
        target=f"< {TARGET_RSS_MIB}",
        median=round(statistics.median(peaks), 1),
        **common,
    )
    rate = lines / statistics.median(import_times)
    baseline = lines / statistics.median(copy_times)
    emit(
        "import_orders.throughput",
        rate,
        "rows/s",
        baseline=round(baseline, 1),
        ratio=round(rate / baseline, 3),
        target=f"ratio >= {TARGET_RATIO}",
        seconds=round(statistics.median(import_times), 2),
        baseline_seconds=round(statistics.median(copy_times), 2),
        **common,
    )


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
