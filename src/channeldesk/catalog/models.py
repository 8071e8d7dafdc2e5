"""Products and the partners' orders, as the vendor's ERP records them (R1, R5)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.core.models import NamedInTwoLanguages
from channeldesk.partners.models import Partner


class ProductKind(models.TextChoices):
    RETAIL = "retail", _("retail")
    ENTERPRISE = "enterprise", _("enterprise")
    SERVICE = "service", _("managed service")


class Product(NamedInTwoLanguages):
    """A sellable item. `list_price` is per `unit`, in EUR, before any partner discount."""

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ProductKind.choices)
    list_price = models.DecimalField(_("list price (EUR)"), max_digits=12, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=32, default="piece")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]

    def __str__(self) -> str:
        return f"{self.sku} {self.name_en}"


class Order(models.Model):
    """An order (or a credit note) as imported from the ERP.

    An order whose lines are all negative is a credit note: it changes revenue but does not count
    as an order for the tier criteria.
    """

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="orders"
    )
    order_number = models.CharField(_("order number"), max_length=64)
    order_date = models.DateField(_("order date"))
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-order_date", "order_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "order_number"], name="order_unique_number_per_partner"
            )
        ]
        indexes = [models.Index(fields=["-order_date", "order_number"], name="order_date_idx")]

    def __str__(self) -> str:
        return f"{self.order_number} ({self.partner_id}, {self.order_date})"


class OrderLine(models.Model):
    """One line of an order. Negative quantity and amount make it a credit line.

    `partner` and `order_date` repeat the order's values on purpose: tier evaluation aggregates
    millions of lines per partner and period, and must not join the orders table to do it.
    """

    # The unique constraint (order, line_number) and the (partner, order_date) index serve these
    # two foreign keys, so they get no index of their own: fewer indexes to maintain on bulk load.
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        on_delete=models.CASCADE,
        related_name="lines",
        db_index=False,
    )
    line_number = models.PositiveIntegerField(_("line"))
    partner = models.ForeignKey(Partner, on_delete=models.PROTECT, related_name="+", db_index=False)
    order_date = models.DateField(_("order date"))
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.IntegerField(_("quantity"))
    net_amount = models.DecimalField(_("net amount (EUR)"), max_digits=14, decimal_places=2)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["order", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "line_number"], name="order_line_unique_number"
            )
        ]
        indexes = [
            models.Index(fields=["partner", "order_date"], name="order_line_partner_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}/{self.line_number}"
