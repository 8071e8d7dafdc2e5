"""The delivery engine's protocol: rows claimed under a lease, sent at most once, settled.

Everything ChannelDesk sends to a person (outbox e-mails, renewal reminders, tier notices) is a
row of its own table that goes through the same steps; this module holds what they share, the
tables and their histories stay with their domains (docs/delivery.md):

1. **Claim** (`leases_claim`): due rows are marked claimed by one worker under a lease, in one
   short transaction: `UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED) RETURNING *` on
   PostgreSQL, a locked SELECT and an UPDATE on SQLite (one writer at a time). Rows another
   worker is claiming are skipped, not waited for.
2. **Send**: the kind's own step, re-checking the row at send time; a worker starts no send in
   the second half of its lease (`Lease.deadline`) and returns the rest (`leases_return`).
3. **Expire** (`leases_expired`): rows whose lease ran out belong to a worker that died or hung.
   Claimed ones were never attempted and go back to the queue; ones left `sending` may have
   arrived and go to review, for staff to release or dismiss (`review.Reviewable`).

It lives in `notifications`, not in `core`: the two are independent siblings at the bottom
layer (import-linter refuses `notifications` → `core`), and the outbox is its first user.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext_lazy as _

# What a row looks like once no worker holds it.
CLAIM_CLEARED: dict[str, Any] = {"claim_token": None, "claimed_by": "", "lease_expires_at": None}


class LeaseMixin(models.Model):
    """The columns of a row a worker holds under a lease.

    `claim_token` identifies one claim (every guarded write of the worker names it),
    `claimed_by` the worker (host:pid) for the history, `lease_expires_at` when the claim is
    taken for dead, `attempts` how often the row was handed over. They stay on a row in review,
    so that a worker that was only slow can still report what happened.
    """

    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    claim_token = models.UUIDField(_("claim token"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires at"), null=True, blank=True)

    class Meta:
        abstract = True


@dataclass(frozen=True)
class DispatchResult:
    """What one run of a sender did; one type for every kind, each reports the counts it has.

    `unknown` went to review because of how its own send ended, `expired` because another
    worker's lease ran out while sending (`review` is both); `returned` were claimed and never
    attempted; `dismissed` were found moot by a send-time check, `cancelled` and `missed` by
    the re-check of a planned message; `late` were sent after their due date (they count in
    `sent` too); `deferred` wait for another message and stay planned.
    """

    claimed: int = 0
    sent: int = 0
    late: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    missed: int = 0
    deferred: int = 0
    unknown: int = 0
    expired: int = 0
    returned: int = 0
    dismissed: int = 0

    def __add__(self, other: DispatchResult) -> DispatchResult:
        return DispatchResult(
            **{
                field.name: getattr(self, field.name) + getattr(other, field.name)
                for field in fields(self)
            }
        )

    @property
    def review(self) -> int:
        return self.unknown + self.expired

    @property
    def did_something(self) -> bool:
        return any(getattr(self, field.name) for field in fields(self))

    def document(self, names: Sequence[str]) -> dict[str, int]:
        """The counts a kind reports, by name and in its order (for JSON and the CLI)."""
        return {name: getattr(self, name) for name in names}


@dataclass(frozen=True)
class Lease:
    """One claim: its token, the worker holding it, and the monotonic time after which the
    worker starts no send (half the lease, so that no send runs into the lease's end)."""

    token: uuid.UUID
    worker: str
    deadline: float


def default_worker() -> str:
    """Host and process id: enough for staff to tell which worker held a row."""
    return f"{socket.gethostname()}:{os.getpid()}"


def lease_start(*, worker: str, length: dt.timedelta) -> Lease:
    """A new claim for `worker`, with its deadline half the lease `length` from now."""
    return Lease(uuid.uuid4(), worker, time.monotonic() + length.total_seconds() / 2)


def leases_claim[M: LeaseMixin](
    *,
    due: QuerySet[M],
    limit: int,
    lease: Lease,
    lease_end: dt.datetime,
    status: str,
    **changes: Any,
) -> list[M]:
    """Claim up to `limit` rows of `due` (filtered, ordered by ascending fields) for `lease`:
    mark them `status` under the lease ending at `lease_end` (plus `changes`), committed at once.

    Returns the claimed rows in `due`'s order, as they are now.
    """
    held = {
        "status": status,
        "claim_token": lease.token,
        "claimed_by": lease.worker,
        "lease_expires_at": lease_end,
        **changes,
    }
    if connection.vendor == "postgresql":
        return _claim_in_one_statement(due, limit=limit, held=held)
    with transaction.atomic():
        rows = list(due.select_for_update(skip_locked=True)[:limit])
        due.model._default_manager.filter(pk__in=[row.pk for row in rows]).update(**held)
    for row in rows:
        for name, value in held.items():
            setattr(row, name, value)
    return rows


def _claim_in_one_statement[M: LeaseMixin](
    due: QuerySet[M], *, limit: int, held: dict[str, Any]
) -> list[M]:
    """The queue idiom of PostgreSQL: lock the due rows nobody else is claiming, mark them and
    read them back, in one statement (one round trip instead of BEGIN, SELECT, UPDATE, COMMIT)."""
    model = due.model
    quote = connection.ops.quote_name
    select, select_parameters = due.values("pk")[:limit].query.sql_with_params()
    columns = {name: model._meta.get_field(name) for name in held}
    assignments = ", ".join(
        f"{quote(str(field.column))} = %s"  # type: ignore[union-attr]
        for field in columns.values()
    )
    # Only quoted names and Django's own compiled SQL are formatted in; values are parameters.
    sql = (
        f"UPDATE {quote(str(model._meta.db_table))} SET {assignments} "  # noqa: S608
        f"WHERE {quote(str(model._meta.pk.column))} IN ({select} FOR UPDATE SKIP LOCKED) "
        "RETURNING *"
    )
    values = [
        columns[name].get_db_prep_save(value, connection)  # type: ignore[union-attr]
        for name, value in held.items()
    ]
    claimed = {
        row.pk: row for row in model._default_manager.raw(sql, [*values, *select_parameters])
    }
    return _in_order(due, claimed)


def _in_order[M: LeaseMixin](due: QuerySet[M], claimed: dict[Any, M]) -> list[M]:
    """The claimed rows sorted as `due` orders them (ascending fields; RETURNING has no order)."""
    names = [str(name) for name in due.query.order_by or ("pk",)]
    return sorted(claimed.values(), key=lambda row: tuple(getattr(row, name) for name in names))


def leases_expired[M: LeaseMixin](
    *, model: type[M], held_statuses: Collection[str], now: dt.datetime, only: Sequence[str] = ()
) -> list[M]:
    """The held rows whose lease ran out before `now`, locked (skipping rows another worker is
    settling right now); the caller settles them in its transaction."""
    expired = model._default_manager.select_for_update(skip_locked=True).filter(
        status__in=list(held_statuses), lease_expires_at__lt=now
    )
    if only:
        expired = expired.only(*only)
    return list(expired.order_by("pk"))


def leases_held[M: LeaseMixin](
    *, model: type[M], lease: Lease, rows: Sequence[M], statuses: Collection[str]
) -> QuerySet[M]:
    """The given rows that `lease` still holds in one of `statuses`."""
    return model._default_manager.filter(
        pk__in=[row.pk for row in rows], claim_token=lease.token, status__in=list(statuses)
    )


def leases_mark_sending[M: LeaseMixin](
    *, model: type[M], lease: Lease, window: list[M], claimed_status: str, sending_status: str
) -> list[M]:
    """Claimed → sending, `attempts` + 1, for the rows of `window` that `lease` still holds;
    returns those rows (updated in memory too), the only ones the caller may now send."""
    if not window:
        return window
    marked = leases_held(model=model, lease=lease, rows=window, statuses=(claimed_status,)).update(
        status=sending_status, attempts=F("attempts") + 1
    )
    if marked < len(window):
        still = set(
            leases_held(
                model=model, lease=lease, rows=window, statuses=(sending_status,)
            ).values_list("pk", flat=True)
        )
        window = [row for row in window if row.pk in still]
    for row in window:
        row.status = sending_status  # type: ignore[attr-defined]
        row.attempts += 1
    return window


def leases_return[M: LeaseMixin](
    *, model: type[M], lease: Lease, rows: Sequence[M], claimed_status: str, only: Sequence[str]
) -> list[M]:
    """The rows of `rows` still claimed (never attempted) by `lease`, locked, for the caller
    to put back in the queue with its history entry (it runs in the caller's transaction)."""
    if not rows:
        return []
    held = leases_held(model=model, lease=lease, rows=rows, statuses=(claimed_status,))
    return list(held.select_for_update().only(*only))
