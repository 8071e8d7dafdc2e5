"""`import_orders`: a large orders file through `channeldesk import orders`, in bounded memory.

Targets (docs/operations.md):

- `import_orders.peak_rss`: the import of the whole file (`--scale full`: 1,000,000 lines) peaks
  below 512 MiB. The import runs as a child process (the real CLI); its peak resident size is
  the child's `ru_maxrss` (`os.wait4`, the rusage of exactly that child).
- `import_orders.throughput`: order lines per second of the import (wall time of the child,
  start-up included), at least 0.3x the **baseline** measured in the same run: a bare `COPY` of
  the same file's rows into tables of the same shape as the real ones (`LIKE catalog_order` /
  `LIKE catalog_orderline INCLUDING ALL`: the same columns, identity, check constraint, indexes
  and unique constraints, plus the same deferred foreign keys, the lines' pointing at the copy of
  the orders table). The rows are split into orders and lines the way the importer splits them
  (order ids in file order, line numbers within the order, partner and product ids resolved),
  prepared once with SQL before the runs; the timed part is one transaction of two COPYs and
  its COMMIT (which runs the deferred foreign-key checks, as the import's COMMIT does).
- `import_orders.throughput_vs_bare_copy`: the same rate beside a bare `COPY` of the file as it
  is into a table of its six columns (no indexes, no constraints): what reading the file costs
  the database alone, the floor no import with checks and indexes can reach.

Each run imports into empty order tables (every order new), so runs compare. The file is plain
(`,`, ISO dates, `.` decimals) so that PostgreSQL's COPY can read it as it is; partners and
products are created once. `--scale small`: 50,000 lines; `full`: 1,000,000. Medians of the
runs; PostgreSQL only (BENCH_DATABASE_URL or DATABASE_URL names the server).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import CHANNELDESK, ROOT, arguments, emit, emit_compared, setup_scratch_django

LINES = {"small": 50_000, "full": 1_000_000}
RUNS = {"small": 3, "full": 3}
PARTNERS = 2_000
PRODUCTS = 50
TARGET_RSS_MIB = 512
TARGET_RATIO = 0.3
HEADER = "order_number,partner_number,order_date,sku,quantity,net_amount\n"
BASELINE_TABLE = "bench_import_orders_copy"
# The same-shape copies of `catalog_order` and `catalog_orderline` for the fair baseline.
SHAPED_ORDERS = "bench_import_orders_order"
SHAPED_LINES = "bench_import_orders_orderline"
ORDER_COLUMNS = "id, partner_id, order_number, order_date, imported_at"
LINE_COLUMNS = "order_id, line_number, partner_id, order_date, product_id, quantity, net_amount"


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
        cursor.execute(f"TRUNCATE {SHAPED_LINES}, {SHAPED_ORDERS} RESTART IDENTITY")


def _create_shaped_tables() -> None:
    """`catalog_order` and `catalog_orderline` again, empty: columns, identity, checks, indexes
    and unique constraints (`LIKE … INCLUDING ALL`), and every foreign key of the real tables as
    the database holds it (deferrable, initially deferred), the lines' order key pointing at the
    copy of the orders table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SHAPED_LINES}, {SHAPED_ORDERS}")
        for shaped, real in ((SHAPED_ORDERS, "catalog_order"), (SHAPED_LINES, "catalog_orderline")):
            cursor.execute(f"CREATE TABLE {shaped} (LIKE {real} INCLUDING ALL)")
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [real],
            )
            for (definition,) in cursor.fetchall():
                pointed = definition.replace(
                    "REFERENCES catalog_order(", f"REFERENCES {SHAPED_ORDERS}("
                )
                cursor.execute(f"ALTER TABLE {shaped} ADD {pointed}")


def _prepare_shaped_files(path: Path) -> tuple[Path, Path]:
    """The file's rows as the importer writes them, as two COPY files (orders, lines), made with
    SQL (no Python per row) before the runs: orders numbered in the order of their first line,
    each with the date of that line; lines numbered within their order in file order; partner
    and product ids resolved. Made afresh each time (the ids are this database's). Not timed."""
    from django.db import connection, transaction

    orders_file = path.with_suffix(".orders.copy")
    lines_file = path.with_suffix(".lines.copy")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_prepare (line bigint GENERATED ALWAYS AS IDENTITY, "
            "order_number varchar(64), partner_number varchar(32), order_date date, "
            "sku varchar(64), quantity integer, net_amount numeric(14, 2)) ON COMMIT DROP"
        )
        sql = (
            "COPY bench_prepare (order_number, partner_number, order_date, sku, quantity, "
            "net_amount) FROM STDIN (FORMAT csv, HEADER true)"
        )
        with path.open("rb") as source, cursor.copy(sql) as copy:
            while block := source.read(1024 * 1024):
                copy.write(block)
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_prepare_lines ON COMMIT DROP AS SELECT s.line, "
            "p.id AS partner_id, s.order_number, pr.id AS product_id, s.quantity, s.net_amount, "
            "first_value(s.order_date) OVER o AS order_date, row_number() OVER o AS line_number, "
            "first_value(s.line) OVER o AS first_line FROM bench_prepare s "
            "JOIN partners_partner p ON p.partner_number = s.partner_number "
            "JOIN catalog_product pr ON pr.sku = s.sku "
            "WINDOW o AS (PARTITION BY s.partner_number, s.order_number ORDER BY s.line)"
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE bench_prepare_orders ON COMMIT DROP AS SELECT "
            "row_number() OVER (ORDER BY first_line) AS id, partner_id, order_number, "
            "order_date, first_line FROM bench_prepare_lines WHERE line_number = 1"
        )
        exports = (
            (
                orders_file,
                f"SELECT {ORDER_COLUMNS} FROM (SELECT id, partner_id, order_number, order_date, "
                "now() AS imported_at FROM bench_prepare_orders) AS o ORDER BY id",
            ),
            (
                lines_file,
                "SELECT o.id, l.line_number, l.partner_id, l.order_date, l.product_id, "
                "l.quantity, l.net_amount FROM bench_prepare_lines l JOIN bench_prepare_orders o "
                "ON o.partner_id = l.partner_id AND o.order_number = l.order_number "
                "ORDER BY o.id, l.line_number",
            ),
        )
        for target, query in exports:
            with target.open("wb") as out, cursor.copy(f"COPY ({query}) TO STDOUT") as copy:
                for block in copy:
                    out.write(block)
    return orders_file, lines_file


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


def _copy_into(cursor: Any, sql: str, path: Path) -> None:
    with path.open("rb") as source, cursor.copy(sql) as copy:
        while block := source.read(1024 * 1024):
            copy.write(block)


def _copy(path: Path) -> float:
    """Wall time of a bare COPY of the file into the unindexed six-column table."""
    from django.db import connection

    start = time.perf_counter()
    sql = f"COPY {BASELINE_TABLE} FROM STDIN (FORMAT csv, HEADER true)"
    with connection.cursor() as cursor:
        _copy_into(cursor, sql, path)
    return time.perf_counter() - start


def _copy_shaped(orders_file: Path, lines_file: Path) -> float:
    """Wall time of COPYing the prepared orders and lines into the same-shape tables: one
    transaction, its COMMIT (the deferred foreign-key checks) included."""
    from django.db import connection, transaction

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        _copy_into(cursor, f"COPY {SHAPED_ORDERS} ({ORDER_COLUMNS}) FROM STDIN", orders_file)
        _copy_into(cursor, f"COPY {SHAPED_LINES} ({LINE_COLUMNS}) FROM STDIN", lines_file)
    return time.perf_counter() - start


def main() -> None:
    options = arguments(__doc__ or "", LINES)
    scale = options.scale
    if "BENCH_DATABASE_URL" not in os.environ and os.environ.get("DATABASE_URL"):
        os.environ["BENCH_DATABASE_URL"] = os.environ["DATABASE_URL"]
    vendor = setup_scratch_django("import_orders")
    if vendor != "postgresql":
        raise SystemExit("import_orders compares with PostgreSQL's COPY; name a PostgreSQL server")
    lines = LINES[scale]
    runs = options.runs or RUNS[scale]
    (ROOT / "var").mkdir(exist_ok=True)
    path = ROOT / "var" / f"bench-import-orders-{lines}.csv"
    _write_file(path, lines)
    _ensure_register()
    _create_shaped_tables()
    orders_file, lines_file = _prepare_shaped_files(path)
    import_times: list[float] = []
    copy_times: list[float] = []
    shaped_times: list[float] = []
    peaks: list[float] = []
    steps = ["import", "copy", "shaped"]
    for run in range(runs):
        _empty_orders()
        for step in steps[run % 3 :] + steps[: run % 3]:  # each step first in turn
            if step == "import":
                elapsed, peak = _import(path)
                import_times.append(elapsed)
                peaks.append(peak)
            elif step == "copy":
                copy_times.append(_copy(path))
            else:
                shaped_times.append(_copy_shaped(orders_file, lines_file))
    from channeldesk.catalog.models import OrderLine

    assert OrderLine.objects.count() == lines, OrderLine.objects.count()
    _check_same_rows()
    common = {"scale": scale, "database": vendor, "runs": runs, "lines": lines}
    emit(
        "import_orders.peak_rss",
        max(peaks),
        "MiB",
        target=f"< {TARGET_RSS_MIB}",
        median=round(statistics.median(peaks), 1),
        **common,
    )
    seconds = statistics.median(import_times)
    rate = lines / seconds
    shaped = lines / statistics.median(shaped_times)
    bare = lines / statistics.median(copy_times)
    emit_compared(
        "import_orders.throughput",
        rate,
        "rows/s",
        baseline=shaped,
        at_least=TARGET_RATIO,
        baseline_is="COPY of the split rows into same-shape tables (indexes, constraints, FKs)",
        seconds=round(seconds, 2),
        baseline_seconds=round(statistics.median(shaped_times), 2),
        each_seconds=[round(value, 2) for value in import_times],
        each_baseline_seconds=[round(value, 2) for value in shaped_times],
        **common,
    )
    emit_compared(
        "import_orders.throughput_vs_bare_copy",
        rate,
        "rows/s",
        baseline=bare,
        baseline_is="bare COPY of the file into an unindexed six-column table",
        seconds=round(seconds, 2),
        baseline_seconds=round(statistics.median(copy_times), 2),
        each_baseline_seconds=[round(value, 2) for value in copy_times],
        **common,
    )


def _check_same_rows() -> None:
    """The baseline wrote what the import wrote: the same lines (order number, line number,
    partner, date, product, quantity, amount), so both rates count the same work."""
    from channeldesk.core.staging import fetch_value

    differing = fetch_value(
        "SELECT count(*) FROM ((SELECT o.order_number, l.line_number, l.partner_id, l.order_date, "
        "l.product_id, l.quantity, l.net_amount FROM catalog_orderline l JOIN catalog_order o "
        f"ON o.id = l.order_id) EXCEPT (SELECT o.order_number, l.line_number, l.partner_id, "
        f"l.order_date, l.product_id, l.quantity, l.net_amount FROM {SHAPED_LINES} l "
        f"JOIN {SHAPED_ORDERS} o ON o.id = l.order_id)) AS differing"
    )
    assert differing == 0, f"{differing} lines of the import differ from the baseline's"


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
