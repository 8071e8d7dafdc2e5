"""Admin for the catalogue and the imported orders.

The order line table holds millions of rows, so its pages never count the whole table, never
offer a drop-down of all partners or products, and only search on exact keys.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from channeldesk.catalog.models import Order, OrderLine, Product
from channeldesk.core.admin import LargeTablePaginator, ReadOnlyAdmin


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["sku", "name_de", "name_en", "kind", "list_price", "unit", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["sku", "name_de", "name_en"]


class OrderLineInline(admin.TabularInline):
    """An order's lines. Their copies of the order's partner and date are filled in on save
    (see `OrderAdmin.save_formset`), so they cannot disagree with the order."""

    model = OrderLine
    extra = 0
    fields = ["line_number", "product", "quantity", "net_amount"]
    autocomplete_fields = ["product"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["order_number", "partner", "order_date", "imported_at"]
    list_filter = ["order_date"]
    list_select_related = ["partner"]
    search_fields = ["=order_number", "=partner__partner_number"]
    search_help_text = _("Exact order number or partner number.")
    autocomplete_fields = ["partner"]
    readonly_fields = ["imported_at"]
    inlines = [OrderLineInline]
    show_full_result_count = False
    paginator = LargeTablePaginator

    def save_model(self, request, obj, form, change):
        """Saves the order and, when its partner or date moved, the lines' copies of them.

        Tier evaluation reads partner and date from the lines alone, so a correction made here
        must reach them in the same request.
        """
        super().save_model(request, obj, form, change)
        if change and {"partner", "order_date"} & set(form.changed_data):
            obj.lines.update(partner=obj.partner, order_date=obj.order_date)

    def save_formset(self, request, form, formset, change):
        if formset.model is not OrderLine:
            super().save_formset(request, form, formset, change)
            return
        order = form.instance
        for line in formset.save(commit=False):
            line.partner_id = order.partner_id
            line.order_date = order.order_date
            line.save()
        for line in formset.deleted_objects:
            line.delete()


@admin.register(OrderLine)
class OrderLineAdmin(ReadOnlyAdmin):
    """Order lines to look at and search; they are changed on their order's page."""

    list_display = [
        "order",
        "line_number",
        "partner",
        "order_date",
        "product",
        "quantity",
        "net_amount",
    ]
    list_select_related = ["order", "partner", "product"]
    search_fields = ["=order__order_number", "=partner__partner_number", "=product__sku"]
    search_help_text = _("Exact order number, partner number or SKU.")
    # Sorting millions of rows by a column without an index would scan them all.
    sortable_by = []
    show_full_result_count = False
    paginator = LargeTablePaginator
