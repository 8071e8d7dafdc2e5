"""Whether any subscription wants an event type: asked before a bulk path builds its drafts.

`webhook_events_emit` already stores nothing when no subscription wants a type, but a sweep over
100,000 rows would still build 100,000 drafts (and read what they need) first. The sweep asks
here once, and skips the whole thing when nobody listens: one small query.
"""

from __future__ import annotations

from collections.abc import Iterable

from channeldesk.webhooks.events import EVENT_TYPES
from channeldesk.webhooks.models import WebhookSubscription


def webhook_types_wanted(types: Iterable[str]) -> frozenset[str]:
    """The ones of `types` that at least one subscription (active or paused) wants."""
    asked = frozenset(types)
    unknown = asked.difference(EVENT_TYPES)
    if unknown:
        raise ValueError(f"Unknown webhook event types {sorted(unknown)!r}")
    wanted: set[str] = set()
    for event_types in WebhookSubscription.objects.values_list("event_types", flat=True):
        wanted.update(asked.intersection(event_types))
        if wanted == asked:
            break
    return frozenset(wanted)


def webhook_type_wanted(type: str) -> bool:
    """Whether at least one subscription wants events of `type`."""
    return bool(webhook_types_wanted([type]))
