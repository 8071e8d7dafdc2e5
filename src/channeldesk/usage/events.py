"""Usage events as the platforms send them: the typed input, and parsing it from JSON or CSV.

Parsing checks the form of one item (fields, types, lengths, an aware ISO 8601 instant); whether
the subscription exists, may be sent by this sender and was in force is the ingest service's
business. A bad item becomes a `Rejection` with a reason code and a sentence, never an exception,
so one bad item in a batch of 10,000 costs that item only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from django.utils.translation import gettext as _

from channeldesk.usage.models import EventKind

MAX_EVENT_ID = 100
MAX_KEY = 64
MAX_USER_KEY = 128
MAX_SERVICE = 64
FIELDS = (
    "event_id",
    "subscription_key",
    "user_key",
    "service",
    "occurred_at",
    "quantity",
    "kind",
    "target_event_id",
)
_KINDS = frozenset(EventKind.values)
# The instants an event may carry. Comparing aware datetimes converts to UTC, which can overflow
# at the ends of the calendar (0001-01-01T00:00:00+14:00); these bounds keep every event
# convertible into any time zone, and no real usage lies outside them.
MIN_OCCURRED_AT = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
MAX_OCCURRED_AT = dt.datetime(9998, 12, 31, tzinfo=dt.UTC)


# Not frozen: a frozen dataclass's __init__ costs twice as much, and ingest builds one per event.
@dataclass(slots=True)
class EventInput:
    """One event, well-formed. `target_event_id` names the event a void or adjust corrects."""

    event_id: str
    subscription_key: str
    occurred_at: dt.datetime
    user_key: str = ""
    service: str = ""
    quantity: int = 1
    kind: str = EventKind.USAGE
    target_event_id: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why an item was not stored: a stable code for machines, a sentence for people."""

    reason: str
    message: str
    event_id: str = ""


class _Malformed(ValueError):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


def event_parse(item: object) -> EventInput | Rejection:
    """An item of a batch (a JSON object or a CSV row as a dict) as an `EventInput`."""
    if not isinstance(item, Mapping):
        return Rejection("malformed", _("An event must be an object."))
    event_id = item.get("event_id")
    try:
        return _parse(item)
    except _Malformed as error:
        return Rejection(error.reason, error.message, event_id if isinstance(event_id, str) else "")


def _fast(value: object, limit: int) -> TypeGuard[str]:
    """Whether a text field is fine as it is (the common case, checked cheaply)."""
    return (
        type(value) is str
        and 0 < len(value) <= limit
        and value.isprintable()
        and not value[0].isspace()
        and not value[-1].isspace()
    )


def _parse(item: Mapping[str, Any]) -> EventInput:
    """The checks below in full; a plain usage event takes the short path first."""
    get = item.get
    event_id, key, user_key = get("event_id"), get("subscription_key"), get("user_key")
    service, occurred_at = get("service", ""), get("occurred_at")
    if (
        get("kind") in (None, EventKind.USAGE)
        and get("target_event_id") is None
        and get("quantity") is None
        and _fast(event_id, MAX_EVENT_ID)
        and _fast(key, MAX_KEY)
        and _fast(user_key, MAX_USER_KEY)
        and "@" not in user_key
        and (service == "" or _fast(service, MAX_SERVICE))
    ):
        return EventInput(event_id, key, _instant(occurred_at), user_key, service)
    return _parse_fully(item)


def _parse_fully(item: Mapping[str, Any]) -> EventInput:
    kind = _text(item, "kind", 8, required=False) or EventKind.USAGE
    if kind not in _KINDS:
        raise _Malformed("invalid_kind", _("kind: must be usage, void or adjust."))
    target = _text(item, "target_event_id", MAX_EVENT_ID, required=kind != EventKind.USAGE)
    if kind == EventKind.USAGE and target:
        raise _Malformed(
            "invalid_target", _("target_event_id: only voids and adjustments have one.")
        )
    user_key = _text(item, "user_key", MAX_USER_KEY, required=kind != EventKind.VOID)
    if "@" in user_key:
        raise _Malformed(
            "personal_data", _("user_key: send a pseudonymised key, never an e-mail address.")
        )
    return EventInput(
        event_id=_text(item, "event_id", MAX_EVENT_ID, required=True),
        subscription_key=_text(item, "subscription_key", MAX_KEY, required=True),
        occurred_at=_instant(item.get("occurred_at")),
        user_key=user_key,
        service=_text(item, "service", MAX_SERVICE, required=False),
        quantity=_quantity(item.get("quantity")),
        kind=kind,
        target_event_id=target or None,
    )


def _text(item: Mapping[str, Any], name: str, limit: int, *, required: bool) -> str:
    value = item.get(name)
    if value is None or value == "":
        if required:
            raise _Malformed(f"missing_{name}", _("%(field)s: required.") % {"field": name})
        return ""
    if not isinstance(value, str):
        raise _Malformed(f"invalid_{name}", _("%(field)s: must be a string.") % {"field": name})
    if len(value) > limit:
        message = _("%(field)s: at most %(limit)d characters.") % {"field": name, "limit": limit}
        raise _Malformed(f"invalid_{name}", message)
    if not value.isprintable() or value != value.strip():
        message = _("%(field)s: no control characters or surrounding spaces.") % {"field": name}
        raise _Malformed(f"invalid_{name}", message)
    return value


def _instant(value: object) -> dt.datetime:
    if not isinstance(value, str) or not value:
        raise _Malformed(
            "missing_occurred_at", _("occurred_at: required, ISO 8601 with a time zone offset.")
        )
    try:
        instant = dt.datetime.fromisoformat(value)
    except ValueError:
        raise _Malformed(
            "invalid_occurred_at", _("occurred_at: not an ISO 8601 date and time.")
        ) from None
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise _Malformed(
            "invalid_occurred_at", _("occurred_at: needs a time zone offset, e.g. Z or +01:00.")
        )
    if not MIN_OCCURRED_AT <= instant <= MAX_OCCURRED_AT:
        raise _Malformed(
            "invalid_occurred_at", _("occurred_at: must lie between the years 1900 and 9998.")
        )
    return instant


def _quantity(value: object) -> int:
    if value is None or value == "":
        return 1
    # Only ASCII digits: str.isdigit() is also true for "²" and other digits int() refuses, and
    # a long digit string would be converted before the range check sees it.
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 7:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 1_000_000:
        raise _Malformed("invalid_quantity", _("quantity: a whole number from 1 to 1,000,000."))
    return value


def batch_refusal(items: object, *, limit: int) -> Rejection | None:
    """Why a whole batch is refused before any item is looked at, or None if it is a batch."""
    if not isinstance(items, list) or not items:
        return Rejection("invalid_batch", _("Send a JSON object with a non-empty list 'events'."))
    if len(items) > limit:
        return Rejection(
            "batch_too_large",
            _("A batch holds at most %(limit)d events; this one has %(count)d.")
            % {"limit": limit, "count": len(items)},
        )
    return None
