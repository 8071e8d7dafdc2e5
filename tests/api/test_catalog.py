"""GET /api/v1/products/ and /api/v1/orders/: scoped orders with lines, filters, query counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.world import World, get_counting_queries
from tests.factories import order_with_lines


def _results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content[:500]
    return response.json()["results"]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("outsider", ["BOX-1", "ENT-100"]),
        ("partner_a_user", ["BOX-1", "ENT-100"]),
        ("staff", ["BOX-1", "ENT-100", "OLD-9"]),
        ("support", ["BOX-1", "ENT-100", "OLD-9"]),
    ],
)
def test_products_partners_see_the_active_catalogue_staff_all(
    persona: str, expected: list[str], world: World, client_as: Callable[[str], APIClient]
) -> None:
    products = _results(client_as(persona).get("/api/v1/products/"))

    assert [product["sku"] for product in products] == expected


def test_product_fields(world: World, client_as: Callable[[str], APIClient]) -> None:
    response = client_as("partner_b_user").get("/api/v1/products/ENT-100/")

    assert response.json() == {
        "sku": "ENT-100",
        "name_de": world.product.name_de,
        "name_en": "Endpoint Suite",
        "kind": "enterprise",
        "list_price": "50.00",
        "unit": "licence",
        "is_active": True,
    }


def _order_keys(response: Any) -> list[tuple[str, str, str]]:
    return [
        (order["partner_number"], order["order_number"], order["order_date"])
        for order in _results(response)
    ]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (
            "partner_a_admin",
            [("A-1000", "10002", "2026-03-20"), ("A-1000", "10001", "2026-01-10")],
        ),
        (
            "partner_a_user",
            [("A-1000", "10002", "2026-03-20"), ("A-1000", "10001", "2026-01-10")],
        ),
        ("partner_b_user", [("B-2000", "10001", "2026-02-15")]),
        (
            "staff",
            [
                ("A-1000", "10002", "2026-03-20"),
                ("B-2000", "10001", "2026-02-15"),
                ("A-1000", "10001", "2026-01-10"),
            ],
        ),
    ],
)
def test_order_list_shows_exactly_the_orders_the_persona_may_see(
    persona: str,
    expected: list[tuple[str, str, str]],
    world: World,
    client_as: Callable[[str], APIClient],
) -> None:
    assert _order_keys(client_as(persona).get("/api/v1/orders/")) == expected


def test_order_comes_with_its_lines(world: World, client_as: Callable[[str], APIClient]) -> None:
    response = client_as("partner_a_user").get(f"/api/v1/orders/{world.order_a.pk}/")

    assert response.json() == {
        "id": world.order_a.pk,
        "order_number": "10001",
        "partner_number": "A-1000",
        "order_date": "2026-01-10",
        "lines": [
            {"line_number": 1, "sku": "ENT-100", "quantity": 10, "net_amount": "400.00"},
            {"line_number": 2, "sku": "BOX-1", "quantity": 2, "net_amount": "59.80"},
        ],
    }


def test_credit_note_lines_are_negative(
    world: World, client_as: Callable[[str], APIClient]
) -> None:
    response = client_as("staff").get(f"/api/v1/orders/{world.order_a_later.pk}/")

    assert response.json()["lines"] == [
        {"line_number": 1, "sku": "ENT-100", "quantity": -1, "net_amount": "-40.00"}
    ]


@pytest.mark.parametrize(
    ("persona", "query", "expected"),
    [
        ("staff", {"partner_number": "B-2000"}, [("B-2000", "10001", "2026-02-15")]),
        ("partner_a_user", {"partner_number": "B-2000"}, []),
        (
            "partner_a_user",
            {"partner_number": "A-1000"},
            [("A-1000", "10002", "2026-03-20"), ("A-1000", "10001", "2026-01-10")],
        ),
        (
            "staff",
            {"date_from": "2026-01-11", "date_to": "2026-03-20"},
            [("A-1000", "10002", "2026-03-20"), ("B-2000", "10001", "2026-02-15")],
        ),
        (
            "staff",
            {"date_from": "2026-01-10", "date_to": "2026-01-10"},
            [("A-1000", "10001", "2026-01-10")],
        ),
        ("staff", {"date_to": "2026-01-09"}, []),
        ("partner_b_user", {"date_from": "2026-02-16"}, []),
    ],
)
def test_order_filters_by_partner_and_inclusive_date_range(
    persona: str,
    query: dict[str, str],
    expected: list[tuple[str, str, str]],
    world: World,
    client_as: Callable[[str], APIClient],
) -> None:
    assert _order_keys(client_as(persona).get("/api/v1/orders/", query)) == expected


def test_order_list_takes_the_same_queries_for_3_and_23_orders(
    world: World, client_as: Callable[[str], APIClient]
) -> None:
    client = client_as("staff")
    _, few = get_counting_queries(client, "/api/v1/orders/")
    for day in range(1, 21):
        order_with_lines(
            world.partner_b,
            dt.date(2025, 6, day),
            [(world.product, 1, Decimal("50.00")), (world.retail_product, 3, Decimal("89.70"))],
        )
    response, many = get_counting_queries(client, "/api/v1/orders/")

    assert response.json()["count"] == 23
    assert many == few
