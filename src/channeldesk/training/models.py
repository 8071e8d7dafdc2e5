"""Courses of the outside training company, the partners' participants and their enrollments
(R7).

The training company delivers the courses and reports each participant's booking, attendance or
no-show; an `Enrollment` is one such record, keyed by the training company's own record id, so
the same record sent twice is stored once and a later record with the same id corrects it.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.core.models import NamedInTwoLanguages
from channeldesk.partners.models import Partner


class Course(NamedInTwoLanguages):
    """A course of the training company and the tiers it qualifies for."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name_de = models.CharField(_("name (German)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    duration_days = models.DecimalField(
        _("duration (days)"), max_digits=4, decimal_places=1, help_text=_("e.g. 2 or 0.5")
    )
    provider = models.CharField(_("provider"), max_length=200)
    qualifying_tiers = models.JSONField(
        _("qualifies for tiers"),
        default=list,
        blank=True,
        help_text=_('Tier codes, e.g. ["gold", "silver"]: a completion counts for these tiers.'),
    )
    validity_months = models.PositiveSmallIntegerField(
        _("valid for (months)"), default=24, help_text=_("How long a completion stays valid.")
    )
    is_active = models.BooleanField(_("bookable"), default=True)

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_en}"


class Participant(models.Model):
    """A person of a partner who books courses, known by e-mail address within the partner."""

    partner = models.ForeignKey(
        Partner,
        verbose_name=_("partner"),
        on_delete=models.CASCADE,
        related_name="training_participants",
    )
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("e-mail"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        ordering = ["partner", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "email"], name="training_participant_unique_email_per_partner"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class EnrollmentStatus(models.TextChoices):
    BOOKED = "booked", _("booked")
    COMPLETED = "completed", _("completed")
    NO_SHOW = "no_show", _("no-show")
    CANCELLED = "cancelled", _("cancelled")


class Enrollment(models.Model):
    """One participant in one course session: booked, completed, a no-show or cancelled.

    Only a completion counts for the tiers, from the session date until `valid_until`
    (exclusive: the session date plus the course's validity months). A booking counts only under
    the grace period (`TRAINING_GRACE_DAYS`), for a partner already holding the tier.
    """

    record_id = models.CharField(
        _("record id"),
        max_length=64,
        unique=True,
        help_text=_(
            "The training company's id of this record; the same id sent again corrects it."
        ),
    )
    partner = models.ForeignKey(
        Partner, verbose_name=_("partner"), on_delete=models.CASCADE, related_name="enrollments"
    )
    participant = models.ForeignKey(
        Participant,
        verbose_name=_("participant"),
        on_delete=models.CASCADE,
        related_name="enrollments",
    )
    course = models.ForeignKey(
        Course, verbose_name=_("course"), on_delete=models.PROTECT, related_name="enrollments"
    )
    session_date = models.DateField(_("session date"))
    status = models.CharField(_("status"), max_length=16, choices=EnrollmentStatus.choices)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    expiry_notified_on = models.DateField(_("expiry notice sent on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("enrollment")
        verbose_name_plural = _("enrollments")
        ordering = ["partner", "-session_date"]
        indexes = [
            models.Index(
                fields=["course", "status", "valid_until"], name="training_enrollment_valid_idx"
            ),
            models.Index(fields=["status", "valid_until"], name="training_enrollment_expiry_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.record_id}: {self.course_id} {self.session_date} ({self.status})"
