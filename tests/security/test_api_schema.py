"""The OpenAPI schema and the docs need a login; each caller sees the operations it may call,
and the schema matches the API (paginated lists, the error answers)."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from channeldesk.core.models import TokenScope
from channeldesk.core.tokens import service_token_create
from tests.personas import Personas, sign_in

pytestmark = pytest.mark.django_db
SCHEMA = "/api/v1/schema/"


def _operations(client: APIClient) -> set[str]:
    response = client.get(SCHEMA, {"format": "json"})
    assert response.status_code == 200, response.content[:300]
    paths: dict[str, dict[str, Any]] = response.json()["paths"]
    return {f"{method.upper()} {path}" for path, item in paths.items() for method in item}


def _session(user: Any) -> APIClient:
    client = APIClient()
    sign_in(client, user)
    return client


def _token(scope: TokenScope) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {service_token_create(name='x', scope=scope).secret}"
    )
    return client


def test_anonymous_gets_neither_the_schema_nor_the_docs() -> None:
    client = APIClient()

    schema = client.get(SCHEMA)
    docs = client.get("/api/v1/docs/")

    assert schema.status_code == 401
    assert schema.json()["error"]["code"] == "not_authenticated"
    assert docs.status_code == 302
    assert docs["Location"].startswith("/accounts/login/?next=")


def test_staff_see_every_operation(personas: Personas) -> None:
    operations = _operations(_session(personas.staff))

    assert {
        "POST /api/v1/tiers/apply/",
        "POST /api/v1/imports/orders",
        "POST /api/v1/usage/events",
        "GET /api/v1/partners/",
    } <= operations


def test_a_partner_sees_only_what_a_partner_may_call(personas: Personas) -> None:
    operations = _operations(_session(personas.partner_a_user))

    assert "GET /api/v1/partners/" in operations
    assert "GET /api/v1/usage/statements/" in operations
    assert not any(
        operation.startswith(("POST /api/v1/tiers/", "POST /api/v1/imports/"))
        for operation in operations
    )
    assert "POST /api/v1/usage/events" not in operations
    assert "GET /api/v1/licensing/compliance/" not in operations


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (TokenScope.USAGE, {"POST /api/v1/usage/events"}),
        (TokenScope.SUPPORT, {"GET /api/v1/support/route/"}),
        (TokenScope.TRAINING, {"POST /api/v1/training/records/"}),
    ],
)
def test_a_service_token_sees_its_scope_and_the_public_endpoints(
    scope: TokenScope, expected: set[str]
) -> None:
    operations = _operations(_token(scope))

    public = {
        "POST /api/v1/checkins/activate",
        "POST /api/v1/checkins/heartbeats",
        "GET /api/v1/licensing/public-key/",
    }
    assert operations == expected | public


def test_lists_are_documented_as_pages_with_the_error_answers(personas: Personas) -> None:
    response = _session(personas.staff).get(SCHEMA, {"format": "json"})
    schema = response.json()
    operation = schema["paths"]["/api/v1/usage/statements/"]["get"]

    ok = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert ok == {"$ref": "#/components/schemas/PaginatedStatementList"}
    limit = next(p for p in operation["parameters"] if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 1000)
    assert {"400", "401", "403"} <= set(operation["responses"])


def test_the_docs_page_loads_swagger_ui_from_the_project(personas: Personas) -> None:
    page = _session(personas.partner_a_user).get("/api/v1/docs/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    # The start script has its own URL: no inline script or style for the CSP to block.
    assert "<script>" not in html
    assert "<style>" not in html
