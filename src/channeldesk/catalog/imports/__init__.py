"""The `products` and `orders` imports: the catalogue and the order history from the ERP (R1, R5).

Products upsert by SKU like partners by partner number. Orders come one row per order line and
are grouped by (partner number, order number): the ERP's order is the unit, so an order whose lines
changed in the ERP is replaced as a whole (its lines deleted and written again), an identical one
is left untouched, and orders missing from the file are kept. Credit notes are orders with
negative lines and import like any other order.
"""

from channeldesk.catalog.imports.orders import OrderLineRow, OrdersStager
from channeldesk.catalog.imports.products import ProductRow, products_import_plan
from channeldesk.catalog.models import Order, Product
from channeldesk.core.importing import Importer

__all__ = ["ORDERS_IMPORTER", "PRODUCTS_IMPORTER", "OrderLineRow", "ProductRow"]

PRODUCTS_IMPORTER = Importer(
    name="products", row_model=ProductRow, plan=products_import_plan, model=Product
)

# Staged: an order history has millions of lines (`channeldesk.catalog.imports.orders`).
ORDERS_IMPORTER = Importer(name="orders", row_model=OrderLineRow, stager=OrdersStager, model=Order)
