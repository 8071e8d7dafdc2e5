"""The `products` import: the catalogue by SKU, prices with decimal comma, all-or-nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest

from channeldesk.catalog.imports import PRODUCTS_IMPORTER
from channeldesk.catalog.models import Product, ProductKind
from tests.factories import ProductFactory
from tests.imports.helpers import (
    DATA,
    excel_csv,
    refused_problems,
    reimported,
    run_import,
)

pytestmark = pytest.mark.django_db

EXCEL_FILE = (
    "sku;name_de;name_en;kind;list_price;unit\n"
    "AV-BOX;Virenschutz Box;Antivirus Box;Retail;39,90;Stück\n"
    "AV-ENT-1Y;Virenschutz Enterprise;Antivirus Enterprise;enterprise;1.234,50;Lizenz\n"
)


def products() -> list[tuple[object, ...]]:
    return list(Product.objects.values_list("sku", "name_de", "kind", "list_price", "unit"))


def test_german_excel_file_creates_products_with_decimal_comma_prices() -> None:
    report = run_import(PRODUCTS_IMPORTER, excel_csv(EXCEL_FILE), name="products.csv")
    assert (report.accepted, report.created, report.updated, report.unchanged) == (True, 2, 0, 0)
    assert products() == [
        ("AV-BOX", "Virenschutz Box", ProductKind.RETAIL, Decimal("39.90"), "Stück"),
        (
            "AV-ENT-1Y",
            "Virenschutz Enterprise",
            ProductKind.ENTERPRISE,
            Decimal("1234.50"),
            "Lizenz",
        ),
    ]


def test_plain_utf8_file_imports() -> None:
    report = run_import(PRODUCTS_IMPORTER, (DATA / "products_utf8.csv").read_bytes())
    assert (report.accepted, report.created) == (True, 3)
    assert Product.objects.get(sku="MSS-USER").list_price == Decimal("4.75")
    assert Product.objects.get(sku="MSS-USER").kind == ProductKind.SERVICE


def test_reimporting_the_same_file_changes_nothing() -> None:
    report = reimported(PRODUCTS_IMPORTER, excel_csv(EXCEL_FILE))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)


def test_a_new_list_price_updates_only_that_product() -> None:
    run_import(PRODUCTS_IMPORTER, excel_csv(EXCEL_FILE))
    report = run_import(PRODUCTS_IMPORTER, excel_csv(EXCEL_FILE.replace("1.234,50", "1.299,00")))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert Product.objects.get(sku="AV-ENT-1Y").list_price == Decimal("1299.00")


def test_products_missing_from_the_file_are_kept() -> None:
    ProductFactory(sku="OLD-1")
    run_import(PRODUCTS_IMPORTER, excel_csv(EXCEL_FILE))
    assert sorted(Product.objects.values_list("sku", flat=True)) == ["AV-BOX", "AV-ENT-1Y", "OLD-1"]


def test_bad_kind_negative_price_and_fractions_of_a_cent_are_refused() -> None:
    ProductFactory(sku="AV-BOX")
    content = excel_csv(
        "sku;name_de;name_en;kind;list_price;unit\n"
        "AV-BOX;Box;Box;hardware;-1,00;Stück\n"
        "AV-2;Zwei;Two;service;1,005;Stück\n"
    )
    assert refused_problems(PRODUCTS_IMPORTER, content, name="products.csv") == [
        "products.csv:2: kind: Input should be 'retail', 'enterprise' or 'service' "
        "(found 'hardware')",
        "products.csv:2: list_price: Input should be greater than or equal to 0 (found '-1,00')",
        "products.csv:3: list_price: 1.005 has more than two decimal places",
    ]


def test_duplicate_sku_is_refused() -> None:
    content = excel_csv(EXCEL_FILE + "AV-BOX;Box;Box;retail;1;Stück\n")
    assert refused_problems(PRODUCTS_IMPORTER, content, name="products.csv") == [
        "products.csv:4: sku: AV-BOX appears more than once (first on line 2)"
    ]
