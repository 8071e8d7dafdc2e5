"""Keycodes, licence certificates, installations and their check-ins, and the daily compliance
records of enterprise contracts (R12, R13; docs/licensing.md).

- A `Keycode` stores only its key id and random serial; the code itself is recomputed with the
  key id's secret (`licensing.keycodes`). It points at the contract it licenses now: when a
  renewal has started, the keycode moves to the follow-up contract (`keycodes_follow_renewals`),
  so the code a customer typed once keeps working across renewals and seat changes.
- An `Installation` is one machine under a keycode, identified by its hashed hardware
  fingerprint: a re-install on the same machine is the same installation, not another seat.
  `Heartbeat` keeps the days it was seen (history is never deleted).
- A `ComplianceRecord` is one contract on one day: seats, active installations, the peak of
  the contract's term, and the status; a `ComplianceEpisode` is one stretch of under-licensing,
  the unit the partner is told about once.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.catalog.models import Product
from channeldesk.contracts.models import Contract
from channeldesk.core.fields import actor_field, span_history_constraints, unconstrained_foreign_key
from channeldesk.notifications.models import OutboxMessage


class KeycodeStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    REVOKED = "revoked", _("revoked")


class Keycode(models.Model):
    """A licence keycode of an enterprise contract; the code text is never stored."""

    contract = models.ForeignKey(
        Contract, verbose_name=_("contract"), on_delete=models.PROTECT, related_name="keycodes"
    )
    key_id = models.PositiveSmallIntegerField(_("key id"))
    serial = models.BigIntegerField(_("serial"))
    status = models.CharField(
        _("status"), max_length=16, choices=KeycodeStatus.choices, default=KeycodeStatus.ACTIVE
    )
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = actor_field(_("issued by"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revocation_reason = models.CharField(_("reason for revoking"), max_length=300, blank=True)
    replaces = models.OneToOneField(
        "self",
        verbose_name=_("replaces"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replaced_by",
    )

    class Meta:
        verbose_name = _("keycode")
        verbose_name_plural = _("keycodes")
        ordering = ["-issued_at", "-id"]
        # Seeing the whole code is a permission of its own: the support desk may view keycodes
        # (masked) but not this; every reveal is recorded as a `KeycodeReveal`.
        permissions = [("reveal_keycode", _("Can see a keycode in full"))]
        constraints = [
            models.UniqueConstraint(fields=["key_id", "serial"], name="keycode_unique_serial"),
            models.UniqueConstraint(
                fields=["contract"],
                condition=models.Q(status=KeycodeStatus.ACTIVE),
                name="keycode_one_active_per_contract",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=KeycodeStatus.REVOKED)
                | models.Q(revoked_at__isnull=False),
                name="keycode_revoked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"keycode {self.key_id}/{self.serial} ({self.status})"


# Who may see a whole keycode on a staff face (admin, API): `user.has_perm(...)` with this.
KEYCODE_REVEAL_PERMISSION = "licensing.reveal_keycode"


class RevealChannel(models.TextChoices):
    PORTAL = "portal", _("partner portal")
    ADMIN = "admin", _("admin")
    API = "api", _("API")
    CLI = "cli", _("command line")


class KeycodeReveal(models.Model):
    """One time a person saw a keycode in full (portal, admin, API or command line): who, when,
    through what. Written by `licensing.services.keycode_reveal` only; staff read it in the
    admin."""

    keycode = models.ForeignKey(
        Keycode, verbose_name=_("keycode"), on_delete=models.PROTECT, related_name="reveals"
    )
    revealed_at = models.DateTimeField(_("revealed at"))
    actor = actor_field(_("revealed to"))
    channel = models.CharField(_("through"), max_length=16, choices=RevealChannel.choices)
    partner = models.ForeignKey(
        "partners.Partner",
        verbose_name=_("partner"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("The partner the person acted for (portal reveals)."),
    )
    detail = models.CharField(
        _("detail"),
        max_length=200,
        blank=True,
        help_text=_("What else identifies the asker (the operating system user on the CLI)."),
    )

    class Meta:
        verbose_name = _("keycode reveal")
        verbose_name_plural = _("keycode reveals")
        ordering = ["-revealed_at", "-id"]
        indexes = [
            models.Index(fields=["keycode", "revealed_at"], name="keycode_reveal_by_keycode"),
        ]

    def __str__(self) -> str:
        return f"{self.keycode} revealed {self.revealed_at:%Y-%m-%d %H:%M} ({self.channel})"


class LicenceCertificate(models.Model):
    """A signed licence certificate as issued (kept for the record; the customer holds the
    token and verifies it offline)."""

    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="licence_certificates",
    )
    keycode = models.ForeignKey(
        Keycode, verbose_name=_("keycode"), on_delete=models.PROTECT, related_name="certificates"
    )
    body = models.JSONField(_("signed content"))
    token = models.TextField(_("certificate"))
    signing_key_id = models.CharField(_("signing key id"), max_length=64)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    issued_at = models.DateTimeField(_("issued at"))
    issued_by = actor_field(_("issued by"))

    class Meta:
        verbose_name = _("licence certificate")
        verbose_name_plural = _("licence certificates")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return f"certificate {self.pk} ({self.contract_id}, until {self.valid_until})"


class InstallationState(models.TextChoices):
    ACTIVE = "active", _("active")
    STALE = "stale", _("stale")
    RETIRED = "retired", _("retired")


class Installation(models.Model):
    """One machine running the product under a keycode. The hashed hardware fingerprint is its
    identity; `installation_uuid` is the id the installation made itself (a re-install makes a
    new one, the fingerprint stays)."""

    keycode = models.ForeignKey(
        Keycode,
        verbose_name=_("keycode"),
        on_delete=models.PROTECT,
        related_name="installations",
        db_index=False,  # the unique (keycode, fingerprint) constraint serves it
    )
    fingerprint = models.CharField(_("hardware fingerprint (hash)"), max_length=64)
    installation_uuid = models.UUIDField(_("installation id"))
    hostname_hash = models.CharField(_("host name (hash)"), max_length=64, blank=True)
    product_version = models.CharField(_("product version"), max_length=32, blank=True)
    state = models.CharField(
        _("state"),
        max_length=16,
        choices=InstallationState.choices,
        default=InstallationState.ACTIVE,
    )
    first_seen_on = models.DateField(_("first seen on"))
    last_seen_on = models.DateField(_("last seen on"))
    last_seen_at = models.DateTimeField(_("last seen at"))
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        verbose_name = _("installation")
        verbose_name_plural = _("installations")
        ordering = ["keycode", "fingerprint"]
        constraints = [
            models.UniqueConstraint(
                fields=["keycode", "fingerprint"], name="installation_unique_fingerprint"
            ),
        ]
        indexes = [
            # The stale sweep: active installations not seen for a while.
            models.Index(
                fields=["last_seen_on"],
                condition=models.Q(state=InstallationState.ACTIVE),
                name="installation_active_seen_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"installation {self.fingerprint[:12]}… ({self.state})"


class Heartbeat(models.Model):
    """An installation was seen on a day. One row per installation and day, so the same
    heartbeat sent twice (or twice a day) counts once."""

    # The day first: a day's heartbeats are appended at the right edge of the index instead of
    # being scattered over it by installation, which keeps the ingest's inserts cheap.
    pk = models.CompositePrimaryKey("seen_on", "installation_id")
    # Written in bulk by the ingest; installations are never deleted.
    installation = unconstrained_foreign_key(
        Installation, verbose_name=_("installation"), related_name="heartbeats"
    )
    seen_on = models.DateField(_("seen on"))
    product_version = models.CharField(_("product version"), max_length=32, blank=True)

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self) -> str:
        return f"{self.installation_id} on {self.seen_on}"


class ComplianceStatus(models.TextChoices):
    COMPLIANT = "compliant", _("compliant")
    NEAR_LIMIT = "near_limit", _("near the limit")
    UNDER_LICENSED = "under_licensed", _("under-licensed")
    HEAVILY_UNDER_LICENSED = "heavily_under_licensed", _("heavily under-licensed")


UNDER_LICENSED_STATUSES = (ComplianceStatus.UNDER_LICENSED, ComplianceStatus.HEAVILY_UNDER_LICENSED)


class ComplianceRecord(models.Model):
    """One enterprise contract on one day, written by the daily scan (`compliance.py`)."""

    # Written in bulk by the scan; contracts are never deleted.
    contract = unconstrained_foreign_key(
        Contract, verbose_name=_("contract"), related_name="compliance_records"
    )
    day = models.DateField(_("day"))
    seats = models.PositiveIntegerField(_("licensed seats"))
    active_installations = models.PositiveIntegerField(_("active installations"))
    peak_installations = models.PositiveIntegerField(_("peak in the term"))
    tolerance = models.PositiveIntegerField(_("tolerance (seats)"))
    over_since = models.DateField(_("over seats and tolerance since"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=32, choices=ComplianceStatus.choices)

    class Meta:
        verbose_name = _("compliance record")
        verbose_name_plural = _("compliance records")
        ordering = ["-day", "contract"]
        constraints = [
            models.UniqueConstraint(fields=["contract", "day"], name="compliance_one_per_day"),
        ]
        indexes = [models.Index(fields=["day", "status"], name="compliance_day_status_idx")]

    def __str__(self) -> str:
        return f"{self.contract_id} on {self.day}: {self.status}"

    @property
    def utilisation_percent(self) -> Decimal:
        return (Decimal(self.active_installations) * 100 / self.seats).quantize(Decimal("0.1"))

    @property
    def missing_seats(self) -> int:
        return max(0, self.active_installations - self.seats)


class ComplianceEpisode(models.Model):
    """One stretch of under-licensing of a contract, from the first under-licensed day until the
    first day it is not. The partner is told once per episode (`notice`)."""

    contract = models.ForeignKey(
        Contract,
        verbose_name=_("contract"),
        on_delete=models.PROTECT,
        related_name="compliance_episodes",
    )
    started_on = models.DateField(_("under-licensed since"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    seats = models.PositiveIntegerField(_("licensed seats"))
    active_installations = models.PositiveIntegerField(_("active installations at the start"))
    quote = models.JSONField(_("true-up quote at the start"), null=True, blank=True)
    notice = models.ForeignKey(
        OutboxMessage,
        verbose_name=_("notice to the partner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("under-licensing episode")
        verbose_name_plural = _("under-licensing episodes")
        ordering = ["-started_on", "contract"]
        constraints = span_history_constraints(
            prefix="compliance_episode", owner="contract", start="started_on", end="ended_on"
        )

    def __str__(self) -> str:
        return f"{self.contract_id} under-licensed since {self.started_on}"


class LicensingPolicy(models.Model):
    """The ladder of steps for an enterprise product's under-licensed contracts. Without a row,
    the defaults apply: notice and quote, no blocking. Keycode validity never depends on it: an
    under-licensed installation keeps getting protection updates."""

    product = models.OneToOneField(
        Product,
        verbose_name=_("product"),
        on_delete=models.CASCADE,
        related_name="licensing_policy",
    )
    notify_partner = models.BooleanField(_("notify the partner"), default=True)
    include_quote = models.BooleanField(_("include a true-up quote"), default=True)
    block_new_activations = models.BooleanField(
        _("block new activations"),
        default=False,
        help_text=_("Refuse activations of new machines while the contract is under-licensed."),
    )

    class Meta:
        verbose_name = _("licensing policy")
        verbose_name_plural = _("licensing policies")
        ordering = ["product"]

    def __str__(self) -> str:
        return (
            f"{self.product_id}: notice {self.notify_partner}, block {self.block_new_activations}"
        )
