"""The webhook events of contracts (docs/webhook-events.md): `contract.renewal_due` when a
renewal reminder is sent on its date, `contract.renewed`, `contract.expired`; and the contract
part of every payload about a contract (licensing's events use it too).

An event about a contract concerns the partner that looks after its customer when it happens
(the one that sees the contract in its portal), or the selling partner while nobody does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from channeldesk.contracts.models import Contract, CustomerAssignment
from channeldesk.partners.models import Partner
from channeldesk.webhooks.emit import EventDraft, webhook_events_emit
from channeldesk.webhooks.payloads import partner_refs
from channeldesk.webhooks.wanted import webhook_type_wanted

RENEWAL_DUE = "contract.renewal_due"
RENEWED = "contract.renewed"
EXPIRED = "contract.expired"
_CHUNK = 5000
_CONTRACT_FIELDS = (
    "id",
    "contract_number",
    "seats",
    "start_date",
    "end_date",
    "partner_id",
    "customer_id",
    "customer__customer_number",
    "customer__name",
    "product_id",
    "product__sku",
)


@dataclass(frozen=True)
class ContractParts:
    """The payload parts of one contract: its partner (id and `PartnerRef`) and `ContractRef`."""

    partner_id: int
    partner: dict[str, Any]
    contract: dict[str, Any]


def partner_ref(partner: Partner) -> dict[str, Any]:
    return {"id": partner.pk, "partner_number": partner.partner_number, "name": partner.name}


def contract_ref(contract: Contract) -> dict[str, Any]:
    """The `ContractRef` of a contract loaded with its customer and product."""
    return {
        "id": contract.pk,
        "contract_number": contract.contract_number,
        "customer": {
            "id": contract.customer.pk,
            "customer_number": contract.customer.customer_number,
            "name": contract.customer.name,
        },
        "product": {"id": contract.product.pk, "sku": contract.product.sku},
        "seats": contract.seats,
        "start_date": contract.start_date.isoformat(),
        "end_date": contract.end_date.isoformat(),
    }


def contracts_parts(contract_ids: Iterable[int]) -> dict[int, ContractParts]:
    """`ContractParts` of many contracts by id, set-based: a few queries per 5,000 contracts."""
    ids = sorted(set(contract_ids))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), _CHUNK):
        rows.extend(
            Contract.objects.filter(id__in=ids[start : start + _CHUNK]).values(*_CONTRACT_FIELDS)
        )
    carers = _current_partners({row["customer_id"] for row in rows})
    partner_of = {row["id"]: carers.get(row["customer_id"], row["partner_id"]) for row in rows}
    partners = partner_refs(partner_of.values())
    return {
        row["id"]: ContractParts(
            partner_id=partner_of[row["id"]],
            partner=partners[partner_of[row["id"]]],
            contract=_contract_ref_of_row(row),
        )
        for row in rows
    }


def _current_partners(customer_ids: set[int]) -> dict[int, int]:
    ids = sorted(customer_ids)
    carers: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        carers.update(
            CustomerAssignment.objects.filter(
                customer_id__in=ids[start : start + _CHUNK], valid_to__isnull=True
            ).values_list("customer_id", "partner_id")
        )
    return carers


def _contract_ref_of_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "contract_number": row["contract_number"],
        "customer": {
            "id": row["customer_id"],
            "customer_number": row["customer__customer_number"],
            "name": row["customer__name"],
        },
        "product": {"id": row["product_id"], "sku": row["product__sku"]},
        "seats": row["seats"],
        "start_date": row["start_date"].isoformat(),
        "end_date": row["end_date"].isoformat(),
    }


def renewal_due_emit(
    *,
    contract: Contract,
    partner: Partner | None,
    reminder_date: dt.date,
    days_from_end: int,
    at: dt.datetime,
) -> int:
    """`contract.renewal_due` for a reminder sent: once per contract and reminder date, however
    many rules (e-mail to the customer, letter, copy to the partner) share that date."""
    partner = partner or contract.partner
    draft = EventDraft(
        type=RENEWAL_DUE,
        key=f"{RENEWAL_DUE}:{contract.pk}:{reminder_date.isoformat()}",
        partner_id=partner.pk,
        occurred_at=at,
        data={
            "partner": partner_ref(partner),
            "contract": contract_ref(contract),
            "reminder_date": reminder_date.isoformat(),
            "days_from_end": days_from_end,
        },
    )
    return webhook_events_emit([draft])


def contract_renewed_emit(*, previous: Contract, follow_up: Contract) -> int:
    """`contract.renewed`, keyed by the renewed contract and the follow-up's end date."""
    if not webhook_type_wanted(RENEWED):
        return 0
    partner = follow_up.partner
    draft = EventDraft(
        type=RENEWED,
        key=f"{RENEWED}:{previous.pk}:{follow_up.end_date.isoformat()}",
        partner_id=partner.pk,
        data={
            "partner": partner_ref(partner),
            "contract": contract_ref(previous),
            "renewal": contract_ref(follow_up),
        },
    )
    return webhook_events_emit([draft])


def contracts_expired_emit(*, expired: Sequence[tuple[int, dt.date]]) -> int:
    """`contract.expired` for the (contract id, end date) pairs just marked expired, in one
    call; keyed by contract and end date, so a re-run or a racing sweep adds nothing."""
    if not expired:
        return 0
    parts = contracts_parts(contract_id for contract_id, _end in expired)
    drafts = [
        EventDraft(
            type=EXPIRED,
            key=f"{EXPIRED}:{contract_id}:{end_date.isoformat()}",
            partner_id=parts[contract_id].partner_id,
            data={
                "partner": parts[contract_id].partner,
                "contract": parts[contract_id].contract,
                "expired_on": (end_date + dt.timedelta(days=1)).isoformat(),
            },
        )
        for contract_id, end_date in expired
    ]
    return webhook_events_emit(drafts)
