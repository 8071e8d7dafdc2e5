"""Writing the audit trail: `audit_record`, the one way a service records an action or a run.

Model edits of tracked models are recorded by django-auditlog on its own (tracking.py). A
service calls `audit_record` for what a model edit does not say: a named action (publishing a
policy, revealing a keycode, releasing an e-mail) or a set-based run, which gets **one** entry
with its counts however many rows it wrote (applying tiers to 1,000 partners is one entry).
The actor, the client's address and `via` come from the current origin (context.py) unless
given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any, Literal

from auditlog.context import disable_auditlog
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.db import models

from channeldesk.audit.models import AuditEntry

type Operation = Literal["create", "update", "delete", "access"]
OPERATIONS: dict[str, int] = {
    "create": AuditEntry.Action.CREATE,
    "update": AuditEntry.Action.UPDATE,
    "delete": AuditEntry.Action.DELETE,
    "access": AuditEntry.Action.ACCESS,
}


def audit_record(
    *,
    action: str,
    target: models.Model | type[models.Model],
    actor: Any = None,
    partner: models.Model | int | None = None,
    counts: Mapping[str, int] | None = None,
    changes: Mapping[str, tuple[Any, Any]] | None = None,
    details: Mapping[str, Any] | None = None,
    operation: Operation = "update",
) -> AuditEntry:
    """Record that `action` (e.g. `tiers.apply`) was done to `target` (an object, or a model
    for a run over many of its rows).

    `changes` maps a field to its (before, after) values; `counts` holds a run's figures;
    `details` anything else worth keeping (a reason, a date). `actor` is the person who asked
    (an anonymous or missing user means: whoever the current request names, else the system).
    Call it inside the service's transaction, so the entry exists exactly when the change does.
    """
    if isinstance(target, models.Model):
        model: type[models.Model] = type(target)
        object_pk = "" if target.pk is None else str(target.pk)
        object_repr = str(target)
    else:
        model, object_pk, object_repr = target, "", str(target._meta.verbose_name_plural)
    return AuditEntry.objects.create(
        kind=action,
        action=OPERATIONS[operation],
        content_type=ContentType.objects.get_for_model(model),
        object_pk=object_pk,
        object_id=int(object_pk) if object_pk.isdigit() else None,
        object_repr=object_repr[:1000],
        actor=actor_user(actor),
        partner_id=partner.pk if isinstance(partner, models.Model) else partner,
        counts=dict(counts) if counts is not None else None,
        changes=_plain({name: [before, after] for name, (before, after) in (changes or {}).items()})
        or None,
        additional_data=_plain(dict(details)) if details else None,
    )


def actor_user[U: AbstractBaseUser](actor: U | AnonymousUser | None) -> U | None:
    """The signed-in user who acted, or None for an anonymous or missing one (the system)."""
    return actor if actor is not None and actor.is_authenticated else None


def audit_quiet() -> AbstractContextManager[None]:
    """Model edits inside the block are not recorded one by one: for a service that writes
    its own entry for them (publishing, copying a draft), so each action is in the trail
    once."""
    return disable_auditlog()


def _plain(value: Any) -> Any:
    """JSON-ready: structures kept, JSON's own scalars kept, dates in ISO form, anything else
    (decimals, model rows, choices) as its text."""
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return str(value)  # a choice's value as plain text
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    return str(value)
