"""Query helpers shared by the selectors of every domain."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from django.db.models import Count, Model, QuerySet


def queryset_narrow[ModelT: Model](queryset: QuerySet[ModelT], **lookups: Any) -> QuerySet[ModelT]:
    """`queryset` filtered by the lookups that are given, the way list filters are read.

    A lookup whose value is None, an empty string or an empty collection is left out: the
    caller did not narrow by it. The others are applied together (`status__in=[...]`,
    `end_date__lte=date`, `partner__partner_number="P-1"`).
    """
    given = {lookup: value for lookup, value in lookups.items() if _given(value)}
    return queryset.filter(**given) if given else queryset


def _given(value: object) -> bool:
    if isinstance(value, Collection):  # strings too: an empty one narrows nothing
        return len(value) > 0
    return value is not None


def status_counts(rows: QuerySet[Any], *, statuses: Sequence[str]) -> dict[str, int]:
    """Rows per status, every one of `statuses` present (zero when none)."""
    counts = dict(
        rows.order_by()
        .values_list("status")
        .annotate(count=Count("id"))
        .values_list("status", "count")
    )
    return {status: counts.get(status, 0) for status in statuses}
