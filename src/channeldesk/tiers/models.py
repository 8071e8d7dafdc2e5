"""Tier policies (versioned data, not code) and the partners' tier history (R2–R6)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.core.periods import PeriodKind
from channeldesk.partners.models import Partner


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    PUBLISHED = "published", _("published")


class TierPolicy(models.Model):
    """One version of a tier programme: tiers, their criteria and discounts, and when it applies.

    A policy is addressed by `code` (its latest version) or `code@version`. Drafts may be edited,
    previewed and calibrated; a published policy is never edited, only superseded by a newer
    version or another policy with a later effective date.
    """

    code = models.SlugField(_("code"), max_length=50)
    version = models.PositiveIntegerField(_("version"), default=1)
    name = models.CharField(_("name"), max_length=200)
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

    @property
    def is_published(self) -> bool:
        return self.status == PolicyStatus.PUBLISHED


class Tier(models.Model):
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

    def name_for(self, language: str) -> str:
        return self.name_de if language.startswith("de") else self.name_en


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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("tier assignment")
        verbose_name_plural = _("tier assignments")
        ordering = ["partner", "-valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "valid_from"], name="tier_assignment_unique_start"
            ),
            models.UniqueConstraint(
                fields=["partner"],
                condition=models.Q(valid_to__isnull=True),
                name="tier_assignment_one_open_per_partner",
            ),
        ]

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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("tier override")
        verbose_name_plural = _("tier overrides")
        ordering = ["partner", "-valid_from"]

    def __str__(self) -> str:
        return f"{self.partner_id}: {self.tier_code} ({self.reason[:30]})"
