"""Large files in bounded memory: the orders import stages its rows a chunk at a time, keeps a
bounded number of problems, and is still all or nothing (docs/imports.md, "Large files")."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Sequence
from typing import Any

import pytest
from django.db import connection

from channeldesk.catalog.imports import ORDERS_IMPORTER, OrderLineRow
from channeldesk.catalog.imports.orders import OrdersStager
from channeldesk.catalog.models import OrderLine
from channeldesk.core import importing
from channeldesk.core.importing import ImportResult, ProblemLog, import_file, validate_row
from channeldesk.core.staging import StagingTable
from tests.factories import PartnerFactory, ProductFactory
from tests.imports.helpers import database_state, problem_lines, run_import

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

HEADER = b"order_number,partner_number,order_date,sku,quantity,net_amount\n"


def plain_orders(lines: int, *, ending: Sequence[str] = ()) -> bytes:
    """A plain file (`,`, ISO dates) of orders of three lines; `ending` replaces the last lines."""
    rows = [
        f"SO-{line // 3},P-{line // 3 % 3},2026-03-{line // 3 % 28 + 1:02d},SKU-{line % 3},"
        f"{line % 5 + 1},{line % 5 + 1}9.90"
        for line in range(lines)
    ]
    if ending:
        rows[-len(ending) :] = ending
    return HEADER + ("\n".join(rows) + "\n").encode()


@pytest.fixture(autouse=True)
def _register() -> None:
    for number in range(3):
        PartnerFactory(partner_number=f"P-{number}")
        ProductFactory(sku=f"SKU-{number}")


@pytest.fixture
def chunks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Chunks of 100 rows, and the size of every chunk written to a staging table."""
    monkeypatch.setattr(importing, "CHUNK_ROWS", 100)
    sizes: list[int] = []
    write = StagingTable.write

    def recorded(self: StagingTable, rows: Sequence[tuple[Any, ...]]) -> None:
        sizes.append(len(rows))
        write(self, rows)

    monkeypatch.setattr(StagingTable, "write", recorded)
    return sizes


def test_the_importer_never_holds_more_than_a_chunk_of_rows(chunks: list[int]) -> None:
    # Given a file of 1,050 order lines; When it is imported in chunks of 100
    report = run_import(ORDERS_IMPORTER, plain_orders(1_050))
    # Then every row went to the staging table in chunks of at most 100, and all were written
    assert report.accepted
    assert max(chunks) == 100
    assert (sum(chunks), len([size for size in chunks if size])) == (1_050, 11)
    assert (report.created, OrderLine.objects.count()) == (350, 1_050)


def _peak_bytes(content: bytes) -> int:
    tracemalloc.start()
    try:
        report = import_file(
            importer=ORDERS_IMPORTER, source=io.BytesIO(content), file_name="o.csv", dry_run=True
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.accepted
    return peak


def test_memory_does_not_grow_with_the_file() -> None:
    # Given files of 5,000 and of 50,000 lines (made before tracing: the test's, not counted)
    small, large = plain_orders(5_000), plain_orders(50_000)
    # When each is imported (a dry run: every check, no writes) under tracemalloc
    small_peak, large_peak = _peak_bytes(small), _peak_bytes(large)
    # Then ten times the lines need about the same memory, far from ten times as much
    # (holding every row, as before, needed about 2.4 KB per line: over 100 MB here)
    assert large_peak < small_peak * 1.5 + 1_000_000, (small_peak, large_peak)


def test_a_problem_in_the_last_chunk_rejects_the_whole_file(chunks: list[int]) -> None:
    # Given a file of 1,000 lines whose last chunk holds an unknown SKU and a bad amount
    content = plain_orders(
        1_000,
        ending=(
            "SO-900,P-0,2026-03-01,SKU-0,1,9.999",
            "SO-901,P-0,2026-03-01,NO-SUCH-SKU,1,9.99",
        ),
    )
    before = database_state()
    # When it is imported in chunks of 100
    report = run_import(ORDERS_IMPORTER, content, name="orders.csv")
    # Then the chunks before it were staged, but nothing at all was written
    assert sum(chunks) == 999
    assert database_state() == before
    assert problem_lines(report) == [
        "orders.csv:1000: net_amount: 9.999 has more than two decimal places",
        "orders.csv:1001: sku: unknown SKU NO-SUCH-SKU; import the product first",
    ]
    assert report.summary() == "orders.csv: rejected with 2 problems; nothing was imported."


def test_problems_beyond_the_limit_are_counted_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a limit of 5 problems kept, and a file with 30 problems: 10 invalid quantities in
    # its second half, 20 unknown partner numbers (a database check) in its first half
    monkeypatch.setattr(importing, "MAX_PROBLEMS", 5)
    rows = [f"SO-{line},P-{'X' if line < 20 else 0},2026-03-01,SKU-0,1,1.00" for line in range(40)]
    rows[30:] = [f"SO-{line},P-0,2026-03-01,SKU-0,x,1.00" for line in range(30, 40)]
    report: ImportResult = run_import(
        ORDERS_IMPORTER, HEADER + ("\n".join(rows) + "\n").encode(), name="o.csv"
    )
    # Then the five earliest problems of the file are listed, the other 25 counted
    assert [problem.row for problem in report.problems] == [2, 3, 4, 5, 6]
    assert {problem.column for problem in report.problems} == {"partner_number"}
    assert (report.problem_count, report.omitted_problems) == (30, 25)
    assert report.summary() == (
        "o.csv: rejected with 30 problems (the first 5 listed); nothing was imported."
    )
    assert not OrderLine.objects.exists()


def test_the_problem_log_keeps_the_earliest_lines_whatever_the_order_found() -> None:
    log = ProblemLog("f.csv", limit=3)
    for row in (9, 7, 8, 2, 5, 1, 6):
        log.add(row=row, column="c", reason=f"r{row}")
    assert [problem.row for problem in log.in_file_order()] == [1, 2, 5]
    assert (len(log), log.omitted) == (7, 4)


def _both_ways(amount: str, *, german: bool) -> tuple[Any, Any]:
    """The fast path's staged values of a line with `amount`, and the row model's."""
    stager = OrdersStager()
    values = {
        "order_number": "SO-1",
        "partner_number": "P-1",
        "order_date": "15.03.2026" if german else "2026-03-15",
        "sku": "SKU-1",
        "quantity": "-2" if "-" in amount else "2",
        "net_amount": amount,
    }
    row = validate_row(
        row_model=OrderLineRow, values=values, line=2, german=german, problems=ProblemLog("f")
    )
    staged = None if row is None else stager.staged(line=2, row=row)
    return stager.quick(line=2, values=values, german=german), staged


@pytest.mark.parametrize(
    ("amount", "german"),
    [
        ("9.876,00", True),
        ("1.234", True),
        ("1.234.567,8", True),
        ("-29,93", True),
        ("12,5", True),
        ("7", True),
        ("1234.50", False),
        ("-0.5", False),
        ("999999999999.99", False),
    ],
)
def test_the_fast_path_reads_an_amount_as_the_row_model_does(amount: str, german: bool) -> None:
    quick, staged = _both_ways(amount, german=german)
    assert quick is not None
    assert quick == staged


@pytest.mark.parametrize(
    ("amount", "german"),
    [("12,00-", True), ("1.234,50 €", True), ("1,5", False), ("1.234.567.890.123,00", True)],
)
def test_the_fast_path_leaves_unusual_amounts_to_the_row_model(amount: str, german: bool) -> None:
    quick, _ = _both_ways(amount, german=german)
    assert quick is None


@pytest.fixture
def plans(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each planning of the orders import ran inside a transaction."""
    seen: list[bool] = []
    plan = OrdersStager.plan

    def recorded(self: OrdersStager, **arguments: Any) -> Any:
        seen.append(connection.in_atomic_block)
        return plan(self, **arguments)

    monkeypatch.setattr(OrdersStager, "plan", recorded)
    return seen


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's single writer")
def test_on_sqlite_the_checks_run_before_the_write_lock_is_taken(plans: list[bool]) -> None:
    # When a file is imported on SQLite
    report = run_import(ORDERS_IMPORTER, plain_orders(30))
    # Then it was planned once, outside the write transaction, and written
    assert (report.created, plans, OrderLine.objects.count()) == (10, [False], 30)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif("connection.vendor != 'sqlite'", reason="SQLite's single writer")
def test_on_sqlite_a_commit_in_between_makes_the_import_plan_again(
    plans: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given another connection that commits while the file is being checked: it removes the
    # product of the last line (so the plan made before the lock is out of date)
    plan = OrdersStager.plan
    skus = ProductFactory(sku="SKU-LATE")

    def meanwhile(self: OrdersStager, **arguments: Any) -> Any:
        result = plan(self, **arguments)
        if len(plans) == 1:
            _commit_elsewhere("DELETE FROM catalog_product WHERE id = ?", skus.pk)
        return result

    monkeypatch.setattr(OrdersStager, "plan", meanwhile)
    plans.clear()
    content = plain_orders(30, ending=("SO-99,P-0,2026-03-01,SKU-LATE,1,1.00",))
    # When the file is imported
    report = run_import(ORDERS_IMPORTER, content, name="o.csv")
    # Then it was planned again inside the lock, found the product gone, and wrote nothing
    assert problem_lines(report) == [
        "o.csv:31: sku: unknown SKU SKU-LATE; import the product first"
    ]
    assert not OrderLine.objects.exists()


def _commit_elsewhere(sql: str, *params: Any) -> None:
    """Run and commit `sql` on a second connection to the same SQLite file."""
    import sqlite3

    other = sqlite3.connect(connection.settings_dict["NAME"])
    try:
        other.execute(sql, params)
        other.commit()
    finally:
        other.close()
