"""Tier policies (versioned data, not code), the partners' tier history (R2–R6), each tier's
support hotline (R8, R9) and the notices of tier changes."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.core.fields import actor_field, span_history_constraints
from channeldesk.core.models import NamedInTwoLanguages
from channeldesk.core.periods import PeriodKind
from channeldesk.documents.models import Document
from channeldesk.notifications.leases import LeaseMixin
from channeldesk.partners.models import Partner


def validate_e164(value: str) -> None:
    """A valid telephone number written in E.164 (`+498912345670`), checked with phonenumbers."""
    import phonenumbers  # noqa: PLC0415 - loaded at the first check, not at every start

    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) != value
    ):
        raise ValidationError(
            _("%(value)s is not a valid telephone number in E.164 form (e.g. +4989123456780)."),
            code="invalid_e164",
            params={"value": value},
        )


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class TierPolicy(NamedInTwoLanguages):
    """One version of a tier programme: tiers, their criteria and discounts, and when it applies.

    A policy is addressed by `code` (its latest version) or `code@version`. Drafts may be edited,
    previewed and calibrated; a published policy is never edited, only superseded by a newer
    version or another policy with a later effective date.
    """

    code = models.SlugField(_("code"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
    # The programme's name as partners and staff read it; `name` stays the internal working
    # title and the fallback while a language's name is empty.
    name_de = models.CharField(_("name (German)"), max_length=200, blank=True)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=PolicyStatus.choices, default=PolicyStatus.DRAFT
    )
    effective_from = models.DateField(_("effective from"), null=True, blank=True)
    evaluation_period = models.CharField(
        _("evaluation period"),
        max_length=16,
        choices=[(kind.value, kind.value) for kind in PeriodKind],
        default=PeriodKind.HALF_YEAR,
    )
    is_open_for_feedback = models.BooleanField(_("open for partner feedback"), default=False)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="derived",
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier policy")
        verbose_name_plural = _("tier policies")
        ordering = ["code", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["code", "version"], name="tier_policy_unique_version")
        ]

    def __str__(self) -> str:
        return f"{self.code}@{self.version} ({self.status})"

    @property
    def reference(self) -> str:
        return f"{self.code}@{self.version}"

    def name_for(self, language: str) -> str:
        """The programme's name in `language` ("de…" or any other: English), else `name`."""
        return super().name_for(language) or self.name

    def title_for(self, language: str) -> str:
        """The name as pages show it: `Partnerprogramm 2027 (Version 2)` from version 2 on,
        never `code@version`."""
        name = self.name_for(language)
        if self.version > 1:
            return str(
                _("%(name)s (version %(version)s)") % {"name": name, "version": self.version}
            )
        return name

    @property
    def is_published(self) -> bool:
        return self.status == PolicyStatus.PUBLISHED


class Tier(NamedInTwoLanguages):
    """A tier of a policy. Higher `rank` is the better tier; the lowest rank is the entry tier
    that every authorised partner gets at least (R4)."""

    policy = models.ForeignKey(TierPolicy, on_delete=models.CASCADE, related_name="tiers")
    code = models.SlugField(_("code"), max_length=50)
    rank = models.PositiveSmallIntegerField(_("rank"))
    name_de = models.CharField(_("name (German)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)
    discount_percent = models.DecimalField(_("discount %"), max_digits=5, decimal_places=2)
    target_min = models.PositiveIntegerField(_("target count from"), null=True, blank=True)
    target_max = models.PositiveIntegerField(_("target count to"), null=True, blank=True)
    hotline_phone = models.CharField(
        _("support hotline"),
        max_length=20,
        blank=True,
        validators=[validate_e164],
        help_text=_("E.164, e.g. +4989123456780."),
    )
    hotline_hours_de = models.CharField(_("opening hours (German)"), max_length=200, blank=True)
    hotline_hours_en = models.CharField(_("opening hours (English)"), max_length=200, blank=True)
    callback_minutes = models.PositiveIntegerField(
        _("call-back time (minutes)"),
        null=True,
        blank=True,
        help_text=_("Service level: the longest time until a partner is called back."),
    )
    support_priority = models.PositiveSmallIntegerField(
        _("support priority"),
        default=3,
        help_text=_("1 is the highest; the phone system queues calls by it."),
    )

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["policy", "-rank"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "code"], name="tier_unique_code_per_policy"),
            models.UniqueConstraint(fields=["policy", "rank"], name="tier_unique_rank_per_policy"),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.policy.reference})"


class TierCriterion(models.Model):
    """One condition a partner must meet for a tier. `kind` names an entry of the criteria
    registry (`channeldesk.tiers.criteria.KINDS`); `threshold` and `parameters` configure it."""

    tier = models.ForeignKey(Tier, on_delete=models.CASCADE, related_name="criteria")
    kind = models.CharField(_("kind"), max_length=50)
    threshold = models.DecimalField(
        _("threshold"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    is_calibrated = models.BooleanField(
        _("calibrated"), default=False, help_text=_("Calibration may move this threshold.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("tier criterion")
        verbose_name_plural = _("tier criteria")
        ordering = ["tier", "position", "id"]

    def __str__(self) -> str:
        return f"{self.tier.code}: {self.kind} {self.threshold} {self.parameters}"


class AssignmentSource(models.TextChoices):
    INITIAL = "initial", _("initial status")
    EVALUATION = "evaluation", _("evaluation")
    OVERRIDE = "override", _("manual override")


class TierAssignment(models.Model):
    """A partner's tier over a span of dates: valid_from <= day < valid_to (open when null).

    The history is never deleted; a change closes the current row and opens a new one.
    """

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="tier_assignments",
    )
    policy = models.ForeignKey(
        TierPolicy, verbose_name=_("policy"), on_delete=models.PROTECT, related_name="assignments"
    )
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), on_delete=models.PROTECT, related_name="assignments"
    )
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=AssignmentSource.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = actor_field(_("created by"))

    class Meta:
        verbose_name = _("tier assignment")
        verbose_name_plural = _("tier assignments")
        ordering = ["partner", "-valid_from"]
        constraints = span_history_constraints(prefix="tier_assignment", owner="partner")

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.tier.code} from {self.valid_from}"


class TierOverride(models.Model):
    """A manual tier decision by vendor staff. It wins over the evaluation until it expires
    (`valid_until`, exclusive) or is revoked."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="tier_overrides")
    tier_code = models.SlugField(_("tier"), max_length=50)
    reason = models.TextField(_("reason"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = actor_field(_("created by"))

    class Meta:
        verbose_name = _("tier override")
        verbose_name_plural = _("tier overrides")
        ordering = ["partner", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.tier_code} ({self.reason[:30]})"


class NoticeStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    CLAIMED = "claimed", _("claimed by a dispatcher")
    SENDING = "sending", _("letter being stored")
    SENT = "sent", _("sent")
    CANCELLED = "cancelled", _("cancelled")
    REVIEW = "review", _("outcome unknown, needs review")


# A dispatcher holds these under a lease.
HELD_NOTICE_STATUSES = (NoticeStatus.CLAIMED, NoticeStatus.SENDING)


class NoticeDirection(models.TextChoices):
    UP = "up", _("up")
    DOWN = "down", _("down")
    UNCHANGED = "unchanged", _("same tier, new terms")
    HELD_BACK = "held_back", _("held back")


class TierNotice(LeaseMixin):
    """The notice of one tier change to the partner: an e-mail and a DIN 5008 letter.

    Planned in the same transaction as the assignment it announces, sent on `send_on` (the
    notice period before the effective date, or at once) by the delivery engine: claimed under
    a lease, sent at most once, and left in review when its dispatcher died while sending
    (docs/delivery.md). One notice per change: the unique constraint on partner, effective date
    and new tier makes a repeated apply a no-op.
    """

    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="tier_notices"
    )
    assignment = models.ForeignKey(
        TierAssignment,
        verbose_name=_("assignment"),
        on_delete=models.CASCADE,
        related_name="notices",
    )
    previous_tier = models.ForeignKey(
        Tier, verbose_name=_("previous tier"), on_delete=models.PROTECT, related_name="+"
    )
    tier = models.ForeignKey(
        Tier, verbose_name=_("tier"), on_delete=models.PROTECT, related_name="+"
    )
    effective_from = models.DateField(_("effective from"))
    direction = models.CharField(_("direction"), max_length=16, choices=NoticeDirection.choices)
    missing = models.JSONField(
        _("what would bring the tier up"),
        default=list,
        blank=True,
        help_text=_("The criteria of the better tier that did not hold."),
    )
    send_on = models.DateField(_("send on"))
    status = models.CharField(
        _("status"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.PLANNED
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    document = models.ForeignKey(
        Document,
        verbose_name=_("letter"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    email_key = models.CharField(_("e-mail (outbox key)"), max_length=200, blank=True)
    decision = models.TextField(
        _("decision"),
        blank=True,
        help_text=_("Why the notice went to review, or what staff decided about it."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tier notice")
        verbose_name_plural = _("tier notices")
        ordering = ["-effective_from", "partner"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "effective_from", "tier"], name="tier_notice_once_per_change"
            )
        ]
        indexes = [
            models.Index(fields=["status", "send_on"], name="tier_notice_due_idx"),
            models.Index(
                fields=["lease_expires_at"],
                condition=models.Q(status__in=HELD_NOTICE_STATUSES),
                name="tier_notice_held_idx",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.partner_id}: {self.previous_tier_id} → {self.tier_id} ({self.effective_from})"
        )

    @property
    def key(self) -> str:
        return f"tier-notice:{self.pk}"


class CallerNumber(models.Model):
    """A telephone number of a partner (its own or a contact's) in E.164, for routing calls.

    The register keeps numbers as typed (`089 2345678`, `+49 89 2345678`); the phone system
    sends E.164. `hotlines.caller_numbers_refresh` normalises every number into this indexed
    table (daily, and after the demo load), so a call is routed with one index lookup.
    """

    number = models.CharField(_("number"), max_length=20, db_index=True)
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="+"
    )
    is_contact = models.BooleanField(_("a contact's number"), default=False)

    class Meta:
        verbose_name = _("caller number")
        verbose_name_plural = _("caller numbers")
        ordering = ["number", "is_contact", "partner"]
        constraints = [
            models.UniqueConstraint(
                fields=["number", "partner"], name="caller_number_unique_per_partner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.number} → {self.partner_id}"
