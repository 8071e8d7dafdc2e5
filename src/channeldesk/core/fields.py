"""Field and constraint declarations that mean the same in every domain, written once.

Each factory returns a fresh field whose `deconstruct()` is exactly what the spelled-out
declaration gave, so using one changes no migration. The field keeps its place among the
model's fields (it is created where the factory is called), unlike a field of an abstract base.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import models

if TYPE_CHECKING:
    from django.utils.functional import _StrPromise  # django-stubs: what gettext_lazy returns


def actor_field(verbose_name: str | _StrPromise) -> models.ForeignKey[Any, Any]:
    """The person who did something (issued, created, started, wrote it), if any.

    Optional, because machines, commands and imports act too; kept when the user is deleted
    (the row stays, the name goes); and no reverse accessor on the user, who is the actor of
    rows in every domain.
    """
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=verbose_name,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )


def unconstrained_foreign_key[M: models.Model](
    to: type[M], *, verbose_name: str | _StrPromise, related_name: str
) -> models.ForeignKey[M, M]:
    """A reference from a table written in bulk to rows that are never deleted.

    PROTECT in the ORM, but no database constraint: a check per inserted row (a lookup and a
    lock on the referenced row) would cost the bulk writer more than it guards. No index of its
    own either: where lookups by it are needed, a composite constraint or index of the model
    serves them. The model says at the field why its writer may do without the constraint.
    """
    return models.ForeignKey(
        to,
        verbose_name=verbose_name,
        on_delete=models.PROTECT,
        related_name=related_name,
        db_index=False,
        db_constraint=False,
    )


def span_history_constraints(
    *, prefix: str, owner: str, start: str = "valid_from", end: str = "valid_to"
) -> list[models.BaseConstraint]:
    """The rules of a history of spans (`start <= day < end`, `end` null while open) per owner.

    One span per owner and start day (`<prefix>_unique_start`), and at most one open span per
    owner (`<prefix>_one_open_per_<owner>`): the open one is the span in force now.
    """
    return [
        models.UniqueConstraint(fields=[owner, start], name=f"{prefix}_unique_start"),
        models.UniqueConstraint(
            fields=[owner],
            condition=models.Q(**{f"{end}__isnull": True}),
            name=f"{prefix}_one_open_per_{owner}",
        ),
    ]
