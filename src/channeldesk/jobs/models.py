"""The scheduler's lease: which `channeldesk scheduler` enqueues the periodic tasks."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class SchedulerLease(models.Model):
    """One row per schedule (today only "periodic"): the scheduler holding it, until when, and
    the last minute whose periodic tasks were enqueued.

    A second scheduler started by mistake finds the lease held and stands by; it takes the
    lease over once the holder stopped renewing it. The minute guards the takeover: a minute
    already enqueued by the old holder is never enqueued again by the new one.
    """

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    holder = models.CharField(_("holder"), max_length=200, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    last_minute = models.BigIntegerField(
        _("last minute enqueued"), default=0, help_text=_("Minutes since 1970-01-01 UTC.")
    )

    class Meta:
        verbose_name = _("scheduler lease")
        verbose_name_plural = _("scheduler leases")

    def __str__(self) -> str:
        return f"{self.name}: {self.holder or '-'}"
