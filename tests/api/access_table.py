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

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from channeldesk.contracts.models import ContractStatus
from channeldesk.contracts.services import customer_partner_change
from tests.api.world import PERSONA_NAMES, World
from tests.contracts.factories import contract_of, customer_of
from tests.tiers.conftest import previous_tier


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


# --- Customers and contracts: each case builds the customer and contract it asks about. -----


def _customer_a(world: World) -> dict[str, Any]:
    return {"customer_number": customer_of(world.partner_a, customer_number="K-A").customer_number}


def _customer_b(world: World) -> dict[str, Any]:
    return {"customer_number": customer_of(world.partner_b, customer_number="K-B").customer_number}


def _customer_moved_from_a_to_b(world: World) -> dict[str, Any]:
    """Looked after by A until yesterday, by B since: only B (and staff) may see it now."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    customer = customer_of(world.partner_a, customer_number="K-MOVED")
    customer_partner_change(customer=customer, partner=world.partner_b, on=yesterday)
    contract_of(customer, partner=world.partner_a, contract_number="V-MOVED")
    return {"customer_number": customer.customer_number}


def _contract_a(world: World, **fields: Any) -> dict[str, Any]:
    customer = customer_of(world.partner_a, customer_number="K-A")
    contract = contract_of(customer, product=world.product, contract_number="V-A", **fields)
    return {"contract_number": contract.contract_number}


def _contract_b(world: World) -> dict[str, Any]:
    customer = customer_of(world.partner_b, customer_number="K-B")
    contract = contract_of(customer, product=world.product, contract_number="V-B")
    return {"contract_number": contract.contract_number}


def _contract_sold_by_a_of_a_customer_now_with_b(world: World) -> dict[str, Any]:
    _customer_moved_from_a_to_b(world)
    return {"contract_number": "V-MOVED"}


def _renewed_contract_a(world: World) -> dict[str, Any]:
    return _contract_a(world, status=ContractStatus.RENEWED)


def _contract_a_with_tier(world: World) -> dict[str, Any]:
    previous_tier(world.partner_a, "silver")
    return _contract_a(world)


def _contract_b_with_tier(world: World) -> dict[str, Any]:
    previous_tier(world.partner_b, "gold")
    return _contract_b(world)


def _unknown_contract(world: World) -> dict[str, Any]:
    return {"contract_number": "V-9999"}


def _customer_a_for_a_new_contract(world: World) -> dict[str, Any]:
    customer_of(world.partner_a, customer_number="K-A")
    return {}


def _new_contract(world: World) -> dict[str, Any]:
    return {
        "contract_number": "V-NEW",
        "customer_number": "K-A",
        "sku": world.product.sku,
        "seats": 10,
        "start_date": "2026-04-01",
        "end_date": "2027-03-31",
    }


def _renewal(world: World) -> dict[str, Any]:
    return {"contract_number": "V-A-2", "end_date": "2027-03-31"}


# Writes to contracts: vendor staff; the support desk and partner users (admins too) get 403.
BOOKED_BY_STAFF = answers(403, anonymous=401, staff=200)
CUSTOMER_MOVED_TO_B = answers(
    200, anonymous=401, outsider=403, partner_a_admin=404, partner_a_user=404
)


ACCESS_TABLE: dict[str, list[Case]] = {
    "api-schema": [Case("the OpenAPI schema needs a login", SIGNED_IN)],
    "api-docs": [Case("the API docs send a visitor to sign in", answers(200, anonymous=302))],
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
    "import-customers": [
        Case(
            "post without a file: vendor staff except the support desk",
            answers(403, anonymous=401, staff=400),
            method="post",
        ),
    ],
    "import-contracts": [
        Case(
            "post without a file: vendor staff except the support desk",
            answers(403, anonymous=401, staff=400),
            method="post",
        ),
    ],
    "customer-list": [
        Case("list", PARTNER_USERS_AND_STAFF),
        Case("filtered list", PARTNER_USERS_AND_STAFF, query={"sector": "public_authority"}),
        Case(
            "an unknown sector is refused",
            answers(400, anonymous=401, outsider=403),
            query={"sector": "bakery"},
        ),
        Case("create is not offered", READ_ONLY_ENDPOINT, method="post", data=_no_arguments),
    ],
    "customer-detail": [
        Case("customer of partner A", PARTNER_A_AND_STAFF, kwargs=_customer_a),
        Case("customer of partner B", PARTNER_B_AND_STAFF, kwargs=_customer_b),
        Case(
            "customer moved from A to B: A no longer sees it",
            CUSTOMER_MOVED_TO_B,
            kwargs=_customer_moved_from_a_to_b,
        ),
        Case(
            "unknown customer number",
            NOBODY_FINDS_IT,
            kwargs=lambda world: {"customer_number": "K-9999"},
        ),
    ],
    "contract-list": [
        Case("list", PARTNER_USERS_AND_STAFF),
        Case(
            "filtered list",
            PARTNER_USERS_AND_STAFF,
            query={"status": "active", "ending_from": "2026-01-01", "ending_to": "2026-12-31"},
        ),
        Case(
            "an end of the window before its start is refused",
            answers(400, anonymous=401, outsider=403),
            query={"ending_from": "2026-12-31", "ending_to": "2026-01-01"},
        ),
        Case(
            "create: vendor staff except the support desk",
            answers(403, anonymous=401, staff=201),
            method="post",
            kwargs=_customer_a_for_a_new_contract,
            data=_new_contract,
        ),
        Case(
            "create for an unknown customer: refused before writing",
            answers(403, anonymous=401, staff=400),
            method="post",
            data=_new_contract,
        ),
    ],
    "contract-detail": [
        Case("contract of partner A", PARTNER_A_AND_STAFF, kwargs=_contract_a),
        Case("contract of partner B", PARTNER_B_AND_STAFF, kwargs=_contract_b),
        Case(
            "sold by A, customer now with B: A no longer sees it",
            CUSTOMER_MOVED_TO_B,
            kwargs=_contract_sold_by_a_of_a_customer_now_with_b,
        ),
        Case("unknown contract number", NOBODY_FINDS_IT, kwargs=_unknown_contract),
        Case(
            "delete is not offered",
            answers(405, anonymous=401, outsider=403),
            method="delete",
            kwargs=_contract_a,
        ),
    ],
    "contract-renew": [
        Case(
            "renew: vendor staff except the support desk",
            answers(403, anonymous=401, staff=201),
            method="post",
            kwargs=_contract_a,
            data=_renewal,
        ),
        Case(
            "renewing a renewed contract: 409, nothing changes",
            answers(403, anonymous=401, staff=409),
            method="post",
            kwargs=_renewed_contract_a,
            data=_renewal,
        ),
        Case(
            "renewing without an end date: 400",
            answers(403, anonymous=401, staff=400),
            method="post",
            kwargs=_contract_a,
            data=lambda world: {"contract_number": "V-A-2"},
        ),
        Case(
            "unknown contract number",
            answers(403, anonymous=401, staff=404),
            method="post",
            kwargs=_unknown_contract,
            data=_renewal,
        ),
    ],
    "contract-cancel": [
        Case(
            "cancel: vendor staff except the support desk",
            BOOKED_BY_STAFF,
            method="post",
            kwargs=_contract_a,
            data=lambda world: {"reason": "Customer switched vendor."},
        ),
        Case(
            "cancelling a renewed contract: 409, nothing changes",
            answers(403, anonymous=401, staff=409),
            method="post",
            kwargs=_renewed_contract_a,
            data=lambda world: {"reason": "Customer switched vendor."},
        ),
    ],
    "contract-end-date": [
        Case(
            "change the end date: vendor staff except the support desk",
            BOOKED_BY_STAFF,
            method="post",
            kwargs=_contract_a,
            data=lambda world: {"end_date": "2026-06-30"},
        ),
        Case(
            "an end date before the start: 400",
            answers(403, anonymous=401, staff=400),
            method="post",
            kwargs=_contract_a,
            data=lambda world: {"end_date": "2020-01-01"},
        ),
    ],
    "contract-renewal-quote": [
        Case("contract of partner A", PARTNER_A_AND_STAFF, kwargs=_contract_a_with_tier),
        Case("contract of partner B", PARTNER_B_AND_STAFF, kwargs=_contract_b_with_tier),
        Case(
            "partner without a tier: 409",
            answers(409, anonymous=401, outsider=403, partner_b_user=404),
            kwargs=_contract_a,
        ),
        Case("unknown contract number", NOBODY_FINDS_IT, kwargs=_unknown_contract),
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


def _merge_domain_tables() -> None:
    """Add the rows of each domain's `tests/<domain>/api_access.py` (see tests/domains.py)."""
    from tests.domains import domain_modules

    for module in domain_modules("api_access"):
        clash = set(module.ACCESS) & set(ACCESS_TABLE)
        if clash:
            raise ValueError(f"{module.__name__} repeats access rows {sorted(clash)}")
        ACCESS_TABLE.update(module.ACCESS)


_merge_domain_tables()
