"""Managed-service usage: who was protected when, and what the partner pays for it (R14).

- `ServiceTerms` say how a service product is billed: per **user-day** or per **user-month**
  (optionally prorated by the days the contract is in force); the price per unit is the
  product's list price.
- A `Subscription` makes a service contract meterable: the key the platform sends, the time
  zone its days are counted in, an optional monthly minimum commitment. `SubscriptionSender`
  binds a service token (scope `usage`) to the subscriptions it may report.
- `UsageEvent` rows are append-only. A correction is a new event that voids or adjusts an
  earlier one by its id (`target_event_id`), never an edit.
- `RatingResult` holds the latest rating of an open month (replaced by each run).
- `UsagePeriod` records that a month is closing or closed; `Statement` and `StatementLine` are
  what was billed, per partner and month, immutable once issued. `RerateRequest` marks a closed
  month that received late events or corrections, so the next close bills the difference.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.contracts.models import Contract, Customer
from channeldesk.core.fields import unconstrained_foreign_key
from channeldesk.core.models import ServiceToken
from channeldesk.partners.models import Partner

DEFAULT_TIME_ZONE = "Europe/Berlin"


class BillingUnit(models.TextChoices):
    USER_DAY = "user_day", _("user-day")
    USER_MONTH = "user_month", _("user-month")


class ServiceTerms(models.Model):
    """How a managed-service product is billed. The price per unit is the product's list price."""

    product = models.OneToOneField(
        Product,
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="usage_terms",
        limit_choices_to={"kind": ProductKind.SERVICE},
    )
    billing_unit = models.CharField(
        _("billing unit"), max_length=16, choices=BillingUnit.choices, default=BillingUnit.USER_DAY
    )
    prorate = models.BooleanField(
        _("prorate by days"),
        default=False,
        help_text=_("User-month only: a month the contract is not in force for counts partly."),
    )

    class Meta:
        verbose_name = _("service billing terms")
        verbose_name_plural = _("service billing terms")
        ordering = ["product__sku"]

    def __str__(self) -> str:
        return f"{self.product.sku}: {self.get_billing_unit_display()}"


class Subscription(models.Model):
    """A service contract as the metering platform knows it."""

    contract = models.OneToOneField(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="usage_subscription",
    )
    subscription_key = models.CharField(_("subscription key"), max_length=64, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE)
    minimum_units = models.DecimalField(
        _("minimum units per month"),
        max_digits=12,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Minimum commitment: a month in force is billed for at least this many units."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("usage subscription")
        verbose_name_plural = _("usage subscriptions")
        ordering = ["subscription_key"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum_units__isnull=True) | models.Q(minimum_units__gt=0),
                name="usage_subscription_minimum_positive",
            )
        ]

    def __str__(self) -> str:
        return self.subscription_key


class SubscriptionSender(models.Model):
    """A service token that may send usage for a subscription (and no other)."""

    token = models.ForeignKey(
        ServiceToken,
        verbose_name=_("service token"),
        on_delete=models.CASCADE,
        related_name="usage_subscriptions",
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.CASCADE,
        related_name="senders",
    )

    class Meta:
        verbose_name = _("usage sender")
        verbose_name_plural = _("usage senders")
        constraints = [
            models.UniqueConstraint(
                fields=["token", "subscription"], name="usage_sender_unique_subscription"
            )
        ]

    def __str__(self) -> str:
        return f"{self.token_id} → {self.subscription_id}"


class EventKind(models.TextChoices):
    USAGE = "usage", _("usage")
    VOID = "void", _("void")
    ADJUST = "adjust", _("adjustment")


class UsageEvent(models.Model):
    """One report of the platform: a user was protected at an instant. Never changed.

    `usage_date` is the day of `occurred_at` in the subscription's time zone, fixed when the
    event is stored, so rating is a plain GROUP BY. A void or adjust event names the event it
    corrects in `target_event_id`; an event counts unless a correction names it, and a void
    never counts itself. The subscription foreign key has no database constraint: this is the
    hottest table, every event's subscription is checked by the ingest service, and a
    subscription with events cannot be deleted through Django (PROTECT).
    """

    id = models.BigAutoField(primary_key=True)
    subscription = unconstrained_foreign_key(
        Subscription, verbose_name=_("subscription"), related_name="events"
    )
    event_id = models.CharField(_("event id"), max_length=100)
    kind = models.CharField(_("kind"), max_length=8, choices=EventKind.choices)
    user_key = models.CharField(_("user key"), max_length=128, blank=True)
    service = models.CharField(_("service"), max_length=64, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    usage_date = models.DateField(_("usage date"), null=True, blank=True)
    quantity = models.IntegerField(_("quantity"), default=1)
    target_event_id = models.CharField(_("corrects event"), max_length=100, null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))

    class Meta:
        verbose_name = _("usage event")
        verbose_name_plural = _("usage events")
        ordering = ["subscription", "occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_id"], name="usage_event_unique_sender_id"
            )
        ]
        # The rating's month filter uses `usage_event_date_brin` (migration 0002): a BRIN index
        # on PostgreSQL, which costs next to nothing per insert because events arrive roughly
        # in date order; a B-tree on SQLite.
        indexes = [
            models.Index(
                fields=["subscription", "target_event_id"],
                condition=models.Q(target_event_id__isnull=False),
                name="usage_event_correction_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id}/{self.event_id}"


class LineKind(models.TextChoices):
    USAGE = "usage", _("usage")
    COMMITMENT = "commitment", _("minimum commitment")


class RatingResult(models.Model):
    """One line of the latest rating of an open month; each run replaces the month's rows."""

    month = models.DateField(_("month"))
    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="+"
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="+"
    )
    line_kind = models.CharField(_("line kind"), max_length=16, choices=LineKind.choices)
    tier_code = models.CharField(_("tier"), max_length=50, blank=True)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2)
    unit_price = models.DecimalField(_("unit price (EUR)"), max_digits=12, decimal_places=2)
    units = models.DecimalField(_("units"), max_digits=16, decimal_places=4)
    list_amount = models.DecimalField(_("list amount (EUR)"), max_digits=14, decimal_places=2)
    net_amount = models.DecimalField(_("net amount (EUR)"), max_digits=14, decimal_places=2)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    rated_at = models.DateTimeField(_("rated at"))

    class Meta:
        verbose_name = _("rating result")
        verbose_name_plural = _("rating results")
        ordering = ["month", "subscription", "first_day"]
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "month",
                    "subscription",
                    "partner",
                    "line_kind",
                    "tier_code",
                    "discount_percent",
                    "unit_price",
                ],
                name="usage_rating_unique_line",
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.subscription_id}: {self.units}"


class PeriodStatus(models.TextChoices):
    CLOSING = "closing", _("closing")
    CLOSED = "closed", _("closed")


class UsagePeriod(models.Model):
    """A billing month being closed or closed; its statements are issued once, on closing."""

    month = models.DateField(_("month"), unique=True)
    status = models.CharField(_("status"), max_length=16, choices=PeriodStatus.choices)
    closing_started_at = models.DateTimeField(_("closing started at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("usage period")
        verbose_name_plural = _("usage periods")
        ordering = ["-month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} ({self.status})"


class RerateRequest(models.Model):
    """A closed month of a subscription that received late events or corrections.

    Ingest bumps `version` in the same transaction as the events; a close bills the difference
    and records the version it saw in `rated_version`, so a request raised while it ran stays
    pending for the next close.
    """

    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.CASCADE, related_name="+"
    )
    month = models.DateField(_("month"))
    version = models.PositiveIntegerField(_("version"), default=1)
    rated_version = models.PositiveIntegerField(_("rated version"), default=0)

    class Meta:
        verbose_name = _("re-rating request")
        verbose_name_plural = _("re-rating requests")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "month"], name="usage_rerate_unique_month"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.month:%Y-%m} v{self.version}"


class Statement(models.Model):
    """What a partner owes for a month's managed services; issued once, never changed."""

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.PROTECT, related_name="+"
    )
    period = models.DateField(_("period"))
    number = models.CharField(_("statement number"), max_length=64, unique=True)
    issued_at = models.DateTimeField(_("issued at"))
    list_total = models.DecimalField(_("list total (EUR)"), max_digits=14, decimal_places=2)
    net_total = models.DecimalField(_("net total (EUR)"), max_digits=14, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")

    class Meta:
        verbose_name = _("usage statement")
        verbose_name_plural = _("usage statements")
        ordering = ["-period", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "period"], name="usage_statement_one_per_partner_and_period"
            )
        ]

    def __str__(self) -> str:
        return self.number


class StatementLine(models.Model):
    """One contract, month, tier and kind on a statement. Adjustment lines bill an earlier
    month's late events (positive) or voids (credits, negative)."""

    statement = models.ForeignKey(
        Statement, verbose_name=_("statement"), on_delete=models.PROTECT, related_name="lines"
    )
    position = models.PositiveIntegerField(_("position"))
    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="+"
    )
    # As issued: the PDF and the CSV of a statement print these, so renaming or renumbering the
    # customer or contract later changes neither.
    contract_number = models.CharField(_("contract number"), max_length=64, default="")
    customer_number = models.CharField(_("customer number"), max_length=32, default="")
    customer_name = models.CharField(_("customer name"), max_length=200, default="")
    subscription = models.ForeignKey(
        Subscription, verbose_name=_("subscription"), on_delete=models.PROTECT, related_name="+"
    )
    usage_month = models.DateField(_("usage month"))
    is_adjustment = models.BooleanField(_("adjustment"), default=False)
    line_kind = models.CharField(_("line kind"), max_length=16, choices=LineKind.choices)
    billing_unit = models.CharField(_("billing unit"), max_length=16, choices=BillingUnit.choices)
    tier_code = models.CharField(_("tier"), max_length=50, blank=True)
    discount_percent = models.DecimalField(_("discount (%)"), max_digits=5, decimal_places=2)
    unit_price = models.DecimalField(_("unit price (EUR)"), max_digits=12, decimal_places=2)
    units = models.DecimalField(_("units"), max_digits=16, decimal_places=4)
    list_amount = models.DecimalField(_("list amount (EUR)"), max_digits=14, decimal_places=2)
    net_amount = models.DecimalField(_("net amount (EUR)"), max_digits=14, decimal_places=2)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("statement line")
        verbose_name_plural = _("statement lines")
        ordering = ["statement", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["statement", "position"], name="usage_statement_line_unique_position"
            ),
            models.UniqueConstraint(
                fields=[
                    "statement",
                    "subscription",
                    "usage_month",
                    "is_adjustment",
                    "line_kind",
                    "tier_code",
                    "discount_percent",
                    "unit_price",
                ],
                name="usage_statement_line_unique_key",
            ),
        ]
        indexes = [
            models.Index(
                fields=["subscription", "usage_month"], name="usage_statement_line_month_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.statement_id}/{self.position}"
