"""The partner register (R1, R8): every authorised reseller the vendor manages directly."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PartnerStatus(models.TextChoices):
    AUTHORIZED = "authorized", _("authorized")
    SUSPENDED = "suspended", _("suspended")
    TERMINATED = "terminated", _("terminated")


class PartnerQuerySet(models.QuerySet["Partner"]):
    def authorized(self) -> "PartnerQuerySet":
        return self.filter(status=PartnerStatus.AUTHORIZED)


class Partner(models.Model):
    """An authorised reseller. The partner number is the vendor's (ERP) key."""

    partner_number = models.CharField(_("partner number"), max_length=32, unique=True)
    name = models.CharField(_("legal name"), max_length=200)
    street = models.CharField(_("street"), max_length=200, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=16, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="DE")
    vat_id = models.CharField(_("VAT ID"), max_length=20, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=settings.LANGUAGES, default="de"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=PartnerStatus.choices, default=PartnerStatus.AUTHORIZED
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account manager"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="managed_partners",
    )
    partner_since = models.DateField(_("partner since"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PartnerQuerySet.as_manager()

    class Meta:
        verbose_name = _("partner")
        verbose_name_plural = _("partners")
        ordering = ["partner_number"]
        indexes = [models.Index(fields=["status"], name="partner_status_idx")]

    def __str__(self) -> str:
        return f"{self.partner_number} {self.name}"


class Contact(models.Model):
    """A person at a partner (sales, technical, training participant, ...)."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=100, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        ordering = ["partner", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.partner.partner_number})"


class MembershipRole(models.TextChoices):
    ADMIN = "admin", _("partner admin")
    USER = "user", _("partner user")


class PartnerMembership(models.Model):
    """Makes a login a partner user: it sees that partner's data and nothing else."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_membership"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(
        _("role"), max_length=16, choices=MembershipRole.choices, default=MembershipRole.USER
    )

    class Meta:
        verbose_name = _("partner membership")
        verbose_name_plural = _("partner memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner.partner_number} ({self.role})"
