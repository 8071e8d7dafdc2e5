"""The `products` and `orders` imports: the catalogue and the order history from the ERP (R1, R5).

Products upsert by SKU like partners by partner number. Orders come one row per order line and
are grouped by (partner number, order number): the ERP's order is the unit, so an order whose lines
changed in the ERP is replaced as a whole (its lines deleted and written again), an identical one
is left untouched, and orders missing from the file are kept. Credit notes are orders with
negative lines and import like any other order.
"""

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated

from django.utils import timezone
from pydantic import Field, ValidationInfo, field_validator

from channeldesk.catalog.importing_orders import OrdersStager, a_year_after
from channeldesk.catalog.models import Order, Product, ProductKind
from channeldesk.core.importing import (
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
    upsert_plan,
)

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


PRODUCTS_IMPORTER = Importer(
    name="products", row_model=ProductRow, plan=products_import_plan, model=Product
)


# --- Orders ------------------------------------------------------------------------------------

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


# Staged: an order history has millions of lines (`channeldesk.catalog.importing_orders`).
ORDERS_IMPORTER = Importer(name="orders", row_model=OrderLineRow, stager=OrdersStager, model=Order)
