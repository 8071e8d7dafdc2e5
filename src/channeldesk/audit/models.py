"""The audit trail's one table: django-auditlog's log entry with what ChannelDesk adds.

django-auditlog writes an entry for every create, update and delete of a tracked model (the
before/after of each changed field in `changes`); the services write explicit entries for named
actions and set-based runs (`audit_record`), one per run with its counts. Both land here, so
one page and one filter cover the whole trail.
"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from auditlog.models import AbstractLogEntry, LogEntryManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from channeldesk.audit.context import current_origin, remote_address
from channeldesk.audit.tracking import partner_of


class AuditTrailImmutable(Exception):
    """An attempt to change or remove an audit entry: the trail is append-only."""


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    """Refuses every bulk write but insert: entries are never changed or removed through the
    ORM. (Deleting a user still sets `actor` to NULL through Django's collector, which uses the
    base manager; the entry keeps the name in `actor_label`.)"""

    def update(self, **kwargs: Any) -> NoReturn:
        raise AuditTrailImmutable("Audit entries cannot be changed.")

    def delete(self) -> NoReturn:  # type: ignore[override]
        raise AuditTrailImmutable("Audit entries cannot be deleted.")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AuditTrailImmutable("Audit entries cannot be changed.")


class AuditEntryManager(LogEntryManager.from_queryset(AuditEntryQuerySet)):  # type: ignore[misc]
    """auditlog's manager (its `log_create` fills an entry from a saved instance), adding the
    partner the instance belongs to so the trail can be filtered by partner."""

    def log_create(self, instance: models.Model, force_log: bool = False, **kwargs: Any) -> Any:
        kwargs.setdefault("partner_id", partner_of(instance))
        return super().log_create(instance, force_log=force_log, **kwargs)


ACTION_NAMES = {
    AbstractLogEntry.Action.CREATE: "create",
    AbstractLogEntry.Action.UPDATE: "update",
    AbstractLogEntry.Action.DELETE: "delete",
    AbstractLogEntry.Action.ACCESS: "access",
}


class AuditEntry(AbstractLogEntry):
    """Who changed what, when and from where; written once, never changed or removed.

    - `kind` names what happened: `<app>.<model>.<create|update|delete>` for a model edit
      recorded by auditlog, a verb such as `tiers.apply` or `keycode.reveal` for an action.
    - `partner_id` is the partner the entry concerns (no foreign key: the trail sits below the
      partner register and outlives a removed partner).
    - `counts` holds a set-based run's figures (`{"partners": 1000, "created": 12}`).
    - `actor_label` keeps the person's user name (or `system`) after the user is gone;
      `via` says how the change came in (`web`, `api`, `cli: tiers apply`, `job: tiers_sweep`).
    """

    kind = models.CharField(_("kind"), max_length=64, db_index=True)
    partner_id = models.BigIntegerField(_("partner"), null=True, blank=True, db_index=True)
    counts = models.JSONField(_("counts"), null=True, blank=True)
    actor_label = models.CharField(_("actor"), max_length=150, blank=True)
    via = models.CharField(_("via"), max_length=100, blank=True)

    objects: ClassVar[AuditEntryManager] = AuditEntryManager()
    # auditlog's fields, typed for mypy (auditlog ships no annotations).
    remote_addr: str | None
    actor_email: str | None

    class Meta(AbstractLogEntry.Meta):
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-timestamp", "-pk"]
        indexes = [
            models.Index(fields=["partner_id", "-timestamp"], name="audit_entry_partner_time"),
            models.Index(fields=["kind", "-timestamp"], name="audit_entry_kind_time"),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert only: fill in who and from where, then write; a second save is refused."""
        if not self._state.adding:
            raise AuditTrailImmutable("Audit entries cannot be changed.")
        self._origin_fill()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        raise AuditTrailImmutable("Audit entries cannot be deleted.")

    def _origin_fill(self) -> None:
        """The actor, the address and `via` from the current origin, where not given; the kind
        of a model edit from its model and action."""
        origin = current_origin()
        request = origin.request
        user = getattr(request, "user", None) if request is not None else origin.actor
        if self.actor_id is None and user is not None and user.is_authenticated:
            self.actor = user
        if request is not None and self.remote_addr is None:
            self.remote_addr = remote_address(request)
        if self.actor is not None:
            self.actor_email = self.actor_email or getattr(self.actor, "email", None)
            self.actor_label = self.actor_label or self.actor.get_username()
        self.actor_label = self.actor_label or "system"
        self.via = self.via or origin.via
        if not self.kind:
            content_type = self.content_type
            self.kind = f"{content_type.app_label}.{content_type.model}." + ACTION_NAMES.get(
                self.action, str(self.action)
            )
