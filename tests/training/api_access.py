"""Who gets which answer from the training and support endpoints (merged into the access table,
tests/api/access_table.py). Service tokens are no persona; tests/training/test_api.py covers
them."""

from __future__ import annotations

from typing import Any

from tests.api.access_table import (
    NOBODY_FINDS_IT,
    PARTNER_A_AND_STAFF,
    PARTNER_B_AND_STAFF,
    Case,
    get,
    given,
    managers,
    post,
    vendor_staff,
)
from tests.api.world import World


def _partner_a(world: World) -> dict[str, Any]:
    return {"partner_number": world.partner_a.partner_number}


def _partner_b(world: World) -> dict[str, Any]:
    return {"partner_number": world.partner_b.partner_number}


ACCESS: dict[str, list[Case]] = {
    "training-records": [
        post(
            "post without a file: vendor staff except the support desk (and the training token)",
            managers(400),
        ),
    ],
    "training-partner": [
        get("partner A", PARTNER_A_AND_STAFF, _partner_a),
        get("partner B", PARTNER_B_AND_STAFF, _partner_b),
        get("unknown partner number", NOBODY_FINDS_IT, given(partner_number="Z-9999")),
    ],
    "support-route": [
        get(
            "route by partner number: vendor staff (and the phone system's token)",
            vendor_staff(200),
            query={"partner_number": "A-1000"},
        ),
        get(
            "an unknown caller gets the entry tier's line",
            vendor_staff(200),
            query={"caller": "+4930999999"},
        ),
        get(
            "a caller number that is no telephone number: 400",
            vendor_staff(400),
            query={"caller": "not-a-number"},
        ),
        get("neither partner number nor caller: 400", vendor_staff(400)),
        post("writes are not offered", vendor_staff(405)),
    ],
}
