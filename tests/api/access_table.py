"""Who gets which answer from every API endpoint. `test_access.py` walks this table.

Every URL pattern under /api/v1/ needs an entry here, keyed by its URL name (what `reverse()`
takes, with the namespace if there is one). The suite fails when a pattern has no entry, and
when an entry names no pattern, so a new endpoint cannot ship without its access rules.

To add an endpoint, add one entry with one or more cases (the statuses below illustrate the
shape; write the ones your endpoint is meant to give):

    "tiers-policy": [
        Case(
            "draft policy",
            PARTNER_USERS_AND_STAFF,
            kwargs=lambda world: {"reference": "default"},
        ),
    ],
    "tiers-publish": [
        Case(
            "publish the draft",
            answers(403, anonymous=401, staff=200),
            method="post",
            kwargs=lambda world: {"reference": "default"},
            data=lambda world: {"effective_from": "2026-07-01"},
        ),
    ],

- `expect` gives the status for every persona (see `world.PERSONA_NAMES`): `answers(default,
  persona=status, ...)`, or one of the presets below.
- `kwargs` builds the URL's arguments from the `World` (tests/api/world.py). It may also create
  the objects it needs (e.g. with a factory); it runs once per persona, each in a fresh database.
- `method`, `data` (a JSON body built from the world) and `query` (GET parameters, or the query
  string of a write) describe the request; the default is a plain GET.
- For another partner's object the expected answer is 404, never 403: a partner must not learn
  that the object exists.
- A refused write (any status of 400 or above for POST, PUT, PATCH or DELETE) is also checked to
  have changed no row in any table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.api.world import PERSONA_NAMES, World


def answers(default: int, **exceptions: int) -> dict[str, int]:
    """The expected status per persona: `default` for all but the ones named."""
    unknown = set(exceptions) - set(PERSONA_NAMES)
    if unknown:
        raise ValueError(f"Unknown personas {sorted(unknown)}; known: {PERSONA_NAMES}")
    return {persona: exceptions.get(persona, default) for persona in PERSONA_NAMES}


def _no_arguments(world: World) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Case:
    label: str
    expect: dict[str, int]
    kwargs: Callable[[World], dict[str, Any]] = _no_arguments
    method: str = "get"
    data: Callable[[World], dict[str, Any]] | None = None
    query: dict[str, str] = field(default_factory=dict)


# Presets for the usual shapes of access.
EVERYONE = answers(200)
SIGNED_IN = answers(200, anonymous=401)
PARTNER_USERS_AND_STAFF = answers(200, anonymous=401, outsider=403)
PARTNER_A_AND_STAFF = answers(200, anonymous=401, outsider=403, partner_b_user=404)
PARTNER_B_AND_STAFF = answers(
    200, anonymous=401, outsider=403, partner_a_admin=404, partner_a_user=404
)
NOBODY_FINDS_IT = answers(404, anonymous=401, outsider=403)
READ_ONLY_ENDPOINT = answers(405, anonymous=401, outsider=403)


def _partner_a(world: World) -> dict[str, Any]:
    return {"partner_number": world.partner_a.partner_number}


def _partner_b(world: World) -> dict[str, Any]:
    return {"partner_number": world.partner_b.partner_number}


def _partner_c(world: World) -> dict[str, Any]:
    return {"partner_number": world.partner_c.partner_number}


def _unknown_partner(world: World) -> dict[str, Any]:
    return {"partner_number": "Z-9999"}


def _order_a(world: World) -> dict[str, Any]:
    return {"pk": world.order_a.pk}


def _order_b(world: World) -> dict[str, Any]:
    return {"pk": world.order_b.pk}


ACCESS_TABLE: dict[str, list[Case]] = {
    "api-schema": [Case("the OpenAPI schema is public", EVERYONE)],
    "api-docs": [Case("the API docs are public", EVERYONE)],
    "partner-list": [
        Case("list", PARTNER_USERS_AND_STAFF),
        Case("filtered list", PARTNER_USERS_AND_STAFF, query={"status": "suspended"}),
        Case("create is not offered", READ_ONLY_ENDPOINT, method="post", data=_partner_a),
    ],
    "partner-detail": [
        Case("partner A", PARTNER_A_AND_STAFF, kwargs=_partner_a),
        Case("partner B", PARTNER_B_AND_STAFF, kwargs=_partner_b),
        Case(
            "partner C without users",
            answers(404, anonymous=401, outsider=403, staff=200, support=200),
            kwargs=_partner_c,
        ),
        Case("unknown partner number", NOBODY_FINDS_IT, kwargs=_unknown_partner),
        Case(
            "delete is not offered",
            answers(405, anonymous=401, outsider=403),
            method="delete",
            kwargs=_partner_a,
        ),
    ],
    "partner-contact-list": [
        Case("partner A", PARTNER_A_AND_STAFF, kwargs=_partner_a),
        Case("partner B", PARTNER_B_AND_STAFF, kwargs=_partner_b),
        Case("unknown partner number", NOBODY_FINDS_IT, kwargs=_unknown_partner),
    ],
    "product-list": [Case("list", SIGNED_IN)],
    "product-detail": [
        Case("active product", SIGNED_IN, kwargs=lambda world: {"sku": world.product.sku}),
        Case(
            "retired product: vendor staff only",
            answers(404, anonymous=401, staff=200, support=200),
            kwargs=lambda world: {"sku": world.retired_product.sku},
        ),
    ],
    "order-list": [
        Case("list", PARTNER_USERS_AND_STAFF),
        Case(
            "another partner's orders by filter: an empty list, not an error",
            PARTNER_USERS_AND_STAFF,
            query={"partner_number": "B-2000"},
        ),
        Case("create is not offered", READ_ONLY_ENDPOINT, method="post", data=_no_arguments),
    ],
    "order-detail": [
        Case("order of partner A", PARTNER_A_AND_STAFF, kwargs=_order_a),
        Case("order of partner B", PARTNER_B_AND_STAFF, kwargs=_order_b),
        Case("unknown order id", NOBODY_FINDS_IT, kwargs=lambda world: {"pk": 987654}),
    ],
    "import-partners": [
        Case(
            "post without a file: channel managers only",
            answers(403, anonymous=401, staff=400),
            method="post",
        ),
    ],
    "import-products": [
        Case(
            "post without a file: channel managers only",
            answers(403, anonymous=401, staff=400),
            method="post",
        ),
    ],
    "import-orders": [
        Case(
            "post without a file: channel managers only",
            answers(403, anonymous=401, staff=400),
            method="post",
        ),
    ],
    "api-not-found": [
        Case(
            "an unknown path answers 404 in the error format",
            answers(404),
            kwargs=lambda world: {"path": "no/such/endpoint"},
        ),
    ],
    "tiers-policies": [Case("list: partners see published policies only", PARTNER_USERS_AND_STAFF)],
    "tiers-policy": [
        Case(
            "published policy",
            PARTNER_USERS_AND_STAFF,
            kwargs=lambda world: {"reference": "previous"},
        ),
        Case(
            "draft policy: vendor staff only",
            answers(404, anonymous=401, outsider=403, staff=200, support=200),
            kwargs=lambda world: {"reference": "default"},
        ),
    ],
    "tiers-publish": [
        Case(
            "publish a draft: channel managers only",
            answers(403, anonymous=401, staff=200),
            method="post",
            kwargs=lambda world: {"reference": "default"},
            data=lambda world: {"effective_from": "2026-07-01"},
        ),
    ],
    "tiers-evaluate": [
        Case(
            "evaluate: vendor staff",
            answers(403, anonymous=401, staff=200, support=200),
            query={"policy": "default", "as_of": "2026-07-01"},
        ),
    ],
    "tiers-simulate": [
        Case(
            "simulate: vendor staff",
            answers(403, anonymous=401, staff=200, support=200),
            method="post",
            data=lambda world: {"policy": "default", "as_of": "2026-07-01"},
        ),
    ],
    "tiers-calibrate": [
        Case(
            "calibrate: channel managers only",
            answers(403, anonymous=401, staff=200),
            method="post",
            data=lambda world: {
                "policy": "default",
                "as_of": "2026-07-01",
                "targets": {"gold": {"min": 1, "max": 1}},
            },
        ),
    ],
    "tiers-apply": [
        Case(
            "apply: channel managers only",
            answers(403, anonymous=401, staff=200),
            method="post",
            data=lambda world: {"policy": "previous", "as_of": "2026-07-01"},
        ),
    ],
    "tiers-overrides": [
        Case(
            "override: channel managers only",
            answers(403, anonymous=401, staff=201),
            method="post",
            data=lambda world: {
                "partner_number": world.partner_a.partner_number,
                "tier": "gold",
                "reason": "Key account",
                "valid_from": "2026-07-01",
            },
        ),
    ],
    "tiers-partner": [
        Case("partner A", PARTNER_A_AND_STAFF, kwargs=_partner_a),
        Case("partner B", PARTNER_B_AND_STAFF, kwargs=_partner_b),
        Case("unknown partner number", NOBODY_FINDS_IT, kwargs=_unknown_partner),
    ],
}
