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
    answers,
)
from tests.api.world import World


def _partner_a(world: World) -> dict[str, Any]:
    return {"partner_number": world.partner_a.partner_number}


def _partner_b(world: World) -> dict[str, Any]:
    return {"partner_number": world.partner_b.partner_number}


ACCESS: dict[str, list[Case]] = {
    "training-records": [
        Case(
            "post without a file: vendor staff except the support desk (and the training token)",
            answers(403, anonymous=401, staff=400),
            method="post",
        ),
    ],
    "training-partner": [
        Case("partner A", PARTNER_A_AND_STAFF, kwargs=_partner_a),
        Case("partner B", PARTNER_B_AND_STAFF, kwargs=_partner_b),
        Case(
            "unknown partner number",
            NOBODY_FINDS_IT,
            kwargs=lambda world: {"partner_number": "Z-9999"},
        ),
    ],
    "support-route": [
        Case(
            "route by partner number: vendor staff (and the phone system's token)",
            answers(403, anonymous=401, staff=200, support=200),
            query={"partner_number": "A-1000"},
        ),
        Case(
            "an unknown caller gets the entry tier's line",
            answers(403, anonymous=401, staff=200, support=200),
            query={"caller": "+4930999999"},
        ),
        Case(
            "a caller number that is no telephone number: 400",
            answers(403, anonymous=401, staff=400, support=400),
            query={"caller": "not-a-number"},
        ),
        Case(
            "neither partner number nor caller: 400",
            answers(403, anonymous=401, staff=400, support=400),
        ),
        Case(
            "writes are not offered",
            answers(403, anonymous=401, staff=405, support=405),
            method="post",
        ),
    ],
}
