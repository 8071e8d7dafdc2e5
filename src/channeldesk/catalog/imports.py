"""The `products` and `orders` imports: the catalogue and the order history from the ERP (R1, R5).

Products upsert by SKU like partners by partner number. Orders come one row per order line and
are grouped by (partner number, order number): the ERP's order is the unit, so an order whose lines
changed in the ERP is replaced as a whole (its lines deleted and written again), an identical one
is left untouched, and orders missing from the file are kept. Credit notes are orders with
negative lines and import like any other order.
"""

import datetime as dt
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated

from django.db import models
from django.utils import timezone
from pydantic import Field, ValidationInfo, field_validator

from channeldesk.catalog.models import Order, OrderLine, Product, ProductKind
from channeldesk.core.importing import (
    LOOKUP_BATCH,
    WRITE_BATCH,
    CaseInsensitive,
    CsvDate,
    CsvInt,
    Importer,
    ImportRow,
    Money,
    NotBlank,
    ProblemLog,
    SourceRow,
    UpsertPlan,
    report_duplicates,
    select_in,
    upsert_plan,
)
from channeldesk.partners.models import Partner

# --- Products ----------------------------------------------------------------------------------


class ProductRow(ImportRow):
    """One product of the catalogue; `list_price` is in EUR per `unit`."""

    sku: Annotated[str, Field(max_length=64), NotBlank]
    name_de: Annotated[str, Field(max_length=200), NotBlank]
    name_en: Annotated[str, Field(max_length=200), NotBlank]
    kind: Annotated[ProductKind, CaseInsensitive]
    list_price: Annotated[Money, Field(ge=0, max_digits=12)]
    unit: Annotated[str, Field(max_length=32), NotBlank]


def products_import_plan(
    *, rows: Sequence[SourceRow[ProductRow]], problems: ProblemLog
) -> UpsertPlan[Product]:
    """Plan the upsert by SKU; a SKU twice in one file is a problem."""
    report_duplicates(rows=rows, key=lambda row: row.sku, column="sku", problems=problems)
    values = {row.data.sku: row.data.model_dump(exclude={"sku"}) for row in rows}
    return upsert_plan(model=Product, key_field="sku", values=values)


PRODUCTS_IMPORTER = Importer(name="products", row_model=ProductRow, plan=products_import_plan)


# --- Orders ------------------------------------------------------------------------------------

INT32 = 2**31

type OrderKey = tuple[str, str]  # (partner number, order number), as the file names an order
type LineValues = tuple[int, int, int, Decimal]  # line number, product id, quantity, net amount


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
        latest = _a_year_after(timezone.localdate())
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


def _a_year_after(day: dt.date) -> dt.date:
    """The same day a year later; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


@dataclass
class _FileOrder:
    """An order as the file gives it: its date (from its first line) and its rows in file order."""

    order_date: dt.date
    first_line: int
    rows: list[SourceRow[OrderLineRow]] = field(default_factory=list)


@dataclass
class _StoredOrder:
    id: int
    order_date: dt.date
    lines: list[LineValues] = field(default_factory=list)


@dataclass(frozen=True)
class _PlannedOrder:
    """An order as it will be written: plain values, so unchanged orders cost no model objects."""

    partner_id: int
    order_number: str
    order_date: dt.date
    lines: list[LineValues]

    def order(self, *, now: dt.datetime) -> Order:
        return Order(
            partner_id=self.partner_id,
            order_number=self.order_number,
            order_date=self.order_date,
            imported_at=now,
        )

    def order_lines(self, order_id: int) -> list[OrderLine]:
        return [
            OrderLine(
                order_id=order_id,
                line_number=line_number,
                partner_id=self.partner_id,
                order_date=self.order_date,
                product_id=product_id,
                quantity=quantity,
                net_amount=net_amount,
            )
            for line_number, product_id, quantity, net_amount in self.lines
        ]


@dataclass
class OrdersPlan:
    """Orders to create, orders to replace (same key, other date or lines), and the rest."""

    new: list[_PlannedOrder] = field(default_factory=list)
    replaced: dict[int, _PlannedOrder] = field(default_factory=dict)  # by stored order id
    unchanged: int = 0

    @property
    def created(self) -> int:
        return len(self.new)

    @property
    def updated(self) -> int:
        return len(self.replaced)

    def add(self, planned: _PlannedOrder, *, stored: _StoredOrder | None) -> None:
        """File the order as new, unchanged (same date and lines as stored) or replaced."""
        if stored is None:
            self.new.append(planned)
        elif stored.order_date == planned.order_date and stored.lines == planned.lines:
            self.unchanged += 1
        else:
            self.replaced[stored.id] = planned

    def apply(self) -> None:
        """Set-based, WRITE_BATCH orders at a time, so model objects never pile up in memory.

        New orders: per batch one INSERT of the orders (it returns their ids on PostgreSQL and
        SQLite ≥ 3.35) and one of their lines. Replaced orders keep their id (other records may
        point at them): per batch one DELETE of the old lines and one INSERT of the new ones,
        then one UPDATE per order date (Django's `bulk_update` would build a CASE per row).
        """
        now = timezone.now()
        for batch in itertools.batched(self.new, WRITE_BATCH):
            orders = Order.objects.bulk_create([planned.order(now=now) for planned in batch])
            _insert_lines((planned, order.pk) for planned, order in zip(batch, orders, strict=True))
        for replaced in itertools.batched(self.replaced.items(), WRITE_BATCH):
            OrderLine.objects.filter(order_id__in=[order_id for order_id, _ in replaced]).delete()
            _insert_lines((planned, order_id) for order_id, planned in replaced)
        _update_dates(self.replaced, now=now)


def _insert_lines(orders: Iterable[tuple[_PlannedOrder, int]]) -> None:
    lines = [line for planned, order_id in orders for line in planned.order_lines(order_id)]
    OrderLine.objects.bulk_create(lines, batch_size=WRITE_BATCH)


def _update_dates(replaced: Mapping[int, _PlannedOrder], *, now: dt.datetime) -> None:
    """Set date and import time of the replaced orders: one UPDATE per date and id batch."""
    ids_by_date: dict[dt.date, list[int]] = {}
    for order_id, planned in replaced.items():
        ids_by_date.setdefault(planned.order_date, []).append(order_id)
    for order_date, ids in ids_by_date.items():
        for batch in itertools.batched(ids, LOOKUP_BATCH):
            Order.objects.filter(pk__in=batch).update(order_date=order_date, imported_at=now)


def _group_orders(
    rows: Sequence[SourceRow[OrderLineRow]], problems: ProblemLog
) -> dict[OrderKey, _FileOrder]:
    """The file's orders in file order; a line dated unlike its order's first line is a problem."""
    orders: dict[OrderKey, _FileOrder] = {}
    for row in rows:
        data = row.data
        order = orders.setdefault(
            (data.partner_number, data.order_number), _FileOrder(data.order_date, row.line)
        )
        if data.order_date != order.order_date:
            problems.add(
                row=row.line,
                column="order_date",
                reason=f"order {data.order_number} of partner {data.partner_number} is dated "
                f"{order.order_date.isoformat()} on line {order.first_line}; "
                "all lines of an order need the same date",
            )
        order.rows.append(row)
    return orders


def _ids_by_key(*, model: type[models.Model], key: str, keys: set[str]) -> dict[str, int]:
    """Key → primary key for the keys that exist: one query for the whole file."""
    queryset = model._default_manager.values_list(key, "pk")
    return dict(select_in(queryset=queryset, field=key, keys=keys))


def _report_unknown(
    rows: Sequence[SourceRow[OrderLineRow]],
    *,
    partner_ids: dict[str, int],
    product_ids: dict[str, int],
    problems: ProblemLog,
) -> None:
    for row in rows:
        if row.data.partner_number not in partner_ids:
            reason = f"unknown partner number {row.data.partner_number}; import the partner first"
            problems.add(row=row.line, column="partner_number", reason=reason)
        if row.data.sku not in product_ids:
            reason = f"unknown SKU {row.data.sku}; import the product first"
            problems.add(row=row.line, column="sku", reason=reason)


def _stored_orders(
    keys: Iterable[OrderKey], partner_ids: dict[str, int]
) -> dict[tuple[int, str], _StoredOrder]:
    """The stored orders with the file's keys and their lines, by (partner id, order number).

    Two queries: the orders by order number (filtered to the file's partners here), then their
    lines in line order.
    """
    wanted = {(partner_ids[partner_number], number) for partner_number, number in keys}
    queryset = Order.objects.values_list("pk", "partner_id", "order_number", "order_date")
    rows = select_in(queryset=queryset, field="order_number", keys={key[1] for key in wanted})
    stored = {
        (partner_id, number): _StoredOrder(pk, order_date)
        for pk, partner_id, number, order_date in rows
        if (partner_id, number) in wanted
    }
    by_id = {order.id: order for order in stored.values()}
    lines = OrderLine.objects.order_by("order_id", "line_number").values_list(
        "order_id", "line_number", "product_id", "quantity", "net_amount"
    )
    for order_id, line_number, product_id, quantity, amount in select_in(
        queryset=lines, field="order_id", keys=by_id.keys()
    ):
        by_id[order_id].lines.append((line_number, product_id, quantity, amount))
    return stored


def _planned_order(
    *, file_order: _FileOrder, partner_id: int, product_ids: dict[str, int]
) -> _PlannedOrder:
    """The order as it will be written; its lines are numbered in file order."""
    lines = [
        (number, product_ids[row.data.sku], row.data.quantity, row.data.net_amount)
        for number, row in enumerate(file_order.rows, start=1)
    ]
    first = file_order.rows[0].data
    return _PlannedOrder(partner_id, first.order_number, file_order.order_date, lines)


def orders_import_plan(
    *, rows: Sequence[SourceRow[OrderLineRow]], problems: ProblemLog
) -> OrdersPlan:
    """Plan the orders of the file against the stored ones.

    1. Group the rows into orders; lines of one order must share its date.
    2. Look up partners and products (one query each); unknown ones are row problems.
    3. Read the stored orders with the same keys and their lines (one query each).
    4. An order not stored is new; one stored with the same date and lines is unchanged; any
       other is replaced.
    """
    orders = _group_orders(rows, problems)
    partner_ids = _ids_by_key(model=Partner, key="partner_number", keys={key[0] for key in orders})
    product_ids = _ids_by_key(model=Product, key="sku", keys={row.data.sku for row in rows})
    _report_unknown(rows, partner_ids=partner_ids, product_ids=product_ids, problems=problems)
    if len(problems):
        return OrdersPlan()
    stored = _stored_orders(orders, partner_ids)
    plan = OrdersPlan()
    for (partner_number, order_number), file_order in orders.items():
        partner_id = partner_ids[partner_number]
        planned = _planned_order(
            file_order=file_order, partner_id=partner_id, product_ids=product_ids
        )
        plan.add(planned, stored=stored.get((partner_id, order_number)))
    return plan


ORDERS_IMPORTER = Importer(name="orders", row_model=OrderLineRow, plan=orders_import_plan)
