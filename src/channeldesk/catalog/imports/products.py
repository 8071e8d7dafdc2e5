"""The `products` import: the catalogue from the ERP (R1). Products upsert by SKU like partners
by partner number."""

from collections.abc import Sequence
from typing import Annotated

from pydantic import Field

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.core.importing import (
    CaseInsensitive,
    ImportRow,
    Money,
    NotBlank,
    ProblemLog,
    SourceRow,
    UpsertPlan,
    report_duplicates,
    upsert_plan,
)


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
