"""Who gets which answer from the licensing and check-in endpoints (merged into
tests/api/access_table.py)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.utils import timezone

from tests.api.access_table import Case, answers
from tests.api.world import World
from tests.contracts.factories import contract_of, customer_of

STAFF_ONLY = answers(403, anonymous=401, staff=200, support=200)
MANAGERS = answers(403, anonymous=401, staff=200)


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


A_CONTRACT = {"contract_number": "V-LA"}


ACCESS: dict[str, list[Case]] = {
    "licensing-keycode-issue": [
        Case(
            "issue: vendor staff except the support desk",
            answers(403, anonymous=401, staff=201),
            method="post",
            kwargs=_prepare_unkeyed_a,
            data=lambda world: A_CONTRACT,
        ),
        Case(
            "a contract with a keycode: 409, nothing changes",
            answers(403, anonymous=401, staff=409),
            method="post",
            kwargs=_prepare_keyed_a,
            data=lambda world: A_CONTRACT,
        ),
        Case(
            "unknown contract: 400",
            answers(403, anonymous=401, staff=400),
            method="post",
            data=lambda world: {"contract_number": "V-9999"},
        ),
    ],
    # Whole keycodes: channel managers only (licensing.reveal_keycode); the support desk: 403.
    "licensing-keycode-detail": [
        Case("keycodes of a contract", MANAGERS, kwargs=_keyed_a),
        Case(
            "unknown contract",
            answers(403, anonymous=401, staff=404),
            kwargs=lambda world: {"contract_number": "V-9999"},
        ),
    ],
    "licensing-keycode-check": [
        Case("check a code", STAFF_ONLY, method="post", kwargs=_prepare_keyed_a, data=_code_of_a),
        Case(
            "no code: 400",
            answers(403, anonymous=401, staff=400, support=400),
            method="post",
            data=lambda world: {},
        ),
    ],
    "licensing-keycode-revoke": [
        Case(
            "revoke",
            MANAGERS,
            method="post",
            kwargs=_keyed_a,
            data=lambda world: {"reason": "leaked"},
        ),
        Case(
            "without a keycode: 409",
            answers(403, anonymous=401, staff=409),
            method="post",
            kwargs=_unkeyed_a,
            data=lambda world: {"reason": "leaked"},
        ),
    ],
    "licensing-keycode-rotate": [
        Case(
            "rotate",
            answers(403, anonymous=401, staff=201),
            method="post",
            kwargs=_keyed_a,
            data=lambda world: {"reason": "leaked"},
        ),
        Case(
            "without a reason: 400",
            answers(403, anonymous=401, staff=400),
            method="post",
            kwargs=_keyed_a,
            data=lambda world: {},
        ),
    ],
    "licensing-certificate-issue": [
        Case(
            "issue a certificate",
            answers(403, anonymous=401, staff=201),
            method="post",
            kwargs=_prepare_keyed_a,
            data=lambda world: A_CONTRACT,
        ),
        Case(
            "without a keycode: 409",
            answers(403, anonymous=401, staff=409),
            method="post",
            kwargs=_prepare_unkeyed_a,
            data=lambda world: A_CONTRACT,
        ),
    ],
    "licensing-public-key": [Case("the public key is public", answers(200))],
    "licensing-compliance-report": [
        Case("the report", STAFF_ONLY),
        Case(
            "a bad date: 400",
            answers(403, anonymous=401, staff=400, support=400),
            query={"on": "yesterday"},
        ),
    ],
    "licensing-compliance-csv": [Case("the CSV export", STAFF_ONLY)],
    "licensing-contract-licence": [
        Case(
            "contract of partner A",
            answers(200, anonymous=401, outsider=403, partner_b_user=404),
            kwargs=_keyed_a,
        ),
        Case(
            "contract of partner B",
            answers(200, anonymous=401, outsider=403, partner_a_admin=404, partner_a_user=404),
            kwargs=_keyed_b,
        ),
        Case(
            "unknown contract",
            answers(404, anonymous=401, outsider=403),
            kwargs=lambda world: {"contract_number": "V-9999"},
        ),
    ],
    "checkin-activate": [
        Case(
            "an installation activates (no login needed)",
            answers(200),
            method="post",
            kwargs=_prepare_keyed_a,
            data=_activation,
        ),
        Case(
            "a malformed request: 400, nothing written",
            answers(400),
            method="post",
            data=lambda world: {"keycode": "x"},
        ),
    ],
    "checkin-heartbeats": [
        Case(
            "a batch (no login needed)",
            answers(200),
            method="post",
            kwargs=_prepare_keyed_a,
            data=_heartbeats,
        ),
        Case(
            "not a batch: 400, nothing written",
            answers(400),
            method="post",
            data=lambda world: {"heartbeats": {}},
        ),
    ],
}
