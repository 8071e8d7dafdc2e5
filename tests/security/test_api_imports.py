"""An import with an amount no column can hold is refused with its row, not a server error."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from channeldesk.catalog.models import Order, OrderLine
from tests.factories import ProductFactory
from tests.personas import Personas, sign_in

pytestmark = pytest.mark.django_db


def test_an_order_amount_too_large_for_the_database_answers_400_and_writes_nothing(
    personas: Personas,
) -> None:
    ProductFactory(sku="AV-ENT-1Y")
    client = APIClient()
    sign_in(client, personas.staff)
    body = (
        b"order_number;partner_number;order_date;sku;quantity;net_amount\n"
        b"SO-1;A-1000;15.03.2026;AV-ENT-1Y;10;999999999999999999999999999,99\n"
    )

    response = client.post("/api/v1/imports/orders", body, content_type="text/csv")

    assert response.status_code == 400, response.content[:300]
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert [(problem["row"], problem["column"]) for problem in error["details"]] == [
        (2, "net_amount")
    ]
    assert Order.objects.count() == OrderLine.objects.count() == 0
