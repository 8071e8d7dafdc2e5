"""Changelists over huge tables page by the planner's estimate instead of counting every row."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from channeldesk.catalog.models import OrderLine
from channeldesk.core.admin import LargeTablePaginator
from tests.factories import ProductFactory, order_with_lines
from tests.personas import Personas


class EagerEstimatePaginator(LargeTablePaginator):
    estimate_from_rows = 1


@pytest.fixture
def seven_lines(personas: Personas) -> None:
    product = ProductFactory()
    lines = [(product, 1, Decimal("10.00"))] * 7
    order_with_lines(personas.partner_a, dt.date(2026, 1, 10), lines)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE catalog_orderline")


def _count(paginator: LargeTablePaginator) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries:
        count = paginator.count
    return count, [query["sql"] for query in queries]


@pytest.mark.postgres_only
def test_unfiltered_big_table_is_estimated_without_counting(
    seven_lines: None, is_postgres: bool
) -> None:
    if not is_postgres:
        pytest.skip("The estimate comes from PostgreSQL's statistics")

    count, queries = _count(EagerEstimatePaginator(OrderLine.objects.all(), 100))

    assert count == 7
    assert len(queries) == 1
    assert "pg_class" in queries[0]


def test_filtered_list_is_counted_exactly(seven_lines: None) -> None:
    lines = OrderLine.objects.filter(line_number__gt=0)

    count, queries = _count(EagerEstimatePaginator(lines, 100))

    assert count == 7
    assert "COUNT(*)" in queries[-1]


def test_small_table_is_counted_exactly(seven_lines: None) -> None:
    count, queries = _count(LargeTablePaginator(OrderLine.objects.all(), 100))

    assert count == 7
    assert "COUNT(*)" in queries[-1]
