"""Moving reminders between states together with the event that records why.

Every change after planning writes a `ReminderEvent` in the same transaction as the change, so
the history never says something that did not happen. Callers lock the rows first (planning
and the dispatcher do), so the guarded UPDATE here changes exactly the rows they read.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Sequence

from channeldesk.audit.services import actor_user
from channeldesk.contracts.models import (
    Reminder,
    ReminderEvent,
    ReminderEventKind,
    ReminderStatus,
)
from channeldesk.notifications.leases import CLAIM_CLEARED
from channeldesk.notifications.review import Actor

BATCH = 1000


def events_add(
    rows: Iterable[tuple[int, str, str]],
    *,
    at: dt.datetime,
    worker: str = "",
    actor: Actor = None,
) -> None:
    """Store events given as (reminder id, kind, detail)."""
    ReminderEvent.objects.bulk_create(
        (
            ReminderEvent(
                reminder_id=reminder_id,
                kind=kind,
                at=at,
                worker=worker,
                detail=detail,
                actor=actor_user(actor),
            )
            for reminder_id, kind, detail in rows
        ),
        batch_size=BATCH,
    )


def reminders_close(
    *,
    rows: Sequence[tuple[int, str]],
    status: ReminderStatus,
    kind: ReminderEventKind,
    reason: str,
    at: dt.datetime,
    from_statuses: Sequence[str] = (ReminderStatus.PLANNED,),
    worker: str = "",
    actor: Actor = None,
) -> int:
    """Move the reminders given as (id, detail) to `status` with a short `reason`; each gets an
    event with its own detail. Returns how many moved.

    The UPDATE is guarded by `from_statuses`; the caller has locked the rows, so it moves all of
    them and the events match.
    """
    moved = 0
    for batch in itertools.batched(rows, BATCH):
        moved += Reminder.objects.filter(
            pk__in=[reminder_id for reminder_id, _ in batch], status__in=from_statuses
        ).update(status=status, reason=reason[:300], updated_at=at, **CLAIM_CLEARED)
    events_add(
        ((reminder_id, kind, detail) for reminder_id, detail in rows),
        at=at,
        worker=worker,
        actor=actor,
    )
    return moved
