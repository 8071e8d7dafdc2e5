"""Correcting an order in the admin keeps its lines' copies of partner and date in step."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from channeldesk.catalog.models import OrderLine
from tests.admin.factories import AdminData
from tests.admin.forms import rendered_form_data


def _line_keys(order_id: int) -> list[tuple[int, str, dt.date]]:
    return [
        (line.line_number, line.partner.partner_number, line.order_date)
        for line in OrderLine.objects.filter(order_id=order_id).select_related("partner")
    ]


def test_moving_an_order_moves_its_lines(admin_data: AdminData, staff_client: Client) -> None:
    order = admin_data.order
    url = f"/admin/catalog/order/{order.pk}/change/"
    data = rendered_form_data(staff_client.get(url))

    response = staff_client.post(
        url,
        {**data, "partner": admin_data.personas.partner_b.pk, "order_date": "2026-02-01"},
    )

    assert response.status_code == 302
    assert _line_keys(order.pk) == [(1, "B-2000", dt.date(2026, 2, 1))]


def test_a_line_added_in_the_admin_gets_the_orders_partner_and_date(
    admin_data: AdminData, staff_client: Client
) -> None:
    order = admin_data.order
    url = f"/admin/catalog/order/{order.pk}/change/"
    data = rendered_form_data(staff_client.get(url))
    product_id = order.lines.get().product_id
    data.update(
        {
            "lines-TOTAL_FORMS": "2",
            "lines-1-line_number": "2",
            "lines-1-product": str(product_id),
            "lines-1-quantity": "-1",
            "lines-1-net_amount": "-50.00",
        }
    )

    response = staff_client.post(url, data)

    assert response.status_code == 302
    assert _line_keys(order.pk) == [
        (1, "A-1000", dt.date(2026, 1, 10)),
        (2, "A-1000", dt.date(2026, 1, 10)),
    ]
