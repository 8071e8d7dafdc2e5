"""Who gets which answer from the licensing and check-in endpoints (merged into
tests/api/access_table.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from tests.api.access_table import (
    NOBODY_FINDS_IT,
    PARTNER_A_AND_STAFF,
    PARTNER_B_AND_STAFF,
    Case,
    answers,
    get,
    given,
    managers,
    post,
    vendor_staff,
)
from tests.api.world import World
from tests.contracts.factories import contract_of, customer_of


def _contract_of(world: World, partner: Any, number: str, *, keycode: bool = True) -> str:
    from channeldesk.licensing.services import keycode_issue

    customer = customer_of(partner, customer_number=f"K-{number}")
    contract = contract_of(
        customer,
        product=world.product,
        contract_number=number,
        start_date=dt.date(2026, 1, 1),
        end_date=timezone.localdate() + dt.timedelta(days=200),
    )
    if keycode:
        keycode_issue(contract=contract)
    return contract.contract_number


def _enterprise(world: World) -> None:
    from channeldesk.catalog.models import ProductKind

    world.product.kind = ProductKind.ENTERPRISE
    world.product.save()


def _keyed_a(world: World) -> dict[str, Any]:
    _enterprise(world)
    return {"contract_number": _contract_of(world, world.partner_a, "V-LA")}


def _keyed_b(world: World) -> dict[str, Any]:
    _enterprise(world)
    return {"contract_number": _contract_of(world, world.partner_b, "V-LB")}


def _unkeyed_a(world: World) -> dict[str, Any]:
    _enterprise(world)
    return {"contract_number": _contract_of(world, world.partner_a, "V-LA", keycode=False)}


def _prepare_keyed_a(world: World) -> dict[str, Any]:
    """For endpoints without URL arguments: the objects exist before the request counts rows."""
    _keyed_a(world)
    return {}


def _prepare_unkeyed_a(world: World) -> dict[str, Any]:
    _unkeyed_a(world)
    return {}


def _code_of_a(world: World) -> dict[str, Any]:
    """The code of contract V-LA (made by `_prepare_keyed_a`); reads only."""
    from channeldesk.contracts.models import Contract
    from channeldesk.licensing.selectors import keycode_active_of
    from channeldesk.licensing.services import keycode_text

    keycode = keycode_active_of(contract=Contract.objects.get(contract_number="V-LA"))
    assert keycode is not None
    return {"code": keycode_text(keycode=keycode)}


def _activation(world: World) -> dict[str, Any]:
    return {
        "keycode": _code_of_a(world)["code"],
        "installation_id": str(uuid.uuid4()),
        "fingerprint": "ab" * 32,
        "product_version": "12.5.1",
    }


def _heartbeats(world: World) -> dict[str, Any]:
    code = _code_of_a(world)["code"]
    seen = dt.datetime.now(dt.UTC).isoformat()
    return {
        "heartbeats": [
            {
                "keycode": code,
                "installation_id": str(uuid.uuid4()),
                "fingerprint": f"{number:064x}",
                "seen_at": seen,
            }
            for number in range(3)
        ]
    }


A_CONTRACT = given(contract_number="V-LA")
UNKNOWN_CONTRACT = given(contract_number="V-9999")
LEAKED = given(reason="leaked")


ACCESS: dict[str, list[Case]] = {
    "licensing-keycode-issue": [
        post(
            "issue: vendor staff except the support desk",
            managers(201),
            _prepare_unkeyed_a,
            A_CONTRACT,
        ),
        post(
            "a contract with a keycode: 409, nothing changes",
            managers(409),
            _prepare_keyed_a,
            A_CONTRACT,
        ),
        post("unknown contract: 400", managers(400), data=UNKNOWN_CONTRACT),
    ],
    # Whole keycodes: channel managers only (licensing.reveal_keycode); the support desk: 403.
    "licensing-keycode-detail": [
        get("keycodes of a contract", managers(200), _keyed_a),
        get("unknown contract", managers(404), UNKNOWN_CONTRACT),
    ],
    "licensing-keycode-check": [
        post("check a code", vendor_staff(200), _prepare_keyed_a, _code_of_a),
        post("no code: 400", vendor_staff(400), data=given()),
    ],
    "licensing-keycode-revoke": [
        post("revoke", managers(200), _keyed_a, LEAKED),
        post("without a keycode: 409", managers(409), _unkeyed_a, LEAKED),
    ],
    "licensing-keycode-rotate": [
        post("rotate", managers(201), _keyed_a, LEAKED),
        post("without a reason: 400", managers(400), _keyed_a, given()),
    ],
    "licensing-certificate-issue": [
        post("issue a certificate", managers(201), _prepare_keyed_a, A_CONTRACT),
        post("without a keycode: 409", managers(409), _prepare_unkeyed_a, A_CONTRACT),
    ],
    "licensing-public-key": [get("the public key is public", answers(200))],
    "licensing-compliance-report": [
        get("the report", vendor_staff(200)),
        get("a bad date: 400", vendor_staff(400), query={"on": "yesterday"}),
    ],
    "licensing-compliance-csv": [get("the CSV export", vendor_staff(200))],
    "licensing-contract-licence": [
        get("contract of partner A", PARTNER_A_AND_STAFF, _keyed_a),
        get("contract of partner B", PARTNER_B_AND_STAFF, _keyed_b),
        get("unknown contract", NOBODY_FINDS_IT, UNKNOWN_CONTRACT),
    ],
    "checkin-activate": [
        post(
            "an installation activates (no login needed)",
            answers(200),
            _prepare_keyed_a,
            _activation,
        ),
        post("a malformed request: 400, nothing written", answers(400), data=given(keycode="x")),
    ],
    "checkin-heartbeats": [
        post("a batch (no login needed)", answers(200), _prepare_keyed_a, _heartbeats),
        post("not a batch: 400, nothing written", answers(400), data=given(heartbeats={})),
    ],
}
