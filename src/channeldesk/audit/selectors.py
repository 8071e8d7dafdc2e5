"""Reading the audit trail: the filtered, newest-first list behind the back-office page."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import timezone

from channeldesk.audit.models import AuditEntry


@dataclass(frozen=True)
class AuditFilters:
    """What the reader narrows the trail to; every field is optional. `since` and `until` are
    business days (Europe/Berlin), both included."""

    partner_id: int | None = None
    actor: str = ""
    kind: str = ""
    since: dt.date | None = None
    until: dt.date | None = None


def audit_entries(*, filters: AuditFilters) -> QuerySet[AuditEntry]:
    """Entries matching `filters`, newest first. The actor is matched by the user name kept in
    the entry (so a removed user's entries are still found, and `system` finds the jobs')."""
    entries = AuditEntry.objects.select_related("content_type", "actor")
    if filters.partner_id is not None:
        entries = entries.filter(partner_id=filters.partner_id)
    if filters.actor:
        entries = entries.filter(actor_label__iexact=filters.actor)
    if filters.kind:
        entries = entries.filter(kind=filters.kind)
    if filters.since is not None:
        entries = entries.filter(timestamp__gte=_day_start(filters.since))
    if filters.until is not None:
        entries = entries.filter(timestamp__lt=_day_start(filters.until + dt.timedelta(days=1)))
    return entries.order_by("-timestamp", "-pk")


def audit_kinds() -> list[str]:
    """Every kind the trail holds, for the filter's choices."""
    return sorted(AuditEntry.objects.order_by().values_list("kind", flat=True).distinct())


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the business time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))
