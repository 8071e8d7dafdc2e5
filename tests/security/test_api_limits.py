"""Limits of the API: every list has a ceiling, the ingest endpoints take their documented
batches, and every refusal under /api/ comes in the API's JSON error format."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string, _mask_cipher_secret
from django.test import override_settings
from rest_framework.test import APIClient

from channeldesk.licensing.models import Heartbeat, Installation
from tests.personas import Personas, sign_in

pytestmark = pytest.mark.django_db


def _error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert set(body["error"]) == {"code", "message", "details"}
    return body["error"]


@pytest.fixture
def staff(personas: Personas) -> APIClient:
    client = APIClient()
    sign_in(client, personas.staff)
    return client


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "100000"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "9" * 400}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"offset": "99999999999999999999"}, "offset"),
        ({"offset": "1.5"}, "offset"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/v1/partners/", "/api/v1/orders/", "/api/v1/contracts/", "/api/v1/customers/"]
)
def test_a_page_out_of_range_answers_400_naming_the_parameter(
    staff: APIClient, path: str, query: dict[str, str], field: str
) -> None:
    error = _error(staff.get(path, query), 400)

    assert error["code"] == "invalid"
    assert [detail["field"] for detail in error["details"]] == [field]


def test_the_largest_page_is_served(staff: APIClient) -> None:
    response = staff.get("/api/v1/partners/", {"limit": "1000", "offset": "0"})

    assert response.status_code == 200
    assert response.json()["count"] == 2


def test_the_evaluation_pages_with_the_same_ceiling(staff: APIClient) -> None:
    error = _error(staff.get("/api/v1/tiers/evaluate/", {"policy": "x", "limit": "10001"}), 400)

    assert error["details"][0]["field"] == "limit"


def _heartbeat(index: int) -> dict[str, Any]:
    return {
        "keycode": "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE",
        "installation_id": f"00000000-0000-4000-8000-{index:012d}",
        "fingerprint": "ab" * 32,
        "hostname_hash": "cd" * 32,
        "product_version": "12.4.1",
        "active_users": 1,
        "observed_at": "2026-11-05T10:00:00+01:00",
    }


def test_a_documented_batch_of_10000_heartbeats_is_answered_item_by_item() -> None:
    # Given 10,000 heartbeats, more than Django's 2.5 MiB in-memory body limit,
    body = json.dumps({"heartbeats": [_heartbeat(index) for index in range(10_000)]})
    assert len(body) > 2.5 * 1024 * 1024

    # when a site sends them,
    response = APIClient().post(
        "/api/v1/checkins/heartbeats", body, content_type="application/json"
    )

    # then each gets its own result (here: the keycode is not a real one), not an HTML 400.
    assert response.status_code == 200, response.content[:300]
    assert len(response.json()["results"]) == 10_000


@override_settings(API_INGEST_MAX_BODY_BYTES=10_000)
def test_an_ingest_body_over_its_limit_answers_413_and_writes_nothing() -> None:
    body = json.dumps({"heartbeats": [_heartbeat(index) for index in range(100)]})

    response = APIClient().post(
        "/api/v1/checkins/heartbeats", body, content_type="application/json"
    )

    assert _error(response, 413)["code"] == "request_too_large"
    assert Installation.objects.count() == Heartbeat.objects.count() == 0


def test_a_large_body_to_an_endpoint_that_ingests_nothing_answers_413_in_json(
    staff: APIClient,
) -> None:
    body = json.dumps({"code": "x" * (3 * 1024 * 1024)})

    response = staff.post(
        "/api/v1/licensing/keycodes/check/", body, content_type="application/json"
    )

    assert _error(response, 413)["code"] == "request_too_large"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("get", "/api/nope", 404, "not_found"),
        ("get", "/api/v1/nope/", 404, "not_found"),
        ("post", "/api/v1/nope/", 404, "not_found"),
        ("delete", "/api/v1/checkins/heartbeats", 405, "method_not_allowed"),
        ("put", "/api/v1/partners/", 405, "method_not_allowed"),
    ],
)
def test_refusals_before_or_outside_drf_come_as_json(
    staff: APIClient, method: str, path: str, status: int, code: str
) -> None:
    response = getattr(staff, method)(path)

    assert _error(response, status)["code"] == code


def test_a_session_write_without_the_csrf_token_answers_403_in_json(
    personas: Personas,
) -> None:
    client = APIClient(enforce_csrf_checks=True)
    sign_in(client, personas.staff)

    response = client.post(
        "/api/v1/tiers/overrides/",
        {"partner_number": "A-1000", "tier": "gold", "reason": "x"},
        format="json",
    )

    error = _error(response, 403)
    assert error["code"] == "permission_denied"
    assert error["message"].startswith("CSRF Failed")


@pytest.mark.parametrize("persona", ["partner_a_admin", "partner_b_user", "support"])
@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/api/v1/tiers/calibrate/", "text/plain"),
        ("/api/v1/tiers/apply/", "application/json"),
        ("/api/v1/imports/partners", "text/csv"),
        ("/api/v1/imports/orders", "multipart/form-data; boundary=x"),
        ("/api/v1/licensing/keycodes/", "application/xml"),
    ],
)
def test_permission_is_checked_before_the_body_is_read(
    personas: Personas, persona: str, path: str, content_type: str
) -> None:
    # Given a partner or the support desk with a session (and its CSRF token),
    client = APIClient(enforce_csrf_checks=True)
    sign_in(client, getattr(personas, persona))
    secret = _get_new_csrf_string()
    client.cookies[settings.CSRF_COOKIE_NAME] = secret
    # when it posts a body too large and of a type the endpoint may not take,
    response = client.post(
        path,
        b"\xff" * (3 * 1024 * 1024),
        content_type=content_type,
        HTTP_X_CSRFTOKEN=_mask_cipher_secret(secret),
    )

    # then the answer is 403, not 413, 415 or 400.
    assert _error(response, 403)["code"] == "permission_denied"


def test_an_unexpected_error_answers_500_in_json_without_details(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken() -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr("channeldesk.api.licensing.key_material", broken)
    client = APIClient(raise_request_exception=False)

    response = client.get("/api/v1/licensing/public-key/")

    assert _error(response, 500) == {
        "code": "server_error",
        "message": response.json()["error"]["message"],
        "details": [],
    }
    assert b"secret internals" not in response.content
