"""Reads of the catalogue and the partners' orders, scoped to what a user may see.

Orders are partner data: they are scoped through `partners.selectors.partner_scope_filter`, the
one place that decides which partners a login sees. The catalogue itself is not partner data.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet

from channeldesk.catalog.models import Order, OrderLine, Product
from channeldesk.core.querysets import queryset_narrow
from channeldesk.partners.selectors import AnyUser, partner_scope_filter, user_is_vendor_staff


def products_visible_to(*, user: AnyUser) -> QuerySet[Product]:
    """Every product for vendor staff; active products for everyone else.

    Partners order from the current catalogue, so retired products would only be noise to them;
    their past order lines still name the retired product's SKU.
    """
    products = Product.objects.all()
    if not user_is_vendor_staff(user=user):
        products = products.filter(is_active=True)
    return products


def orders_visible_to(*, user: AnyUser) -> QuerySet[Order]:
    """The orders of the partners the user may see (see `partners.selectors`)."""
    return Order.objects.filter(partner_scope_filter(user=user, lookup="partner"))


def orders_filter(
    *,
    orders: QuerySet[Order],
    partner_number: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[Order]:
    """Orders narrowed by partner number and order date range (both ends inclusive)."""
    return queryset_narrow(
        orders,
        partner__partner_number=partner_number,
        order_date__gte=date_from,
        order_date__lte=date_to,
    )


def orders_with_lines(*, orders: QuerySet[Order]) -> QuerySet[Order]:
    """Orders with their partner, lines and the lines' products, newest first.

    The lines and their products come in one extra query for the whole page, however many orders
    it holds. The ordering ends with the id so that pages stay stable when two partners use the
    same order number on the same day.
    """
    lines = OrderLine.objects.select_related("product").order_by("line_number")
    return (
        orders.select_related("partner")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-order_date", "order_number", "id")
    )
