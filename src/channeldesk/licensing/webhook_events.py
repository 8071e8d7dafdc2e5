"""The webhook events of licensing (docs/webhook-events.md): the compliance scan's transitions
(`licence.under_licensed` when an under-licensing episode opens, `licence.compliant_again`
when it closes) and `keycode.revoked`.

The scan's events are built set-based from the day's episodes and records and emitted in one
call per scanned day, inside the scan's transaction; while nobody subscribed to either type the
scan pays one small query for them (`webhook_types_wanted`). Both are keyed by the episode
(contract and first under-licensed day), so a repeated scan of a day adds nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from channeldesk.contracts.webhook_events import ContractParts, contracts_parts
from channeldesk.licensing.models import ComplianceEpisode, ComplianceRecord, Keycode
from channeldesk.webhooks.emit import EventDraft, webhook_events_emit
from channeldesk.webhooks.payloads import json_instant
from channeldesk.webhooks.wanted import webhook_type_wanted, webhook_types_wanted

UNDER_LICENSED = "licence.under_licensed"
COMPLIANT_AGAIN = "licence.compliant_again"
KEYCODE_REVOKED = "keycode.revoked"


def compliance_transitions_emit(*, day: dt.date) -> int:
    """Emit the transitions of the scan of `day`: the episodes that start and end on it."""
    wanted = webhook_types_wanted([UNDER_LICENSED, COMPLIANT_AGAIN])
    if not wanted:
        return 0
    episodes = ComplianceEpisode.objects.none()
    if UNDER_LICENSED in wanted:
        episodes = episodes | ComplianceEpisode.objects.filter(started_on=day)
    if COMPLIANT_AGAIN in wanted:
        episodes = episodes | ComplianceEpisode.objects.filter(ended_on=day)
    rows = list(episodes.values("contract_id", "started_on", "ended_on"))
    if not rows:
        return 0
    contract_ids = [row["contract_id"] for row in rows]
    records = {
        record["contract_id"]: record
        for record in ComplianceRecord.objects.filter(day=day, contract_id__in=contract_ids).values(
            "contract_id", "status", "seats", "active_installations", "tolerance"
        )
    }
    parts = contracts_parts(contract_ids)
    drafts = [
        _transition(row, day=day, record=records.get(row["contract_id"]), parts=parts)
        for row in rows
    ]
    return webhook_events_emit(drafts)


def _transition(
    row: Mapping[str, Any],
    *,
    day: dt.date,
    record: Mapping[str, Any] | None,
    parts: Mapping[int, ContractParts],
) -> EventDraft:
    contract = parts[row["contract_id"]]
    since = row["started_on"].isoformat()
    common = {"partner": contract.partner, "contract": contract.contract, "day": day.isoformat()}
    if row["ended_on"] == day:
        return EventDraft(
            type=COMPLIANT_AGAIN,
            key=f"{COMPLIANT_AGAIN}:{row['contract_id']}:{since}",
            partner_id=contract.partner_id,
            data={
                **common,
                "status": record["status"] if record else None,
                "seats": record["seats"] if record else contract.contract["seats"],
                "active_installations": record["active_installations"] if record else None,
                "under_licensed_since": since,
            },
        )
    if record is None:
        raise LookupError(f"No compliance record of contract {row['contract_id']} on {day}.")
    return EventDraft(
        type=UNDER_LICENSED,
        key=f"{UNDER_LICENSED}:{row['contract_id']}:{since}",
        partner_id=contract.partner_id,
        data={
            **common,
            "status": record["status"],
            "seats": record["seats"],
            "active_installations": record["active_installations"],
            "tolerance": record["tolerance"],
            "missing_seats": max(0, record["active_installations"] - record["seats"]),
            "under_licensed_since": since,
        },
    )


def keycode_revoked_emit(
    *,
    keycode: Keycode,
    masked: Callable[[Keycode], str | None],
    replaced_by: Keycode | None = None,
) -> int:
    """`keycode.revoked` for a keycode just revoked (once per keycode: it is revoked once).

    `masked` gives the masked code (it needs the key id's secret, so it is only asked for when
    somebody subscribed)."""
    if not webhook_type_wanted(KEYCODE_REVOKED) or keycode.revoked_at is None:
        return 0
    parts = contracts_parts([keycode.contract_id])[keycode.contract_id]
    draft = EventDraft(
        type=KEYCODE_REVOKED,
        key=f"{KEYCODE_REVOKED}:{keycode.pk}",
        partner_id=parts.partner_id,
        occurred_at=keycode.revoked_at,
        data={
            "partner": parts.partner,
            "contract": parts.contract,
            "keycode": {
                "id": keycode.pk,
                "key_id": keycode.key_id,
                "serial": keycode.serial,
                "masked": masked(keycode),
            },
            "revoked_at": json_instant(keycode.revoked_at),
            "reason": keycode.revocation_reason,
            "replaced_by_keycode_id": replaced_by.pk if replaced_by is not None else None,
        },
    )
    return webhook_events_emit([draft])
