"""End customers, the partner who looks after each of them, and their contracts (R10, issue 3).

Who looks after a customer changes over time, and reminders go to whoever looks after the
customer when a message is sent; so that is not a column of the customer but a history of
`CustomerAssignment` spans (half-open, `valid_from <= day < valid_to`, one open per customer).
A contract keeps the partner who sold it; what a partner user sees is decided by the assignment
(`contracts.selectors`), so a customer that moves takes its contracts along.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.partners.models import Partner

# Contracts are sold for enterprise licences and managed services; retail boxes have none.
CONTRACT_PRODUCT_KINDS = (ProductKind.ENTERPRISE, ProductKind.SERVICE)


class CustomerSector(models.TextChoices):
    PUBLIC_AUTHORITY = "public_authority", _("public authority")
    EDUCATION = "education", _("education")
    HEALTHCARE = "healthcare", _("healthcare")
    FINANCE = "finance", _("finance")
    MANUFACTURING = "manufacturing", _("manufacturing")
    RETAIL = "retail", _("retail and wholesale")
    SERVICES = "services", _("services")
    OTHER = "other", _("other")


class Customer(models.Model):
    """An end customer of the vendor, served through a partner. The number is the ERP's key."""

    customer_number = models.CharField(_("customer number"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE")
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="de"
    )
    sector = models.CharField(
        _("sector"), max_length=32, choices=CustomerSector.choices, default=CustomerSector.OTHER
    )
    contact_name = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["customer_number"]
        indexes = [models.Index(fields=["sector"], name="customer_sector_idx")]

    def __str__(self) -> str:
        return f"{self.customer_number} {self.name}"


class CustomerAssignment(models.Model):
    """Which partner looks after a customer, from `valid_from` until `valid_to` (exclusive).

    The open span (`valid_to` null) is the partner who looks after the customer now; closed spans
    are the history. Only `contracts.services.customer_partner_change` writes them.
    """

    # The unique (customer, valid_from) constraint serves lookups by customer.
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="assignments",
        db_index=False,
    )
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        related_name="customer_assignments",
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer assignment")
        verbose_name_plural = _("customer assignments")
        ordering = ["customer", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "valid_from"], name="customer_assignment_unique_start"
            ),
            models.UniqueConstraint(
                fields=["customer"],
                condition=models.Q(valid_to__isnull=True),
                name="customer_assignment_one_open_per_customer",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gt=models.F("valid_from")),
                name="customer_assignment_ends_after_start",
            ),
        ]
        indexes = [
            # A partner user's customer list: the open spans of one partner.
            models.Index(
                fields=["partner"],
                condition=models.Q(valid_to__isnull=True),
                name="customer_assignment_open_idx",
            ),
        ]

    def __str__(self) -> str:
        until = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{self.customer_id} → {self.partner_id} ({self.valid_from.isoformat()}–{until})"


class ContractStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    RENEWED = "renewed", _("renewed")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


class Contract(models.Model):
    """A customer's contract for an enterprise or service product, from start to end date.

    Both dates are inclusive: the contract runs through its end date and is expired the day
    after. `partner` is the partner who sold it; who looks after the customer now may differ.
    A renewal is a new contract whose `renews` names this one; a contract has at most one.
    """

    contract_number = models.CharField(_("contract number"), max_length=64, unique=True)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contracts"
    )
    # The (partner, end_date) index serves this foreign key as well.
    partner = models.ForeignKey(
        Partner,
        verbose_name=_("selling partner"),
        on_delete=models.PROTECT,
        related_name="contracts",
        db_index=False,
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("product"),
        on_delete=models.PROTECT,
        related_name="contracts",
        limit_choices_to={"kind__in": CONTRACT_PRODUCT_KINDS},
    )
    seats = models.PositiveIntegerField(_("seats"))
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    status = models.CharField(
        _("status"), max_length=16, choices=ContractStatus.choices, default=ContractStatus.ACTIVE
    )
    renews = models.ForeignKey(
        "self",
        verbose_name=_("renews"),
        on_delete=models.PROTECT,
        related_name="renewals",
        null=True,
        blank=True,
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.TextField(_("cancellation reason"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        ordering = ["end_date", "contract_number"]
        constraints = [
            models.UniqueConstraint(fields=["renews"], name="contract_one_follow_up"),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(condition=models.Q(seats__gt=0), name="contract_has_seats"),
        ]
        indexes = [
            # Contracts ending between two dates (renewals pipeline, reminder planning) ...
            models.Index(fields=["end_date"], name="contract_end_date_idx"),
            # ... the active ones among them (the expiry sweep, the reminders) ...
            models.Index(
                fields=["end_date"],
                condition=models.Q(status=ContractStatus.ACTIVE),
                name="contract_active_end_date_idx",
            ),
            # ... and per selling partner.
            models.Index(fields=["partner", "end_date"], name="contract_partner_end_date_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.contract_number} ({self.customer_id}, until {self.end_date.isoformat()})"
