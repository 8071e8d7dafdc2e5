"""The catalogue of webhook event types: their names, who may receive them, and their version.

A type's payload (`data`) is documented in the OpenAPI schema (`webhooks/payloads.py`) and
changes only with a new `version`; a receiver reads `version` before `data`.

Audience: a **partner** event concerns one partner (its tier, its customers' contracts and
licences, its statements) and reaches vendor-wide subscriptions and that partner's own; a
**programme** event concerns every partner (a published programme) and reaches every
subscription that asked for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

PAYLOAD_VERSION = 1


class Audience(StrEnum):
    PARTNER = "partner"
    PROGRAMME = "programme"


@dataclass(frozen=True)
class EventType:
    name: str
    audience: Audience
    description: str | Promise


EVENT_TYPES: dict[str, EventType] = {
    event.name: event
    for event in (
        EventType(
            "partner.tier_changed", Audience.PARTNER, _("A partner's tier changed (with reasons).")
        ),
        EventType(
            "programme.published", Audience.PROGRAMME, _("A new partner programme was published.")
        ),
        EventType(
            "contract.renewal_due",
            Audience.PARTNER,
            _("A contract's renewal is due (at each reminder date)."),
        ),
        EventType("contract.renewed", Audience.PARTNER, _("A contract was renewed.")),
        EventType("contract.expired", Audience.PARTNER, _("A contract ended without renewal.")),
        EventType(
            "licence.under_licensed",
            Audience.PARTNER,
            _("A customer uses more than its contracts allow."),
        ),
        EventType(
            "licence.compliant_again",
            Audience.PARTNER,
            _("An under-licensed customer is covered again."),
        ),
        EventType("keycode.revoked", Audience.PARTNER, _("A keycode was revoked.")),
        EventType(
            "usage.statement_issued",
            Audience.PARTNER,
            _("A monthly usage statement was issued to a partner."),
        ),
        EventType(
            "training.completion_expiring",
            Audience.PARTNER,
            _("A required training completion is about to expire."),
        ),
    )
}


def event_type_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in EVENT_TYPES]
