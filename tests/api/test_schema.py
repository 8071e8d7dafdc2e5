"""The OpenAPI schema is served (to a login), valid, and generated without warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.test import Client
from drf_spectacular.management.commands.spectacular import SchemaGenerationError
from drf_spectacular.validation import validate_schema


def test_schema_is_served_and_valid(staff_client: Client) -> None:
    response = staff_client.get("/api/v1/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["info"]["title"] == "ChannelDesk API"


def test_schema_describes_the_register_endpoints(staff_client: Client) -> None:
    paths = staff_client.get("/api/v1/schema/", {"format": "json"}).json()["paths"]

    for path in [
        "/api/v1/partners/",
        "/api/v1/partners/{partner_number}/",
        "/api/v1/partners/{partner_number}/contacts/",
        "/api/v1/products/",
        "/api/v1/products/{sku}/",
        "/api/v1/orders/",
        "/api/v1/orders/{id}/",
    ]:
        assert list(paths[path]) == ["get"], path
    order_filters = {p["name"] for p in paths["/api/v1/orders/"]["get"]["parameters"]}
    assert order_filters == {"partner_number", "date_from", "date_to", "limit", "offset"}
    partner_filters = {p["name"] for p in paths["/api/v1/partners/"]["get"]["parameters"]}
    assert partner_filters == {"status", "search", "limit", "offset"}
    error = paths["/api/v1/orders/{id}/"]["get"]["responses"]["404"]
    assert error["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ApiError"
    }


@pytest.mark.django_db
def test_schema_generates_without_warnings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "schema.yaml"

    try:
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    except SchemaGenerationError:
        # drf-spectacular prints its warnings to the process's stderr, not the command's.
        pytest.fail(f"drf-spectacular warned:\n{capsys.readouterr().err}")

    assert "paths" in yaml.safe_load(target.read_text())
