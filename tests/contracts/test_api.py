"""The contracts API per persona: what each sees, who may change what, and the query counts.

Who gets which status from every URL is in tests/api/access_table.py; these tests check the
answers' content and that refusals change nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from channeldesk.contracts.models import Contract, ContractStatus, CustomerSector
from channeldesk.contracts.services import customer_partner_change
from tests.contracts.factories import (
    YESTERDAY,
    contract_of,
    contracts_state,
    customer_of,
    enterprise_product,
)
from tests.personas import Personas, sign_in
from tests.tiers.factories import previous_tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_for(personas: Personas) -> Callable[[str], APIClient]:
    def signed_in(persona: str) -> APIClient:
        client = APIClient()
        sign_in(client, personas.all()[persona])
        return client

    return signed_in


@pytest.fixture
def contracts(personas: Personas) -> None:
    """Partner A looks after K-A (two contracts) and K-MOVED, which moved to B yesterday;
    partner B looks after K-B."""
    product = enterprise_product("ENT-100", list_price=Decimal("50.00"))
    customer_a = customer_of(
        personas.partner_a, customer_number="K-A", sector=CustomerSector.PUBLIC_AUTHORITY
    )
    contract_of(customer_a, contract_number="V-A-1", product=product, end_date=dt.date(2026, 3, 31))
    contract_of(customer_a, contract_number="V-A-2", product=product, end_date=dt.date(2026, 9, 30))
    moved = customer_of(personas.partner_a, customer_number="K-MOVED")
    contract_of(moved, contract_number="V-MOVED", product=product, end_date=dt.date(2026, 6, 30))
    customer_partner_change(customer=moved, partner=personas.partner_b, on=YESTERDAY)
    customer_b = customer_of(personas.partner_b, customer_number="K-B")
    contract_of(customer_b, contract_number="V-B", product=product, end_date=dt.date(2026, 5, 31))


def numbers(response: Any, key: str) -> list[str]:
    assert response.status_code == 200, response.content[:300]
    return [row[key] for row in response.json()["results"]]


# --- Reading -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("contracts")
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("partner_a_admin", ["K-A"]),
        ("partner_a_user", ["K-A"]),
        ("partner_b_user", ["K-B", "K-MOVED"]),
        ("support", ["K-A", "K-B", "K-MOVED"]),
        ("staff", ["K-A", "K-B", "K-MOVED"]),
    ],
)
def test_each_persona_lists_the_customers_of_its_partner(
    persona: str, expected: list[str], client_for: Callable[[str], APIClient]
) -> None:
    response = client_for(persona).get("/api/v1/customers/")

    assert numbers(response, "customer_number") == expected


@pytest.mark.usefixtures("contracts")
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("partner_a_admin", ["V-A-1", "V-A-2"]),
        ("partner_a_user", ["V-A-1", "V-A-2"]),
        ("partner_b_user", ["V-B", "V-MOVED"]),
        ("support", ["V-A-1", "V-B", "V-MOVED", "V-A-2"]),
        ("staff", ["V-A-1", "V-B", "V-MOVED", "V-A-2"]),
    ],
)
def test_each_persona_lists_the_contracts_of_its_customers_soonest_end_first(
    persona: str, expected: list[str], client_for: Callable[[str], APIClient]
) -> None:
    response = client_for(persona).get("/api/v1/contracts/")

    assert numbers(response, "contract_number") == expected


@pytest.mark.usefixtures("contracts")
def test_a_customer_shows_the_partner_looking_after_it_now(
    client_for: Callable[[str], APIClient],
) -> None:
    response = client_for("partner_b_user").get("/api/v1/customers/K-MOVED/")

    assert response.status_code == 200
    body = response.json()
    assert (body["customer_number"], body["partner_number"]) == ("K-MOVED", "B-2000")


@pytest.mark.usefixtures("contracts")
def test_a_contract_names_who_sold_it_and_what_it_renews(
    client_for: Callable[[str], APIClient],
) -> None:
    response = client_for("partner_b_user").get("/api/v1/contracts/V-MOVED/")

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "contract_number": "V-MOVED",
        "customer_number": "K-MOVED",
        "customer_name": body["customer_name"],
        "partner_number": "A-1000",
        "sku": "ENT-100",
        "seats": 10,
        "start_date": "2025-04-01",
        "end_date": "2026-06-30",
        "status": "active",
        "renews_contract_number": None,
        "cancelled_at": None,
        "cancellation_reason": "",
    }


@pytest.mark.usefixtures("contracts")
def test_contract_filters_narrow_the_list(client_for: Callable[[str], APIClient]) -> None:
    client = client_for("staff")

    by_window = client.get(
        "/api/v1/contracts/", {"ending_from": "2026-05-31", "ending_to": "2026-06-30"}
    )
    by_customer = client.get("/api/v1/contracts/", {"customer_number": "K-A"})
    by_seller = client.get("/api/v1/contracts/", {"partner_number": "A-1000"})
    by_sector = client.get("/api/v1/customers/", {"sector": "public_authority"})

    assert numbers(by_window, "contract_number") == ["V-B", "V-MOVED"]
    assert numbers(by_customer, "contract_number") == ["V-A-1", "V-A-2"]
    assert numbers(by_seller, "contract_number") == ["V-A-1", "V-MOVED", "V-A-2"]
    assert numbers(by_sector, "customer_number") == ["K-A"]


@pytest.mark.usefixtures("contracts")
def test_the_renewal_quote_uses_the_discount_of_who_looks_after_the_customer(
    personas: Personas, client_for: Callable[[str], APIClient]
) -> None:
    previous_tier(personas.partner_a, "gold")
    previous_tier(personas.partner_b, "silver")

    response = client_for("partner_b_user").get("/api/v1/contracts/V-MOVED/renewal-quote/")

    assert response.status_code == 200
    body = response.json()
    assert {key: body[key] for key in ("contract_number", "partner_number", "tier")} == {
        "contract_number": "V-MOVED",
        "partner_number": "B-2000",
        "tier": "silver",
    }
    assert (body["quantity"], body["list_amount"], body["discount_percent"]) == (
        "10",
        "500.00",
        "25.00",
    )
    assert body["net_amount"] == "375.00"


# --- Writing -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("contracts")
def test_staff_books_a_new_contract_for_the_customers_partner(
    client_for: Callable[[str], APIClient],
) -> None:
    response = client_for("staff").post(
        "/api/v1/contracts/",
        {
            "contract_number": "V-NEW",
            "customer_number": "K-B",
            "sku": "ENT-100",
            "seats": 3,
            "start_date": "2026-07-01",
            "end_date": "2027-06-30",
        },
        format="json",
    )

    assert response.status_code == 201
    assert (response.json()["partner_number"], response.json()["status"]) == ("B-2000", "active")
    assert Contract.objects.get(contract_number="V-NEW").seats == 3


@pytest.mark.usefixtures("contracts")
def test_staff_renews_a_contract_in_one_request(client_for: Callable[[str], APIClient]) -> None:
    response = client_for("staff").post(
        "/api/v1/contracts/V-MOVED/renew/",
        {"contract_number": "V-MOVED-2", "end_date": "2027-06-30", "seats": 12},
        format="json",
    )

    assert response.status_code == 201
    body = response.json()
    assert {
        key: body[key]
        for key in (
            "contract_number",
            "partner_number",
            "seats",
            "start_date",
            "renews_contract_number",
        )
    } == {
        "contract_number": "V-MOVED-2",
        "partner_number": "B-2000",
        "seats": 12,
        "start_date": "2026-07-01",
        "renews_contract_number": "V-MOVED",
    }
    assert Contract.objects.get(contract_number="V-MOVED").status == ContractStatus.RENEWED


@pytest.mark.usefixtures("contracts")
def test_a_second_renewal_answers_409_and_changes_nothing(
    client_for: Callable[[str], APIClient],
) -> None:
    client = client_for("staff")
    client.post(
        "/api/v1/contracts/V-B/renew/",
        {"contract_number": "V-B-2", "end_date": "2027-05-31"},
        format="json",
    )
    before = contracts_state()

    response = client.post(
        "/api/v1/contracts/V-B/renew/",
        {"contract_number": "V-B-3", "end_date": "2027-05-31"},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "not_renewable",
            "message": "Contract V-B is renewed; it cannot be renewed.",
            "details": [],
        }
    }
    assert contracts_state() == before


@pytest.mark.usefixtures("contracts")
def test_a_renewal_with_a_taken_number_is_refused_before_anything_is_written(
    client_for: Callable[[str], APIClient],
) -> None:
    before = contracts_state()

    response = client_for("staff").post(
        "/api/v1/contracts/V-B/renew/",
        {"contract_number": "V-A-1", "end_date": "2027-05-31", "sku": "NO-SUCH"},
        format="json",
    )

    # Without Accept-Language the messages are German (LANGUAGE_CODE).
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {
            "field": "contract_number",
            "message": "Ein Vertrag mit dieser Nummer ist bereits vorhanden.",
            "code": "invalid",
        },
        {
            "field": "sku",
            "message": "Es gibt kein Produkt mit dieser Artikelnummer.",
            "code": "invalid",
        },
    ]
    assert contracts_state() == before


@pytest.mark.usefixtures("contracts")
def test_staff_cancels_a_contract_with_a_reason(client_for: Callable[[str], APIClient]) -> None:
    response = client_for("staff").post(
        "/api/v1/contracts/V-A-2/cancel/", {"reason": "Insolvent."}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["status"], response.json()["cancellation_reason"]) == (
        "cancelled",
        "Insolvent.",
    )


@pytest.mark.usefixtures("contracts")
def test_staff_moves_an_end_date(client_for: Callable[[str], APIClient]) -> None:
    response = client_for("staff").post(
        "/api/v1/contracts/V-A-2/end-date/", {"end_date": "2026-12-31"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["end_date"] == "2026-12-31"
    assert Contract.objects.get(contract_number="V-A-2").end_date == dt.date(2026, 12, 31)


@pytest.mark.usefixtures("contracts")
@pytest.mark.parametrize("persona", ["partner_a_admin", "partner_a_user", "support"])
@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/api/v1/contracts/V-A-1/renew/", {"contract_number": "X", "end_date": "2027-03-31"}),
        ("/api/v1/contracts/V-A-1/cancel/", {"reason": "No longer needed."}),
        ("/api/v1/contracts/V-A-1/end-date/", {"end_date": "2026-12-31"}),
    ],
)
def test_partner_admins_and_the_support_desk_may_not_change_contracts(
    persona: str, path: str, data: dict[str, str], client_for: Callable[[str], APIClient]
) -> None:
    before = contracts_state()

    response = client_for(persona).post(path, data, format="json")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert contracts_state() == before


# --- Query counts ------------------------------------------------------------------------------


def _queries(client: APIClient, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries)


def _add_contracts(personas: Personas, count: int) -> None:
    for _ in range(count):
        contract_of(customer_of(personas.partner_a))


# Session, user, second factor and language preference (middleware), the membership (partner
# users only), the count and the page, and for customers one query for the partners looking
# after the page.
@pytest.mark.parametrize(
    ("persona", "path", "expected"),
    [
        ("partner_a_user", "/api/v1/customers/", 8),
        ("staff", "/api/v1/customers/", 7),
        ("partner_a_user", "/api/v1/contracts/", 7),
        ("staff", "/api/v1/contracts/", 6),
    ],
)
def test_list_endpoints_ask_a_fixed_number_of_queries(
    persona: str,
    path: str,
    expected: int,
    personas: Personas,
    client_for: Callable[[str], APIClient],
) -> None:
    client = client_for(persona)
    _add_contracts(personas, 2)
    few = _queries(client, path)
    _add_contracts(personas, 40)
    many = _queries(client, path)

    assert (few, many) == (expected, expected)
