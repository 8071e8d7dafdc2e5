"""The webhook events are documented in the OpenAPI schema as webhooks, one per event type, with
the envelope and the type's payload; the subscription endpoints are documented too."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from drf_spectacular.validation import validate_schema

from channeldesk.webhooks.events import EVENT_TYPES
from channeldesk.webhooks.payloads import PAYLOADS

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema(staff_client: Client) -> dict[str, Any]:
    response = staff_client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _resolved(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_event_type_is_a_webhook_of_the_schema(schema: dict[str, Any]) -> None:
    validate_schema(schema)

    assert set(schema["webhooks"]) == set(EVENT_TYPES)


@pytest.mark.parametrize("event_type", list(EVENT_TYPES))
def test_each_webhook_carries_the_envelope_with_its_own_payload(
    schema: dict[str, Any], event_type: str
) -> None:
    operation = schema["webhooks"][event_type]["post"]
    body = _resolved(schema, operation["requestBody"]["content"]["application/json"]["schema"])

    assert {"id", "type", "version", "timestamp", "sequence", "data"} <= set(body["properties"])
    assert body["properties"]["type"]["const"] == event_type
    data = _resolved(schema, body["properties"]["data"])
    payload_fields = set(PAYLOADS[event_type].model_fields)
    assert set(data["properties"]) == payload_fields
    for header in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert f"`{header}`" in operation["description"]


def test_the_subscription_endpoints_are_documented(schema: dict[str, Any]) -> None:
    paths = schema["paths"]

    assert set(paths["/api/v1/webhooks/subscriptions/"]) == {"get", "post"}
    assert set(paths["/api/v1/webhooks/subscriptions/{id}/"]) == {"get", "patch", "delete"}
    for action in ("pause", "resume", "rotate-secret"):
        assert set(paths[f"/api/v1/webhooks/subscriptions/{{id}}/{action}/"]) == {"post"}
    assert set(paths["/api/v1/webhooks/deliveries/{id}/send-again/"]) == {"post"}
    created = paths["/api/v1/webhooks/subscriptions/"]["post"]["responses"]["201"]
    created_schema = _resolved(schema, created["content"]["application/json"]["schema"])
    assert "secret" in created_schema["properties"]
    listed = paths["/api/v1/webhooks/subscriptions/{id}/"]["get"]["responses"]["200"]
    listed_schema = _resolved(schema, listed["content"]["application/json"]["schema"])
    assert "secret" not in listed_schema["properties"]


def test_a_partner_user_sees_the_webhooks_too(client_for: Any) -> None:
    response = client_for("partner_a_user").get("/api/v1/schema/", {"format": "json"})

    assert set(response.json()["webhooks"]) == set(EVENT_TYPES)
