import datetime as dt
from decimal import Decimal

import pytest
from rest_framework.test import APIClient

from channeldesk.catalog.models import Product
from channeldesk.tiers.models import TierAssignment, TierPolicy
from tests.personas import Personas
from tests.tiers.factories import buy, previous_tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(personas: Personas, enterprise: Product) -> Personas:
    previous_tier(personas.partner_a, "silver")
    previous_tier(personas.partner_b, "gold")
    buy(personas.partner_a, enterprise, times=5, amount=Decimal("12000.00"))
    return personas


def client_for(user: object) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_simulate_answers_the_same_document_as_the_cli(programme: Personas) -> None:
    response = client_for(programme.staff).post(
        "/api/v1/tiers/simulate/", {"policy": "default", "as_of": "2026-07-01"}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"gold": 1, "silver": 0, "authorized": 1}
    assert body["directions"] == {"up": 1, "down": 1, "unchanged": 0, "new": 0}
    assert {m["partner_number"] for m in body["movers"]} == {"A-1000", "B-2000"}


def test_calibrate_validates_targets_and_writes_nothing_on_error(programme: Personas) -> None:
    client = client_for(programme.staff)

    bad = client.post(
        "/api/v1/tiers/calibrate/",
        {"policy": "default", "targets": {"gold": {"min": 9, "max": 2}}},
        format="json",
    )
    unknown = client.post(
        "/api/v1/tiers/calibrate/",
        {"policy": "default", "targets": {"platinum": {"min": 1, "max": 2}}},
        format="json",
    )

    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid"
    assert bad.json()["error"]["details"][0]["field"] == "targets.gold"
    assert unknown.status_code == 400
    assert unknown.json()["error"]["code"] == "invalid_target"
    assert TierPolicy.objects.filter(code="default").count() == 1


def test_calibrate_saves_a_draft(programme: Personas) -> None:
    response = client_for(programme.staff).post(
        "/api/v1/tiers/calibrate/",
        {"policy": "default", "as_of": "2026-07-01", "targets": {"gold": {"min": 1, "max": 1}}},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["draft"] == "default@2"
    assert response.json()["counts"]["gold"] == 1


def test_publish_apply_and_partner_tier(programme: Personas) -> None:
    staff = client_for(programme.staff)
    published = staff.post(
        "/api/v1/tiers/policies/default/publish/", {"effective_from": "2026-07-01"}, format="json"
    )
    applied = staff.post("/api/v1/tiers/apply/", {"policy": "default"}, format="json")
    again = staff.post("/api/v1/tiers/apply/", {"policy": "default"}, format="json")

    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert applied.json()["created"] == 2
    assert (again.json()["created"], again.json()["unchanged"]) == (0, 2)

    mine = client_for(programme.partner_a_user).get("/api/v1/tiers/partners/A-1000/")
    assert mine.status_code == 200
    assert mine.json()["current"]["tier"] == "gold"
    assert mine.json()["current"]["discount_percent"] == 35
    assert [h["tier"] for h in mine.json()["history"]] == ["gold", "silver"]
    assert mine.json()["hotline"]["number"] == "+493012345610"
    assert (mine.json()["hotline"]["display_de"], mine.json()["hotline"]["priority"]) == (
        "030 12345610",
        1,
    )


def test_partner_cannot_see_another_partners_tier(programme: Personas) -> None:
    response = client_for(programme.partner_b_user).get("/api/v1/tiers/partners/A-1000/")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_publishing_twice_is_a_conflict(programme: Personas) -> None:
    staff = client_for(programme.staff)
    staff.post(
        "/api/v1/tiers/policies/default/publish/", {"effective_from": "2026-07-01"}, format="json"
    )

    again = staff.post(
        "/api/v1/tiers/policies/default/publish/", {"effective_from": "2026-08-01"}, format="json"
    )

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "tier_rule_violated"
    assert TierPolicy.objects.get(code="default").effective_from == dt.date(2026, 7, 1)


def test_partners_see_only_published_policies(programme: Personas) -> None:
    codes = [
        p["policy"]
        for p in client_for(programme.partner_a_user).get("/api/v1/tiers/policies/").json()
    ]
    draft = client_for(programme.partner_a_user).get("/api/v1/tiers/policies/default/")

    assert codes == ["previous@1"]
    assert draft.status_code == 404


def test_override_through_the_api(programme: Personas) -> None:
    staff = client_for(programme.staff)
    staff.post(
        "/api/v1/tiers/policies/default/publish/", {"effective_from": "2026-07-01"}, format="json"
    )
    staff.post("/api/v1/tiers/apply/", {"policy": "default"}, format="json")

    response = staff.post(
        "/api/v1/tiers/overrides/",
        {
            "partner_number": "B-2000",
            "tier": "gold",
            "reason": "Key account",
            "valid_from": "2026-08-01",
        },
        format="json",
    )

    assert response.status_code == 201
    assert (
        TierAssignment.objects.get(partner=programme.partner_b, valid_to__isnull=True).tier.code
        == "gold"
    )


def test_evaluate_pages_partners(programme: Personas) -> None:
    response = client_for(programme.staff).get(
        "/api/v1/tiers/evaluate/", {"policy": "default", "as_of": "2026-07-01", "limit": 1}
    )

    assert response.status_code == 200
    assert response.json()["partner_count"] == 2
    assert [p["partner_number"] for p in response.json()["partners"]] == ["A-1000"]


@pytest.mark.today("2026-12-07")
def test_a_draft_without_tiers_is_refused_by_evaluate_simulate_and_calibrate(
    programme: Personas,
) -> None:
    # Given a draft policy whose tiers have not been written yet (once a 500: ValueError)
    TierPolicy.objects.create(code="empty", name="Empty", status="draft")
    client = client_for(programme.staff)
    # When staff evaluate, simulate or calibrate it
    answers = [
        client.get("/api/v1/tiers/evaluate/", {"policy": "empty", "as_of": "2026-07-01"}),
        client.post("/api/v1/tiers/simulate/", {"policy": "empty"}, format="json"),
        client.post(
            "/api/v1/tiers/calibrate/",
            {"policy": "empty", "targets": {"gold": {"min": 1, "max": 1}}},
            format="json",
        ),
    ]
    # Then each is a 409 that says what is missing, and nothing was written
    for answer in answers:
        assert answer.status_code == 409, answer.content
        assert answer.json()["error"]["code"] == "policy_without_tiers"
        assert "empty@1" in answer.json()["error"]["message"]  # in the caller's language
    assert TierPolicy.objects.filter(code="empty").count() == 1


@pytest.mark.today("2026-12-07")
def test_applying_before_the_period_ends_is_refused_with_the_day_it_can_run(
    programme: Personas,
) -> None:
    staff = client_for(programme.staff)
    staff.post(
        "/api/v1/tiers/policies/default/publish/", {"effective_from": "2027-01-01"}, format="json"
    )
    before = TierAssignment.objects.count()

    refused = staff.post("/api/v1/tiers/apply/", {"policy": "default"}, format="json")

    assert refused.status_code == 409
    error = refused.json()["error"]
    assert error["code"] == "evaluation_period_not_ended"
    assert error["details"][0]["field"] == "available_from"
    assert error["details"][0]["message"] == "2027-01-01"
    assert TierAssignment.objects.count() == before
