"""Who gets which answer from every API endpoint. `test_access.py` walks this table.

Every URL pattern under /api/v1/ needs an entry here, keyed by its URL name (what `reverse()`
takes, with the namespace if there is one). The suite fails when a pattern has no entry, and
when an entry names no pattern, so a new endpoint cannot ship without its access rules.

To add an endpoint, add one entry with one or more cases (the statuses below illustrate the
shape; write the ones your endpoint is meant to give):

    "tiers-policy": [get("draft policy", PARTNER_USERS_AND_STAFF, given(reference="default"))],
    "tiers-publish": [
        post(
            "publish the draft",
            managers(200),
            given(reference="default"),
            given(effective_from="2026-07-01"),
        ),
    ],

- A case is one row, built by `get`, `post` or `delete`: a label, then `expect`, the status for
  every persona (see `PERSONA_NAMES` in tests/access.py): `answers(default, persona=status,
  ...)`, a helper such as `managers(status)`, or one of the presets below.
- Then `kwargs` builds the URL's arguments from the `World` (tests/api/world.py). It may also
  create the objects it needs (e.g. with a factory); it runs once per persona, each in a fresh
  database. `data` builds a POST's JSON body, `query` holds a GET's parameters; `given(...)`
  stands for arguments or a body that do not depend on the world. `Case` itself takes any
  method, and `query` as the query string of a write.
- For another partner's object the expected answer is 404, never 403: a partner must not learn
  that the object exists.
- A refused write (any status of 400 or above for POST, PUT, PATCH or DELETE) is also checked to
  have changed no row in any table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from channeldesk.contracts.models import ContractStatus
from channeldesk.contracts.services import customer_partner_change
from tests.access import AccessCase, answers, given, no_arguments
from tests.api.world import World
from tests.contracts.factories import contract_of, customer_of
from tests.tiers.factories import previous_tier


@dataclass(frozen=True)
class Case(AccessCase[World]):
    """A row of the API table: errors come in the one error format, a write's body is JSON."""


# Presets for the usual shapes of access.
EVERYONE = answers(200)
SIGNED_IN = answers(200, anonymous=401)


def partner_users(status: int) -> dict[str, int]:
    """Partner users and vendor staff get `status`; an outsider 403, the anonymous visitor 401."""
    return answers(status, anonymous=401, outsider=403)


def vendor_staff(status: int) -> dict[str, int]:
    """Vendor staff, the support desk included, get `status`; everyone else is refused."""
    return answers(403, anonymous=401, staff=status, support=status)


def managers(status: int) -> dict[str, int]:
    """Channel managers (the `staff` persona) get `status`; the support desk too is refused."""
    return answers(403, anonymous=401, staff=status)


PARTNER_USERS_AND_STAFF = partner_users(200)
PARTNER_A_AND_STAFF = answers(200, anonymous=401, outsider=403, partner_b_user=404)
PARTNER_B_AND_STAFF = answers(
    200, anonymous=401, outsider=403, partner_a_admin=404, partner_a_user=404
)
NOBODY_FINDS_IT = partner_users(404)
READ_ONLY_ENDPOINT = partner_users(405)
# Found by vendor staff only; partner users get 404.
VENDOR_STAFF_FIND_IT = answers(404, anonymous=401, outsider=403, staff=200, support=200)

Builder = Callable[[World], dict[str, Any]]


def get(
    label: str,
    expect: dict[str, int],
    kwargs: Builder = no_arguments,
    query: dict[str, str] | None = None,
) -> Case:
    """A GET case: one row of the table (`query` holds the GET parameters)."""
    return Case(label, expect, kwargs=kwargs, query=query or {})


def post(
    label: str,
    expect: dict[str, int],
    kwargs: Builder = no_arguments,
    data: Builder | None = None,
) -> Case:
    """A POST case with the JSON body `data` builds (none without it)."""
    return Case(label, expect, kwargs=kwargs, method="post", data=data)


def delete(label: str, expect: dict[str, int], kwargs: Builder) -> Case:
    return Case(label, expect, kwargs=kwargs, method="delete")


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
BOOKED_BY_STAFF = managers(200)
CUSTOMER_MOVED_TO_B = answers(
    200, anonymous=401, outsider=403, partner_a_admin=404, partner_a_user=404
)
_CANCEL = given(reason="Customer switched vendor.")
_RENEWAL_WITHOUT_END = given(contract_number="V-A-2")
_MOVED_CONTRACT = _contract_sold_by_a_of_a_customer_now_with_b
_DRAFT_ON_JULY_1 = {"policy": "default", "as_of": "2026-07-01"}
_APPLY = given(policy="previous", as_of="2026-07-01")
_CALIBRATION = given(policy="default", as_of="2026-07-01", targets={"gold": {"min": 1, "max": 1}})


def _override(world: World) -> dict[str, Any]:
    return {
        "partner_number": world.partner_a.partner_number,
        "tier": "gold",
        "reason": "Key account",
        "valid_from": "2026-07-01",
    }


ACCESS_TABLE: dict[str, list[Case]] = {
    "api-schema": [get("the OpenAPI schema needs a login", SIGNED_IN)],
    "api-docs": [get("the API docs send a visitor to sign in", answers(200, anonymous=302))],
    "partner-list": [
        get("list", PARTNER_USERS_AND_STAFF),
        get("filtered list", PARTNER_USERS_AND_STAFF, query={"status": "suspended"}),
        post("create is not offered", READ_ONLY_ENDPOINT, data=_partner_a),
    ],
    "partner-detail": [
        get("partner A", PARTNER_A_AND_STAFF, _partner_a),
        get("partner B", PARTNER_B_AND_STAFF, _partner_b),
        get("partner C without users", VENDOR_STAFF_FIND_IT, _partner_c),
        get("unknown partner number", NOBODY_FINDS_IT, _unknown_partner),
        delete("delete is not offered", partner_users(405), _partner_a),
    ],
    "partner-contact-list": [
        get("partner A", PARTNER_A_AND_STAFF, _partner_a),
        get("partner B", PARTNER_B_AND_STAFF, _partner_b),
        get("unknown partner number", NOBODY_FINDS_IT, _unknown_partner),
    ],
    "product-list": [get("list", SIGNED_IN)],
    "product-detail": [
        get("active product", SIGNED_IN, lambda world: {"sku": world.product.sku}),
        get(
            "retired product: vendor staff only",
            answers(404, anonymous=401, staff=200, support=200),
            lambda world: {"sku": world.retired_product.sku},
        ),
    ],
    "order-list": [
        get("list", PARTNER_USERS_AND_STAFF),
        get(
            "another partner's orders by filter: an empty list, not an error",
            PARTNER_USERS_AND_STAFF,
            query={"partner_number": "B-2000"},
        ),
        post("create is not offered", READ_ONLY_ENDPOINT, data=no_arguments),
    ],
    "order-detail": [
        get("order of partner A", PARTNER_A_AND_STAFF, _order_a),
        get("order of partner B", PARTNER_B_AND_STAFF, _order_b),
        get("unknown order id", NOBODY_FINDS_IT, given(pk=987654)),
    ],
    "import-partners": [post("post without a file: channel managers only", managers(400))],
    "import-products": [post("post without a file: channel managers only", managers(400))],
    "import-orders": [post("post without a file: channel managers only", managers(400))],
    "import-customers": [
        post("post without a file: vendor staff except the support desk", managers(400))
    ],
    "import-contracts": [
        post("post without a file: vendor staff except the support desk", managers(400))
    ],
    "customer-list": [
        get("list", PARTNER_USERS_AND_STAFF),
        get("filtered list", PARTNER_USERS_AND_STAFF, query={"sector": "public_authority"}),
        get("an unknown sector is refused", partner_users(400), query={"sector": "bakery"}),
        post("create is not offered", READ_ONLY_ENDPOINT, data=no_arguments),
    ],
    "customer-detail": [
        get("customer of partner A", PARTNER_A_AND_STAFF, _customer_a),
        get("customer of partner B", PARTNER_B_AND_STAFF, _customer_b),
        get(
            "customer moved from A to B: A no longer sees it",
            CUSTOMER_MOVED_TO_B,
            _customer_moved_from_a_to_b,
        ),
        get("unknown customer number", NOBODY_FINDS_IT, given(customer_number="K-9999")),
    ],
    "contract-list": [
        get("list", PARTNER_USERS_AND_STAFF),
        get(
            "filtered list",
            PARTNER_USERS_AND_STAFF,
            query={"status": "active", "ending_from": "2026-01-01", "ending_to": "2026-12-31"},
        ),
        get(
            "an end of the window before its start is refused",
            partner_users(400),
            query={"ending_from": "2026-12-31", "ending_to": "2026-01-01"},
        ),
        post(
            "create: vendor staff except the support desk",
            managers(201),
            _customer_a_for_a_new_contract,
            _new_contract,
        ),
        post(
            "create for an unknown customer: refused before writing",
            managers(400),
            data=_new_contract,
        ),
    ],
    "contract-detail": [
        get("contract of partner A", PARTNER_A_AND_STAFF, _contract_a),
        get("contract of partner B", PARTNER_B_AND_STAFF, _contract_b),
        get(
            "sold by A, customer now with B: A no longer sees it",
            CUSTOMER_MOVED_TO_B,
            _MOVED_CONTRACT,
        ),
        get("unknown contract number", NOBODY_FINDS_IT, _unknown_contract),
        delete("delete is not offered", partner_users(405), _contract_a),
    ],
    "contract-renew": [
        post("renew: vendor staff except the support desk", managers(201), _contract_a, _renewal),
        post(
            "renewing a renewed contract: 409, nothing changes",
            managers(409),
            _renewed_contract_a,
            _renewal,
        ),
        post("renewing without an end date: 400", managers(400), _contract_a, _RENEWAL_WITHOUT_END),
        post("unknown contract number", managers(404), _unknown_contract, _renewal),
    ],
    "contract-cancel": [
        post("cancel: vendor staff except the support desk", BOOKED_BY_STAFF, _contract_a, _CANCEL),
        post(
            "cancelling a renewed contract: 409, nothing changes",
            managers(409),
            _renewed_contract_a,
            _CANCEL,
        ),
    ],
    "contract-end-date": [
        post(
            "change the end date: vendor staff except the support desk",
            BOOKED_BY_STAFF,
            _contract_a,
            given(end_date="2026-06-30"),
        ),
        post(
            "an end date before the start: 400",
            managers(400),
            _contract_a,
            given(end_date="2020-01-01"),
        ),
    ],
    "contract-renewal-quote": [
        get("contract of partner A", PARTNER_A_AND_STAFF, _contract_a_with_tier),
        get("contract of partner B", PARTNER_B_AND_STAFF, _contract_b_with_tier),
        get(
            "partner without a tier: 409",
            answers(409, anonymous=401, outsider=403, partner_b_user=404),
            _contract_a,
        ),
        get("unknown contract number", NOBODY_FINDS_IT, _unknown_contract),
    ],
    "api-not-found": [
        get(
            "an unknown path answers 404 in the error format",
            answers(404),
            given(path="no/such/endpoint"),
        ),
    ],
    "tiers-policies": [get("list: partners see published policies only", PARTNER_USERS_AND_STAFF)],
    "tiers-policy": [
        get("published policy", PARTNER_USERS_AND_STAFF, given(reference="previous")),
        get("draft policy: vendor staff only", VENDOR_STAFF_FIND_IT, given(reference="default")),
    ],
    "tiers-publish": [
        post(
            "publish a draft: channel managers only",
            managers(200),
            given(reference="default"),
            given(effective_from="2026-07-01"),
        ),
    ],
    "tiers-evaluate": [get("evaluate: vendor staff", vendor_staff(200), query=_DRAFT_ON_JULY_1)],
    "tiers-simulate": [
        post("simulate: vendor staff", vendor_staff(200), data=given(**_DRAFT_ON_JULY_1))
    ],
    "tiers-calibrate": [post("calibrate: channel managers only", managers(200), data=_CALIBRATION)],
    "tiers-apply": [post("apply: channel managers only", managers(200), data=_APPLY)],
    "tiers-overrides": [post("override: channel managers only", managers(201), data=_override)],
    "tiers-partner": [
        get("partner A", PARTNER_A_AND_STAFF, _partner_a),
        get("partner B", PARTNER_B_AND_STAFF, _partner_b),
        get("unknown partner number", NOBODY_FINDS_IT, _unknown_partner),
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
