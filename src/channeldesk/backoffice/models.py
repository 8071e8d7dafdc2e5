"""Runs of the programme tools started from the back office, with their progress and result."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.core.fields import actor_field
from channeldesk.tiers.models import TierPolicy


class RunKind(models.TextChoices):
    SIMULATE = "simulate", _("simulation")
    CALIBRATE = "calibrate", _("calibration")
    APPLY = "apply", _("application of the programme")
    NOTICES = "notices", _("tier notices")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    RUNNING = "running", _("running")
    DONE = "done", _("done")
    FAILED = "failed", _("failed")


class ProgrammeRun(models.Model):
    """One simulation, calibration, application or notice run a channel manager started from
    the dashboard.

    The work runs outside the request (a background thread); the page polls this row for
    `progress` and `step`, and shows `result` (the same JSON document the CLI and the API give)
    when it is done. A calibration saves a new draft version, named in `draft`.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=RunKind.choices)
    policy = models.ForeignKey(
        TierPolicy, verbose_name=_("policy"), on_delete=models.CASCADE, related_name="+"
    )
    as_of = models.DateField(_("as of"))
    targets = models.JSONField(_("targets"), default=dict, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    step = models.CharField(_("step"), max_length=100, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    draft = models.ForeignKey(
        TierPolicy,
        verbose_name=_("draft saved"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    started_by = actor_field(_("started by"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("programme run")
        verbose_name_plural = _("programme runs")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["policy", "kind", "-created_at"], name="run_policy_kind_idx")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.policy_id} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)
