"""Reads of the reminder flow: lists for staff, a reminder's history, a day's letters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet

from channeldesk.contracts.models import Reminder, ReminderStatus
from channeldesk.core.errors import NotFound
from channeldesk.core.querysets import queryset_narrow, status_counts
from channeldesk.documents.models import Document


class ReminderNotFound(NotFound):
    """No reminder has the given id."""

    code = "reminder_not_found"


@dataclass(frozen=True)
class HistoryEntry:
    """One line of a reminder's history."""

    at: dt.datetime
    kind: str
    detail: str
    worker: str = ""
    by: str = ""


def reminders_list(
    *,
    statuses: Sequence[str] = (),
    contract_number: str | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    limit: int = 100,
) -> list[Reminder]:
    """Reminders by due date (soonest first), optionally narrowed; `due_to` is inclusive."""
    unknown = set(statuses) - set(ReminderStatus.values)
    if unknown:
        raise ValueError(f"Unknown status(es): {', '.join(sorted(unknown))}.")
    reminders: QuerySet[Reminder] = Reminder.objects.select_related(
        "contract", "rule", "partner"
    ).order_by("due_on", "id")
    reminders = queryset_narrow(
        reminders,
        status__in=statuses,
        contract__contract_number=contract_number,
        due_on__gte=due_from,
        due_on__lte=due_to,
    )
    return list(reminders[:limit])


def reminder_get(*, pk: int) -> Reminder:
    try:
        return Reminder.objects.select_related(
            "contract", "rule", "partner", "document", "message"
        ).get(pk=pk)
    except Reminder.DoesNotExist:
        raise ReminderNotFound(f"There is no reminder {pk}.") from None


def reminder_history(*, reminder: Reminder) -> list[HistoryEntry]:
    """Everything that happened to a reminder, oldest first: planned (the row's creation, which
    is not an event so that planning millions of rows writes each row once), then its events."""
    planned = HistoryEntry(
        at=reminder.created_at,
        kind="planned",
        detail=(
            f"{reminder.offset_days:+d} days from the end date {reminder.contract_end_date}: "
            f"due on {reminder.due_on}."
        ),
    )
    events = reminder.events.select_related("actor").order_by("at", "id")
    return [
        planned,
        *(
            HistoryEntry(
                at=event.at,
                kind=event.kind,
                detail=event.detail,
                worker=event.worker,
                by=event.actor.get_username() if event.actor else "",
            )
            for event in events
        ),
    ]


def reminder_letters_sent_on(*, day: dt.date) -> QuerySet[Document]:
    """The letters of the reminders sent on `day`: the mailing house's print batch.

    Chosen by the reminder, not by when the document was stored: a letter whose dispatcher
    died goes to review and is printed only when staff release it (on the day it is then sent),
    never because its PDF happened to be archived.
    """
    sent = Reminder.objects.filter(
        sent_on=day, status=ReminderStatus.SENT, document__isnull=False
    ).values("document_id")
    return Document.objects.filter(pk__in=sent).order_by("created_at", "id")


def reminder_counts() -> dict[str, int]:
    """Reminders per status, every status present (zero when none)."""
    return status_counts(Reminder.objects.all(), statuses=ReminderStatus.values)
