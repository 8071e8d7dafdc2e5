# ruff: noqa: S608 - the SQL is built from table names of the models and the run, never input
"""The `orders` import: the order history from the ERP (R1, R5), order lines of any number, in
bounded memory (docs/imports.md, "Large files"). The row model is at the end.

An order history export has millions of lines, so the orders import is staged
(`channeldesk.core.staging`): each valid line goes into a temporary table as plain values (line,
partner number, order number, date, SKU, quantity, amount in cents), a chunk at a time, and the
rest is set-based SQL over that table:

1. Resolve the lines in one pass (partner and product ids, NULL when unknown; line numbers
   within the order in file order; the date of the order's first line) and check them, each
   check one query naming file, line and column: a line dated unlike the first line of its
   order, an unknown partner number, an unknown SKU.
2. Match the file's orders with the stored ones by (partner, order number).
3. An order not stored is new; one stored with the same date and the same lines is unchanged;
   any other is replaced (its lines deleted and written again, its id kept).
4. Write: one INSERT of the new orders (on PostgreSQL with ids drawn beforehand, in file order),
   one DELETE of the replaced orders' lines, one INSERT of all lines (joined with the ids of the
   file's orders only), one UPDATE of the replaced orders' dates. The foreign keys stay deferred
   to the COMMIT: checking them after each statement instead was no faster (docs/imports.md).

The common, plainly valid line is turned into staged values without the row model (`quick`):
a row model per line costs more than everything else of the import together. Anything unusual
(German thousands separators, a trailing minus, a zero, a sign that does not match) goes through
the row model, which gives the exact message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone
from pydantic import Field, ValidationInfo, field_validator

from channeldesk.catalog.models import Order, OrderLine, Product
from channeldesk.core.database import transaction_settings
from channeldesk.core.importing import (
    CsvDate,
    CsvInt,
    ImportRow,
    Money,
    NotBlank,
    ProblemLog,
    parse_date,
)
from channeldesk.core.staging import (
    StagingTable,
    byte_order,
    cents_as_amount,
    execute,
    fetch_all,
    fetch_value,
)
from channeldesk.partners.models import Partner

STAGE_COLUMNS = {
    "line": "integer",
    "partner_number": "varchar(32)",
    "order_number": "varchar(64)",
    "order_date": "date",
    "sku": "varchar(64)",
    "quantity": "integer",
    "net_cents": "bigint",
}
# PostgreSQL's memory per sort or hash of the set-based steps (SET LOCAL, this transaction only).
WORK_MEM = "256MB"
# Digits before the decimal mark of `OrderLine.net_amount` (`max_digits=14`, two decimals).
WHOLE_DIGITS = 12
# Distinct date cells remembered per run (an order history has a few thousand days).
DATE_CACHE_SIZE = 10_000

_WHOLE = re.compile(r"-?[0-9]{1,9}")
# Amounts the fast path reads: plain `1234.50`, German `1234,50` and `1.234,50` (the dots group
# thousands by three). Anything else (a trailing minus or €, `1,234.50`) goes to the row model.
_AMOUNT = {
    False: re.compile(r"(-?)([0-9]{1,12})(?:\.([0-9]{1,2}))?"),
    True: re.compile(r"(-?)([0-9]{1,12}|[0-9]{1,3}(?:\.[0-9]{3})+)(?:,([0-9]{1,2}))?"),
}
_UNREAD = object()


def a_year_after(day: dt.date) -> dt.date:
    """The same day a year later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@contextmanager
def _big_queries() -> Iterator[None]:
    """PostgreSQL: sort and hash a million staged lines in memory, not in temporary files, for
    the rest of the transaction (the writes run in the same one). A dry run and a file with
    problems are planned outside the import's transaction; then this block is the transaction.
    SQLite: nothing, and no transaction (it would take the write lock for read-only checks)."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        transaction_settings(work_mem=WORK_MEM, jit="off")
        yield


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class OrdersStager:
    """One run of the orders import (`channeldesk.core.importing.Stager`)."""

    prefix = "import_orders"
    columns: Mapping[str, str] = STAGE_COLUMNS

    def __init__(self) -> None:
        self.latest = a_year_after(timezone.localdate())
        self._dates: dict[str, Any] = {}

    def quick(
        self, *, line: int, values: Mapping[str, str], german: bool
    ) -> tuple[Any, ...] | None:
        partner_number = values["partner_number"].strip()
        order_number = values["order_number"].strip()
        sku = values["sku"].strip()
        if not (0 < len(partner_number) <= 32 and 0 < len(order_number) <= 64):
            return None
        if not 0 < len(sku) <= 64:
            return None
        order_date = self._date(values["order_date"])
        quantity_text = values["quantity"].strip()
        if order_date is None or not _WHOLE.fullmatch(quantity_text):
            return None
        quantity = int(quantity_text)
        cents = _cents(values["net_amount"].strip(), german=german)
        if quantity == 0 or cents is None or (cents and (cents < 0) != (quantity < 0)):
            return None
        return (line, partner_number, order_number, order_date, sku, quantity, cents)

    def staged(self, *, line: int, row: OrderLineRow) -> tuple[Any, ...]:
        cents = int(row.net_amount * 100)
        return (
            line,
            row.partner_number,
            row.order_number,
            row.order_date.isoformat(),
            row.sku,
            row.quantity,
            cents,
        )

    def plan(self, *, table: StagingTable, problems: ProblemLog) -> StagedOrdersPlan:
        """Resolve and check the staged lines (step 1); when they pass, classify the orders."""
        with _big_queries():
            _check(lines=_resolve(table), problems=problems)
            if len(problems):
                return StagedOrdersPlan(table=table)
            return _classify(table)

    def _date(self, text: str) -> str | None:
        """The cell's date in ISO form when it is valid and not too far ahead, else None."""
        known = self._dates.get(text, _UNREAD)
        if known is not _UNREAD:
            return known  # type: ignore[no-any-return]
        try:
            day = parse_date(text)
        except ValueError:
            result = None
        else:
            result = day.isoformat() if day <= self.latest else None
        if len(self._dates) < DATE_CACHE_SIZE:
            self._dates[text] = result
        return result


def _cents(text: str, *, german: bool) -> int | None:
    match = _AMOUNT[german].fullmatch(text)
    if match is None:
        return None
    sign, whole, fraction = match.groups()
    whole = whole.replace(".", "")
    if len(whole) > WHOLE_DIGITS:
        return None
    cents = int(whole) * 100 + int((fraction or "0").ljust(2, "0"))
    return -cents if sign else cents


# --- Step 1: the checks ------------------------------------------------------------------------


def _add_problems(
    problems: ProblemLog,
    *,
    sql: str,
    column: str,
    reason: Callable[[tuple[Any, ...]], str],
) -> None:
    """Add a problem for each row `sql` finds (its first column the line), the earliest
    `problems.limit` of them with their reason, the others counted."""
    limit = problems.limit
    found = fetch_all(f"SELECT * FROM ({sql}) AS found ORDER BY 1 LIMIT {limit:d}")
    for row in found:
        problems.add(row=row[0], column=column, reason=reason(row))
    if len(found) == limit:
        total = fetch_value(f"SELECT count(*) FROM ({sql}) AS found")
        problems.count_more(total - len(found))


def _resolve(table: StagingTable) -> str:
    """The staged lines with their partner and product ids (NULL when unknown), their line
    number within the order and their order's first date and line: one pass over the staging
    table serves every check and the writes."""
    lines = table.derived("lines")
    execute(
        f"CREATE TEMPORARY TABLE {lines} AS SELECT s.line AS line, "
        "s.partner_number AS partner_number, s.order_number AS order_number, s.sku AS sku, "
        "p.id AS partner_id, pr.id AS product_id, row_number() OVER file_order AS line_number, "
        "first_value(s.order_date) OVER file_order AS first_date, "
        "first_value(s.line) OVER file_order AS first_line, s.order_date AS order_date, "
        "s.quantity AS quantity, s.net_cents AS net_cents "
        f"FROM {table.quoted} s "
        f"LEFT JOIN {_table(Partner)} p ON p.partner_number = s.partner_number "
        f"LEFT JOIN {_table(Product)} pr ON pr.sku = s.sku "
        f"WINDOW file_order AS (PARTITION BY {byte_order('s.partner_number')}, "
        f"{byte_order('s.order_number')} ORDER BY s.line)"
    )
    return lines


def _check(*, lines: str, problems: ProblemLog) -> None:
    """Step 1: a line dated unlike its order's first line, unknown partners, unknown SKUs."""
    _add_problems(
        problems,
        sql=(
            "SELECT line, order_number, partner_number, first_date, first_line "
            f"FROM {lines} WHERE order_date <> first_date"
        ),
        column="order_date",
        reason=lambda row: (
            f"order {row[1]} of partner {row[2]} is dated {_iso(row[3])} on line {row[4]}; "
            "all lines of an order need the same date"
        ),
    )
    _add_problems(
        problems,
        sql=f"SELECT line, partner_number FROM {lines} WHERE partner_id IS NULL",
        column="partner_number",
        reason=lambda row: f"unknown partner number {row[1]}; import the partner first",
    )
    _add_problems(
        problems,
        sql=f"SELECT line, sku FROM {lines} WHERE product_id IS NULL",
        column="sku",
        reason=lambda row: f"unknown SKU {row[1]}; import the product first",
    )


def _iso(value: object) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


# --- Steps 2 and 3: resolve and classify -------------------------------------------------------


@dataclass
class StagedOrdersPlan:
    """The file's orders as new, replaced or unchanged; the work tables live as long as the
    staging table (they are dropped with it)."""

    table: StagingTable
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def apply(self) -> None:
        """Step 4, set-based; orders get their ids in file order, lines in order and line order.

        The lines find their order through `targets` (partner, order number → id of every order
        written), a table of the file's orders alone, not through the whole orders table."""
        if not (self.created or self.updated):
            return
        lines, orders, replaced = (self.table.derived(name) for name in _WORK_TABLES)
        targets = self.table.derived("targets")
        order, order_line = _table(Order), _table(OrderLine)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        _insert_new_orders(orders=orders, targets=targets, now=now)
        if self.updated:
            execute(f"DELETE FROM {order_line} WHERE order_id IN (SELECT id FROM {replaced})")
            execute(
                f"INSERT INTO {targets} (id, partner_id, order_number) "
                f"SELECT stored_id, partner_id, order_number FROM {orders} "
                f"WHERE stored_id IN (SELECT id FROM {replaced})"
            )
        execute(
            f"INSERT INTO {order_line} (order_id, line_number, partner_id, order_date, "
            "product_id, quantity, net_amount) "
            "SELECT t.id, l.line_number, l.partner_id, l.order_date, l.product_id, l.quantity, "
            f"{cents_as_amount('l.net_cents')} FROM {lines} l JOIN {targets} t "
            "ON t.partner_id = l.partner_id AND t.order_number = l.order_number "
            "ORDER BY t.id, l.line_number"
        )
        if not self.updated:
            return
        execute(
            f"UPDATE {order} SET imported_at = %s, order_date = "
            f"(SELECT x.order_date FROM {orders} x WHERE x.stored_id = {order}.id) "
            f"WHERE id IN (SELECT id FROM {replaced})",
            [now],
        )


def _insert_new_orders(*, orders: str, targets: str, now: Any) -> None:
    """Insert the new orders in file order and note their ids in `targets`.

    PostgreSQL: the ids are drawn from the orders' identity sequence first (in file order), so
    the orders go in with their ids and `targets` is the table they came from; looking them up
    again afterwards joined a million lines with the whole orders table. SQLite (one writer,
    no sequence to draw from): insert, then look the new ids up."""
    order = _table(Order)
    new = f"FROM {orders} WHERE stored_id IS NULL ORDER BY first_line"
    if connection.vendor == "postgresql":
        execute(
            f"CREATE TEMPORARY TABLE {targets} AS SELECT nextval(pg_get_serial_sequence(%s, "
            "'id')) AS id, partner_id, order_number, order_date FROM (SELECT partner_id, "
            f"order_number, order_date {new}) AS in_file_order",
            [Order._meta.db_table],
        )
        execute(
            f"INSERT INTO {order} (id, partner_id, order_number, order_date, imported_at) "
            f"SELECT id, partner_id, order_number, order_date, %s FROM {targets} ORDER BY id",
            [now],
        )
        return
    execute(
        f"INSERT INTO {order} (partner_id, order_number, order_date, imported_at) "
        f"SELECT partner_id, order_number, order_date, %s {new}",
        [now],
    )
    execute(
        f"CREATE TEMPORARY TABLE {targets} AS SELECT o.id AS id, o.partner_id AS partner_id, "
        f"o.order_number AS order_number FROM {orders} x JOIN {order} o "
        "ON o.partner_id = x.partner_id AND o.order_number = x.order_number "
        "WHERE x.stored_id IS NULL"
    )


_WORK_TABLES = ("lines", "orders", "replaced")


def _classify(table: StagingTable) -> StagedOrdersPlan:
    """Match the orders with the stored ones, and count (steps 2 and 3)."""
    lines, orders, replaced = (table.derived(name) for name in _WORK_TABLES)
    order = _table(Order)
    execute(
        f"CREATE TEMPORARY TABLE {orders} AS SELECT l.partner_id AS partner_id, "
        "l.order_number AS order_number, min(l.order_date) AS order_date, "
        "min(l.line) AS first_line, count(*) AS line_count, o.id AS stored_id, "
        f"o.order_date AS stored_date FROM {lines} l LEFT JOIN {order} o "
        "ON o.partner_id = l.partner_id AND o.order_number = l.order_number "
        "GROUP BY l.partner_id, l.order_number, o.id, o.order_date"
    )
    stored = fetch_value(f"SELECT count(*) FROM {orders} WHERE stored_id IS NOT NULL")
    total = fetch_value(f"SELECT count(*) FROM {orders}")
    _find_replaced(lines=lines, orders=orders, replaced=replaced, any_stored=bool(stored))
    updated = fetch_value(f"SELECT count(*) FROM {replaced}") if stored else 0
    return StagedOrdersPlan(
        table=table, created=total - stored, updated=updated, unchanged=stored - updated
    )


def _find_replaced(*, lines: str, orders: str, replaced: str, any_stored: bool) -> None:
    """The stored orders the file changes: another date, another number of lines, or a line
    that differs in product, quantity or amount."""
    order_line = _table(OrderLine)
    if not any_stored:
        execute(
            f"CREATE TEMPORARY TABLE {replaced} AS SELECT stored_id AS id FROM {orders} WHERE 1 = 0"
        )
        return
    execute(f"CREATE INDEX {lines}_by_order ON {lines} (partner_id, order_number)")
    execute(
        f"CREATE TEMPORARY TABLE {replaced} AS SELECT x.stored_id AS id FROM {orders} x "
        "WHERE x.stored_id IS NOT NULL AND (x.stored_date <> x.order_date "
        f"OR x.line_count <> (SELECT count(*) FROM {order_line} ol "
        "WHERE ol.order_id = x.stored_id) "
        f"OR EXISTS (SELECT 1 FROM {lines} l WHERE l.partner_id = x.partner_id "
        "AND l.order_number = x.order_number AND NOT EXISTS (SELECT 1 FROM "
        f"{order_line} ol WHERE ol.order_id = x.stored_id AND ol.line_number = l.line_number "
        "AND ol.product_id = l.product_id AND ol.quantity = l.quantity "
        f"AND ol.net_amount = {cents_as_amount('l.net_cents')})))"
    )


# --- The row model ------------------------------------------------------------------------------

INT32 = 2**31


class OrderLineRow(ImportRow):
    """One order line. Negative quantity and amount make it a credit line.

    An order is dated at most a year ahead (a later date is a typo that would count in a tier
    period that has not begun); a line orders something (quantity not 0); and a credit line is
    negative in both quantity and amount, an ordinary line in neither (an amount of 0, a free
    line, goes with either).
    """

    order_number: Annotated[str, Field(max_length=64), NotBlank]
    partner_number: Annotated[str, Field(max_length=32), NotBlank]
    order_date: CsvDate
    sku: Annotated[str, Field(max_length=64), NotBlank]
    quantity: Annotated[CsvInt, Field(ge=-INT32, lt=INT32)]
    net_amount: Annotated[Money, Field(max_digits=14)]

    @field_validator("order_date")
    @classmethod
    def _not_far_ahead(cls, value: dt.date) -> dt.date:
        latest = a_year_after(timezone.localdate())
        if value > latest:
            raise ValueError(
                f"{value.isoformat()} is more than a year ahead (latest {latest.isoformat()})"
            )
        return value

    @field_validator("quantity")
    @classmethod
    def _not_zero(cls, value: int) -> int:
        if value == 0:
            raise ValueError("the quantity is 0; leave the line out or give the quantity")
        return value

    @field_validator("net_amount")
    @classmethod
    def _same_sign_as_quantity(cls, value: Decimal, info: ValidationInfo) -> Decimal:
        quantity = info.data.get("quantity")
        if quantity is not None and value and (value < 0) != (quantity < 0):
            kind = "a credit line" if quantity < 0 else "an order line"
            raise ValueError(
                f"{value} has the other sign than the quantity {quantity}; "
                f"{kind} is {'negative' if quantity < 0 else 'positive'} in both"
            )
        return value
