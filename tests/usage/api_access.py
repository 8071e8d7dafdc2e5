"""Who gets what from the usage endpoints (merged into tests/api/access_table.py)."""

from __future__ import annotations

from typing import Any

from tests.api.access_table import (
    NOBODY_FINDS_IT,
    PARTNER_A_AND_STAFF,
    PARTNER_B_AND_STAFF,
    PARTNER_USERS_AND_STAFF,
    Case,
    answers,
)
from tests.api.world import World
from tests.usage.worlds import october_statements


def _statement_a(world: World) -> dict[str, Any]:
    statements = october_statements(world.partner_a, world.partner_b)
    return {"number": statements[world.partner_a.partner_number].number}


def _statement_b(world: World) -> dict[str, Any]:
    statements = october_statements(world.partner_a, world.partner_b)
    return {"number": statements[world.partner_b.partner_number].number}


def _unknown_statement(world: World) -> dict[str, Any]:
    return {"number": "US-2026-10-Z-9999"}


def _with_statements(world: World) -> dict[str, Any]:
    """The URL has no arguments; this builds the world before the row counts are taken."""
    october_statements(world.partner_a, world.partner_b)
    return {}


def _batch(world: World) -> dict[str, Any]:
    return {
        "events": [
            {
                "event_id": "x1",
                "subscription_key": "SUB-A",
                "user_key": "u9",
                "occurred_at": "2026-10-05T10:00:00+02:00",
            }
        ]
    }


def _statement_cases() -> list[Case]:
    return [
        Case("own statement", PARTNER_A_AND_STAFF, kwargs=_statement_a),
        Case("partner B's statement", PARTNER_B_AND_STAFF, kwargs=_statement_b),
        Case("unknown statement", NOBODY_FINDS_IT, kwargs=_unknown_statement),
    ]


ACCESS: dict[str, list[Case]] = {
    # Logins never send usage: only a service token of scope usage (tests/usage/test_api.py).
    "usage-events": [
        Case(
            "a login cannot send usage",
            answers(403, anonymous=401),
            kwargs=_with_statements,
            method="post",
            data=_batch,
        )
    ],
    "usage-statement-list": [
        Case("list", PARTNER_USERS_AND_STAFF, kwargs=_with_statements),
        Case("one period", PARTNER_USERS_AND_STAFF, query={"period": "2026-10"}),
        Case(
            "bad period",
            answers(400, anonymous=401, outsider=403),
            query={"period": "October"},
        ),
    ],
    "usage-statement-detail": _statement_cases(),
    "usage-statement-pdf": _statement_cases(),
    "usage-statement-csv": [
        *_statement_cases(),
        Case(
            "a customer not on the statement",
            NOBODY_FINDS_IT,
            kwargs=_statement_a,
            query={"customer_number": "K-UB"},
        ),
    ],
    "usage-statement-evidence": _statement_cases(),
}
