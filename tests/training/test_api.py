"""The training company's push and the phone system's route lookup, with their own tokens."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from channeldesk.core.models import TokenScope
from channeldesk.core.tokens import service_token_create
from channeldesk.training.models import Enrollment
from tests.personas import Personas
from tests.tiers.factories import previous_tier

pytestmark = pytest.mark.django_db

CSV = (
    "record_id;partner_number;course_code;participant_name;participant_email;session_date;status\n"
    "NA-1;A-1000;CD-GOLD-2D;Anna Alpha;anna@alpha.example;12.03.2025;completed\n"
)


def client_with(scope: TokenScope) -> APIClient:
    client = APIClient()
    secret = service_token_create(name=f"{scope} system", scope=scope).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def push(client: APIClient, body: str = CSV, query: str = "") -> object:
    return client.generic(
        "POST", f"/api/v1/training/records/{query}", body.encode(), content_type="text/csv"
    )


def test_the_training_company_pushes_its_records_with_its_token(personas: Personas) -> None:
    client = client_with(TokenScope.TRAINING)

    first = push(client)
    second = push(client)

    assert first.status_code == 200, first.content  # type: ignore[attr-defined]
    assert (first.json()["created"], second.json()["unchanged"]) == (1, 1)  # type: ignore[attr-defined]
    assert Enrollment.objects.get().partner == personas.partner_a


def test_a_rejected_push_answers_400_with_every_problem_and_writes_nothing(
    personas: Personas,
) -> None:
    body = CSV + "NA-2;Z-9;CD-GOLD-2D;X;x@z.example;12.03.2025;completed\n"

    response = push(client_with(TokenScope.TRAINING), body)

    assert response.status_code == 400  # type: ignore[attr-defined]
    error = response.json()["error"]  # type: ignore[attr-defined]
    assert error["code"] == "import_rejected"
    assert [(d["row"], d["column"]) for d in error["details"]] == [(3, "partner_number")]
    assert Enrollment.objects.count() == 0


def test_the_training_token_can_do_nothing_else(personas: Personas) -> None:
    client = client_with(TokenScope.TRAINING)

    assert client.get("/api/v1/support/route/", {"partner_number": "A-1000"}).status_code == 403
    assert client.get("/api/v1/tiers/partners/A-1000/").status_code == 403
    assert client.get("/api/v1/training/partners/A-1000/").status_code == 403
    assert client.get("/api/v1/partners/").status_code == 403


def test_the_support_token_routes_calls_and_cannot_push_training(personas: Personas) -> None:
    previous_tier(personas.partner_a, "gold")
    client = client_with(TokenScope.SUPPORT)

    route = client.get("/api/v1/support/route/", {"partner_number": "A-1000"})
    refused = push(client)

    assert route.status_code == 200
    assert route.json()["hotline"]["number"] == "+493012345610"
    assert route.json()["priority"] == 1
    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert Enrollment.objects.count() == 0


def test_a_partner_sees_its_people_and_what_the_tiers_ask(personas: Personas) -> None:
    push(client_with(TokenScope.TRAINING))
    client = APIClient()
    client.force_authenticate(personas.partner_a_user)

    body = client.get("/api/v1/training/partners/A-1000/").json()

    assert body["records"][0]["participant"] == "Anna Alpha"
    assert body["records"][0]["valid_until"] == "2027-03-12"
    assert body["policy"] == "previous@1"
    assert body["requirements"] == []  # the policy in force asks for no training


def test_the_training_company_may_push_json_records(personas: Personas) -> None:
    client = client_with(TokenScope.TRAINING)
    good = {
        "record_id": "NA-1",
        "partner_number": "A-1000",
        "course_code": "CD-GOLD-2D",
        "participant_name": "Anna Alpha",
        "participant_email": "anna@alpha.example",
        "session_date": "2025-03-12",
        "status": "completed",
    }

    accepted = client.post("/api/v1/training/records/", {"records": [good]}, format="json")
    rejected = client.post(
        "/api/v1/training/records/",
        {"records": [{**good, "record_id": "NA-2"}, {**good, "record_id": "NA-3", "status": "x"}]},
        format="json",
    )
    malformed = client.post("/api/v1/training/records/", {"records": "NA-1"}, format="json")

    assert accepted.status_code == 200
    assert accepted.json()["created"] == 1
    assert rejected.status_code == 400
    assert [(d["row"], d["column"]) for d in rejected.json()["error"]["details"]] == [(2, "status")]
    assert malformed.status_code == 400
    assert list(Enrollment.objects.values_list("record_id", flat=True)) == ["NA-1"]
