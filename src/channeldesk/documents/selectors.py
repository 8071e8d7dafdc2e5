"""Reads of the documents archive."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from channeldesk.documents.models import Document


def documents_created_on(*, day: dt.date, kind: str | None = None) -> QuerySet[Document]:
    """The documents stored on a business day, oldest first: what goes into that day's batch.

    The day runs from midnight to midnight in the business time zone (Europe/Berlin), so a
    letter stored at 00:30 in the night belongs to the day the mailing house sees on it.
    """
    zone = timezone.get_default_timezone()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    documents = Document.objects.filter(created_at__gte=start, created_at__lt=end)
    if kind is not None:
        documents = documents.filter(kind=kind)
    return documents.order_by("created_at", "id")
