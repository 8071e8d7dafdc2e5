"""The payloads of the webhook events, version 1: one model per event type's `data` object.

These models are the contract with the receivers and are documented in the OpenAPI schema (as
webhooks). They are never used to build the payloads on the hot paths (the emitting domains
write plain dicts, set-based); the tests validate every emitted `data` against its model.

The rules of version 1 (docs/webhook-events.md):
- Field names are stable; a renamed or removed field, or a changed meaning, is a new version.
  New optional fields may be added within a version, so receivers ignore fields they do not know.
- Every object carries its id and its business key (partner number, customer number, contract
  number, masked keycode, product SKU, course code), so a receiver can match it either way.
- Dates are ISO dates (`2027-03-31`), instants ISO 8601 in UTC (`2026-11-04T11:00:00+00:00`).
- Amounts are exact: whole numbers as JSON numbers, anything with a fraction as an exact string
  (`"128063.16"`), as everywhere in ChannelDesk's JSON (`core.json_numbers`); currencies are
  named beside them.
- An event that concerns a partner carries the partner (`id`, `partner_number`, `name`): for a
  contract, the partner that looks after its customer when the event happens (the one that
  sees it in the portal).
- Nothing personal beyond what the partner sees in its portal: no e-mail addresses, no
  addresses, no keycodes in full.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from channeldesk.partners.models import Partner
from channeldesk.webhooks.events import PAYLOAD_VERSION

# `core.json_numbers.json_number`: an int when whole, else the exact decimal text.
type ExactNumber = int | str


def _open_for_additions(schema: dict[str, Any]) -> None:
    """The published schema leaves objects open: a later release may add fields."""
    schema.pop("additionalProperties", None)


class Payload(BaseModel):
    """A part of a payload. Validation is strict (the tests catch a field the schema does not
    name), the published schema open: receivers ignore fields they do not know."""

    model_config = ConfigDict(extra="forbid", frozen=True, json_schema_extra=_open_for_additions)


# --- Parts shared by several events -------------------------------------------------------------


class PartnerRef(Payload):
    id: int
    partner_number: str
    name: str


class CustomerRef(Payload):
    id: int
    customer_number: str
    name: str


class ProductRef(Payload):
    id: int
    sku: str = Field(description="The product code.")


class ContractRef(Payload):
    id: int
    contract_number: str
    customer: CustomerRef
    product: ProductRef
    seats: int
    start_date: dt.date
    end_date: dt.date = Field(description="The last day the contract runs (inclusive).")


class PolicyRef(Payload):
    id: int
    code: str
    version: int


class TierRef(Payload):
    code: str
    rank: int
    name_de: str
    name_en: str


class TierReason(BaseModel):
    """One reason of a tier decision, as stored with the tier assignment: a criterion checked
    (`tier`, `criterion`, `measured`, `threshold`, `comparison`, `holds`, and the criterion's
    details such as `course`) or, for a manual decision, the `override` reason."""

    model_config = ConfigDict(extra="allow", frozen=True)

    tier: str | None = None
    criterion: str | None = None
    measured: ExactNumber | None = None
    threshold: ExactNumber | None = None
    comparison: str | None = None
    holds: bool | None = None
    override: str | None = None


# --- The events' `data` -------------------------------------------------------------------------


class TierChanged(Payload):
    """`partner.tier_changed`: a new tier assignment of a partner (evaluation or override)."""

    partner: PartnerRef
    assignment_id: int
    policy: PolicyRef
    tier: TierRef
    previous_tier: TierRef | None = Field(
        description="The tier in force the day before `valid_from`; null for a first tier."
    )
    valid_from: dt.date
    source: Literal["initial", "evaluation", "override"]
    reasons: list[TierReason]


class ProgrammeTier(Payload):
    code: str
    rank: int
    name_de: str
    name_en: str
    discount_percent: ExactNumber


class ProgrammePublished(Payload):
    """`programme.published`: a tier policy (partner programme) was published."""

    policy: PolicyRef
    name_de: str
    name_en: str
    effective_from: dt.date
    published_at: dt.datetime
    tiers: list[ProgrammeTier] = Field(description="Best tier first.")


class RenewalDue(Payload):
    """`contract.renewal_due`: a reminder date of a contract's renewal was reached."""

    partner: PartnerRef
    contract: ContractRef
    reminder_date: dt.date
    days_from_end: int = Field(
        description="Days from the end date to the reminder date: negative before the end, "
        "positive for a reminder after an unrenewed end."
    )


class ContractRenewed(Payload):
    """`contract.renewed`: a contract was renewed by a follow-up contract."""

    partner: PartnerRef
    contract: ContractRef = Field(description="The contract that was renewed.")
    renewal: ContractRef = Field(description="The follow-up contract.")


class ContractExpired(Payload):
    """`contract.expired`: a contract's end date passed without a renewal."""

    partner: PartnerRef
    contract: ContractRef
    expired_on: dt.date = Field(description="The first day after the end date.")


class UnderLicensed(Payload):
    """`licence.under_licensed`: a contract's active installations exceed its seats and the
    tolerance (the daily compliance scan)."""

    partner: PartnerRef
    contract: ContractRef
    day: dt.date
    status: Literal["under_licensed", "heavily_under_licensed"]
    seats: int
    active_installations: int
    tolerance: int
    missing_seats: int
    under_licensed_since: dt.date


class CompliantAgain(Payload):
    """`licence.compliant_again`: an under-licensed contract is no longer under-licensed (its
    installations fit its seats again, or it is no longer in force on `day`)."""

    partner: PartnerRef
    contract: ContractRef
    day: dt.date = Field(description="The first day it is not under-licensed.")
    status: Literal["compliant", "near_limit"] | None = Field(
        description="The day's compliance status; null when the contract is no longer in force "
        "on `day` (it ended or was renewed)."
    )
    seats: int
    active_installations: int | None
    under_licensed_since: dt.date


class KeycodeRef(Payload):
    id: int
    key_id: int
    serial: int
    masked: str | None = Field(
        description="The keycode with its middle hidden, as partners see it (null when the "
        "key id's secret is no longer configured)."
    )


class KeycodeRevoked(Payload):
    """`keycode.revoked`: a keycode was revoked (it no longer activates installations)."""

    partner: PartnerRef
    contract: ContractRef
    keycode: KeycodeRef
    revoked_at: dt.datetime
    reason: str
    replaced_by_keycode_id: int | None = Field(
        default=None, description="The keycode issued in its place, when it was replaced."
    )


class StatementIssued(Payload):
    """`usage.statement_issued`: a partner's monthly usage statement was issued."""

    partner: PartnerRef
    statement_id: int
    number: str
    period: dt.date = Field(description="The first day of the month the statement covers.")
    issued_at: dt.datetime
    currency: str
    list_total: ExactNumber
    net_total: ExactNumber
    lines: int


class CourseRef(Payload):
    id: int
    code: str
    name_de: str
    name_en: str


class ParticipantRef(Payload):
    id: int
    name: str


class CompletionExpiring(Payload):
    """`training.completion_expiring`: a completed training that a tier requires runs out soon
    (sent with the expiry notice to the partner)."""

    partner: PartnerRef
    enrollment_id: int
    participant: ParticipantRef
    course: CourseRef
    session_date: dt.date
    valid_until: dt.date = Field(description="The first day the completion no longer counts.")
    last_valid_day: dt.date = Field(description="The last day the completion counts.")


PAYLOADS: dict[str, type[BaseModel]] = {
    "partner.tier_changed": TierChanged,
    "programme.published": ProgrammePublished,
    "contract.renewal_due": RenewalDue,
    "contract.renewed": ContractRenewed,
    "contract.expired": ContractExpired,
    "licence.under_licensed": UnderLicensed,
    "licence.compliant_again": CompliantAgain,
    "keycode.revoked": KeycodeRevoked,
    "usage.statement_issued": StatementIssued,
    "training.completion_expiring": CompletionExpiring,
}


class Envelope(BaseModel):
    """What a receiver gets in the body of each delivery.

    `id` is the event's stable id (also the `webhook-id` header; receivers dedupe by it),
    `timestamp` when the change happened, `sequence` the event's position among all events
    (increasing in the order they were written, with gaps), so a receiver can tell an older
    event that arrives late; `data` is the type's payload above, read after `version`.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    type: str
    version: int = PAYLOAD_VERSION
    timestamp: dt.datetime
    sequence: int
    data: dict[str, Any]


# --- Building the shared parts (set-based, for the emitting domains) ----------------------------

_CHUNK = 5000


def json_instant(value: dt.datetime) -> str:
    """An instant as payloads write it: ISO 8601 in UTC, whatever zone it was made in."""
    return value.astimezone(dt.UTC).isoformat()


def partner_refs(partner_ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """`PartnerRef` dicts of the partners, by id: one query per 5,000 partners."""
    ids = sorted(set(partner_ids))
    refs: dict[int, dict[str, Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        for row in Partner.objects.filter(id__in=ids[start : start + _CHUNK]).values(
            "id", "partner_number", "name"
        ):
            refs[row["id"]] = dict(row)
    return refs
