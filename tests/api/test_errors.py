"""Every API error comes in the one format: JSON `{"error": {code, message, details}}`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.world import World


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    return body["error"]


@pytest.fixture
def english(client_as: Callable[[str], APIClient]) -> Callable[[str], APIClient]:
    """Clients that ask for English, so that the messages can be compared exactly."""

    def sign_in(persona: str) -> APIClient:
        client = client_as(persona)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return sign_in


def test_anonymous_call_answers_401_with_a_token_challenge(
    world: World, english: Callable[[str], APIClient]
) -> None:
    response = english("anonymous").get("/api/v1/orders/")

    assert _error(response, 401) == {
        "code": "not_authenticated",
        "message": "Authentication credentials were not provided.",
        "details": [],
    }
    assert response["WWW-Authenticate"] == "Bearer"


def test_unknown_token_answers_401(world: World) -> None:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION="Bearer cdk_000000000000_not-a-real-token")

    assert _error(client.get("/api/v1/partners/"), 401) == {
        "code": "authentication_failed",
        "message": "Unknown, revoked or expired token.",
        "details": [],
    }


def test_login_without_partner_answers_403(
    world: World, english: Callable[[str], APIClient]
) -> None:
    assert _error(english("outsider").get("/api/v1/partners/"), 403) == {
        "code": "permission_denied",
        "message": "This login belongs to no partner.",
        "details": [],
    }


def test_other_partners_object_answers_404_like_a_missing_one(
    world: World, english: Callable[[str], APIClient]
) -> None:
    client = english("partner_b_user")
    other = _error(client.get(f"/api/v1/orders/{world.order_a.pk}/"), 404)
    missing = _error(client.get("/api/v1/orders/987654/"), 404)

    assert other == missing == {"code": "not_found", "message": "Not found.", "details": []}


def test_bad_date_answers_400_naming_the_parameter(
    world: World, english: Callable[[str], APIClient]
) -> None:
    response = english("staff").get("/api/v1/orders/", {"date_from": "10.01.2026"})

    assert _error(response, 400) == {
        "code": "invalid",
        "message": "The request is not valid.",
        "details": [
            {
                "field": "date_from",
                "message": "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.",
                "code": "invalid",
            }
        ],
    }


def test_reversed_date_range_answers_400(world: World, english: Callable[[str], APIClient]) -> None:
    response = english("partner_a_user").get(
        "/api/v1/orders/", {"date_from": "2026-03-01", "date_to": "2026-02-01"}
    )

    assert _error(response, 400)["details"] == [
        {"field": "date_to", "message": "must not be before date_from.", "code": "invalid"}
    ]


def test_unknown_status_answers_400(world: World, english: Callable[[str], APIClient]) -> None:
    response = english("support").get("/api/v1/partners/", {"status": "gold"})

    assert _error(response, 400)["details"] == [
        {"field": "status", "message": '"gold" is not a valid choice.', "code": "invalid_choice"}
    ]


def test_write_to_a_read_only_endpoint_answers_405(
    world: World, english: Callable[[str], APIClient]
) -> None:
    response = english("staff").put("/api/v1/partners/A-1000/", {"name": "X"}, format="json")

    assert _error(response, 405) == {
        "code": "method_not_allowed",
        "message": 'Method "PUT" not allowed.',
        "details": [],
    }
    world.partner_a.refresh_from_db()
    assert world.partner_a.name == "Alpha Systemhaus GmbH"


def test_errors_follow_the_callers_language(
    world: World, client_as: Callable[[str], APIClient]
) -> None:
    client = client_as("outsider")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"

    assert _error(client.get("/api/v1/partners/"), 403)["message"] == (
        "Dieses Login gehört zu keinem Partner."
    )


def test_a_lost_race_on_a_unique_key_answers_409_not_500() -> None:
    from django.db import IntegrityError

    from channeldesk.api.errors import exception_handler

    response = exception_handler(IntegrityError("duplicate key"), {})

    assert response is not None
    assert response.status_code == 409
    assert response.data == {
        "error": {
            "code": "conflict",
            "message": "A concurrent change to the same records won; nothing was written. Retry.",
            "details": [],
        }
    }


def test_a_services_refusal_answers_its_own_status_and_code(
    world: World, english: Callable[[str], APIClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    from channeldesk.core.errors import Conflict

    def refusing(**_: Any) -> None:
        raise Conflict(
            "The line is being rebuilt.",
            code="line_rebuilding",
            details=[{"field": "caller", "message": "try again in a minute"}],
        )

    monkeypatch.setattr("channeldesk.api.support.support_route", refusing)

    response = english("staff").get("/api/v1/support/route/", {"caller": "+4989123456"})

    assert _error(response, 409) == {
        "code": "line_rebuilding",
        "message": "The line is being rebuilt.",
        "details": [{"field": "caller", "message": "try again in a minute"}],
    }


def test_a_domains_not_found_answers_404_with_its_code(
    world: World, english: Callable[[str], APIClient]
) -> None:
    response = english("staff").get("/api/v1/tiers/evaluate/", {"policy": "no-such-policy"})

    assert _error(response, 404)["code"] == "policy_not_found"


def test_a_value_error_from_a_service_is_a_500_not_a_400(
    world: World, english: Callable[[str], APIClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> None:
        raise ValueError("a bug deep inside")

    monkeypatch.setattr("channeldesk.api.support.support_route", broken)
    client = english("staff")
    client.raise_request_exception = False

    response = client.get("/api/v1/support/route/", {"caller": "+4989123456"})

    assert _error(response, 500)["code"] == "server_error"
    assert b"a bug deep inside" not in response.content
