"""GET /api/v1/partners/: each persona sees exactly its partners; filters; contacts; auth."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from channeldesk.core.models import TokenScope
from channeldesk.core.tokens import service_token_create
from tests.api.world import World, get_counting_queries
from tests.factories import PartnerFactory, UserFactory

ALL_PARTNERS = ["A-1000", "B-2000", "C-3000"]


def _partner_numbers(response: Any) -> list[str]:
    assert response.status_code == 200, response.content[:500]
    return [partner["partner_number"] for partner in response.json()["results"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("partner_a_admin", ["A-1000"]),
        ("partner_a_user", ["A-1000"]),
        ("partner_b_user", ["B-2000"]),
        ("support", ALL_PARTNERS),
        ("staff", ALL_PARTNERS),
    ],
)
def test_partner_list_shows_exactly_the_partners_the_persona_may_see(
    persona: str, expected: list[str], world: World, client_as: Callable[[str], APIClient]
) -> None:
    response = client_as(persona).get("/api/v1/partners/")

    assert _partner_numbers(response) == expected
    assert response.json()["count"] == len(expected)


def test_partner_detail_shows_master_data_and_account_manager(
    world: World, client_as: Callable[[str], APIClient]
) -> None:
    manager = UserFactory(username="mara", first_name="Mara", last_name="Manager")
    world.partner_a.account_manager = manager
    world.partner_a.save()

    response = client_as("partner_a_user").get("/api/v1/partners/A-1000/")

    assert response.status_code == 200
    assert response.json() == {
        "partner_number": "A-1000",
        "name": "Alpha Systemhaus GmbH",
        "street": "Hauptstraße 1",
        "postal_code": "80331",
        "city": "München",
        "country": "DE",
        "vat_id": "",
        "email": "a-1000@example.com",
        "phone": "",
        "language": "de",
        "status": "authorized",
        "account_manager": {"name": "Mara Manager", "email": "mara@example.com"},
        "partner_since": None,
        "tier": None,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"status": "suspended"}, ["C-3000"]),
        ({"status": "authorized"}, ["A-1000", "B-2000"]),
        ({"search": "b-2"}, ["B-2000"]),
        ({"search": "gamma"}, ["C-3000"]),
        ({"search": "GmbH", "status": "authorized"}, ["A-1000"]),
        ({"search": "nobody"}, []),
    ],
)
def test_staff_filters_partners_by_status_and_search(
    query: dict[str, str],
    expected: list[str],
    world: World,
    client_as: Callable[[str], APIClient],
) -> None:
    assert _partner_numbers(client_as("staff").get("/api/v1/partners/", query)) == expected


def test_partner_user_search_never_reaches_other_partners(
    world: World, client_as: Callable[[str], APIClient]
) -> None:
    client = client_as("partner_a_user")

    assert _partner_numbers(client.get("/api/v1/partners/", {"search": "Beta"})) == []
    assert _partner_numbers(client.get("/api/v1/partners/", {"status": "suspended"})) == []


def test_filters_narrow_the_list_but_not_the_detail(
    world: World, client_as: Callable[[str], APIClient]
) -> None:
    response = client_as("staff").get("/api/v1/partners/A-1000/", {"status": "suspended"})

    assert response.status_code == 200
    assert response.json()["partner_number"] == "A-1000"


@pytest.mark.parametrize(
    ("persona", "partner_number", "expected"),
    [
        ("partner_a_admin", "A-1000", ["Anna Alpha"]),
        ("partner_b_user", "B-2000", ["Bernd Beta"]),
        ("support", "B-2000", ["Bernd Beta"]),
        ("staff", "C-3000", []),
    ],
)
def test_contacts_of_a_visible_partner(
    persona: str,
    partner_number: str,
    expected: list[str],
    world: World,
    client_as: Callable[[str], APIClient],
) -> None:
    response = client_as(persona).get(f"/api/v1/partners/{partner_number}/contacts/")

    assert response.status_code == 200
    assert [contact["name"] for contact in response.json()["results"]] == expected


def test_contact_fields(world: World, client_as: Callable[[str], APIClient]) -> None:
    response = client_as("partner_a_user").get("/api/v1/partners/A-1000/contacts/")

    assert response.json()["results"] == [
        {
            "id": world.contact_a.pk,
            "name": "Anna Alpha",
            "role": "sales",
            "email": "",
            "phone": "",
        }
    ]


def test_personal_token_scopes_like_a_session(world: World) -> None:
    issued = service_token_create(
        name="script", scope=TokenScope.PERSONAL, user=world.personas.partner_b_user
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    assert _partner_numbers(client.get("/api/v1/partners/")) == ["B-2000"]
    assert client.get("/api/v1/partners/A-1000/").status_code == 404


def test_personal_token_of_a_deactivated_user_is_refused(world: World) -> None:
    user = world.personas.partner_a_user
    issued = service_token_create(name="script", scope=TokenScope.PERSONAL, user=user)
    user.is_active = False
    user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    response = client.get("/api/v1/partners/")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"


def test_partner_list_takes_the_same_queries_for_3_and_30_partners(
    world: World, client_as: Callable[[str], APIClient]
) -> None:
    client = client_as("staff")
    _, few = get_counting_queries(client, "/api/v1/partners/")
    manager = UserFactory(username="mara")
    PartnerFactory.create_batch(27, account_manager=manager)
    response, many = get_counting_queries(client, "/api/v1/partners/")

    assert response.json()["count"] == 30
    assert many == few


def test_partner_shows_its_current_tier_with_reasons(
    world: World, client_as: Callable[[str], APIClient]
) -> None:
    from channeldesk.tiers.models import AssignmentSource, TierAssignment, TierPolicy

    reasons = [
        {
            "tier": "gold",
            "criterion": "revenue",
            "measured": 30000,
            "threshold": 25000,
            "comparison": "at_least",
            "holds": True,
        }
    ]
    policy = TierPolicy.objects.get(code="previous")
    TierAssignment.objects.create(
        partner=world.partner_a,
        policy=policy,
        tier=policy.tiers.get(code="gold"),
        valid_from=dt.date(2020, 1, 1),
        source=AssignmentSource.EVALUATION,
        reasons=reasons,
    )

    listed = client_as("partner_a_user").get("/api/v1/partners/").json()["results"][0]["tier"]
    detail = client_as("staff").get(f"/api/v1/partners/{world.partner_a.partner_number}/").json()

    assert listed == detail["tier"]
    assert listed == {
        "code": "gold",
        "name_de": "Gold-Partner",
        "name_en": "Gold Partner",
        "discount_percent": "30.00",
        "policy": "previous@1",
        "valid_from": "2020-01-01",
        "source": "evaluation",
        "reasons": reasons,
    }
