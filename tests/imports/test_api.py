"""POST /api/v1/imports/{partners,products,orders}: access, both upload forms, errors."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from channeldesk.catalog.models import Order
from channeldesk.partners.models import Partner
from channeldesk.tiers.hotlines import support_route
from tests.factories import ProductFactory
from tests.imports.helpers import database_state, excel_csv
from tests.personas import Personas

PARTNERS_URL = "/api/v1/imports/partners"
HEADER = "partner_number;name;street;postal_code;city;country;vat_id;email;status\n"
PARTNERS = HEADER + (
    "P-1001;Alpha Systemhaus GmbH;Hauptstraße 1;80331;München;DE;DE136695976;a@alpha.example;"
    "authorized\n"
    "P-1002;Beta KG;Weg 2;40212;Düsseldorf;DE;DE812345673;b@beta.example;authorized\n"
)


def upload(text: str, name: str = "partners.csv") -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, excel_csv(text), content_type="text/csv")}


@pytest.fixture
def staff_client(personas: Personas, api_client: APIClient) -> APIClient:
    api_client.force_authenticate(personas.staff)
    return api_client


@pytest.mark.parametrize(
    ("persona", "status", "code"),
    [
        ("staff", 200, None),
        ("support", 403, "permission_denied"),
        ("partner_a_admin", 403, "permission_denied"),
        ("partner_a_user", 403, "permission_denied"),
        ("partner_b_user", 403, "permission_denied"),
    ],
)
def test_only_vendor_staff_outside_the_support_desk_may_import(
    personas: Personas, api_client: APIClient, persona: str, status: int, code: str | None
) -> None:
    # Given a signed-in persona
    api_client.force_authenticate(personas.all()[persona])
    before = database_state()
    # When it posts a valid partners file
    response = api_client.post(PARTNERS_URL, upload(PARTNERS), format="multipart")
    # Then staff imports it; everyone else is refused and nothing changed
    assert response.status_code == status
    if code is None:
        assert Partner.objects.filter(partner_number__in=["P-1001", "P-1002"]).count() == 2
    else:
        assert response.json()["error"]["code"] == code
        assert database_state() == before


@pytest.mark.django_db
def test_anonymous_callers_are_asked_to_authenticate(api_client: APIClient) -> None:
    before = database_state()
    response = api_client.post(PARTNERS_URL, upload(PARTNERS), format="multipart")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert database_state() == before


def test_a_multipart_upload_answers_with_the_report(staff_client: APIClient) -> None:
    response = staff_client.post(PARTNERS_URL, upload(PARTNERS), format="multipart")
    assert response.status_code == 200
    assert response.json() == {
        "kind": "partners",
        "file": "partners.csv",
        "dry_run": False,
        "accepted": True,
        "encoding": "windows-1252",
        "delimiter": ";",
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "warnings": [],
    }


def test_the_raw_body_as_text_csv_imports_under_its_content_disposition_name(
    staff_client: APIClient,
) -> None:
    response = staff_client.post(
        PARTNERS_URL,
        data=PARTNERS.replace(";status\n", ";status;fax\n").encode(),
        content_type="text/csv",
        headers={"Content-Disposition": 'attachment; filename="erp-export.csv"'},
    )
    assert response.status_code == 200
    body = response.json()
    assert (body["file"], body["encoding"], body["created"]) == ("erp-export.csv", "utf-8", 2)
    assert body["warnings"] == [
        {"file": "erp-export.csv", "row": 1, "column": "fax", "message": "unknown column; ignored"}
    ]


def test_a_rejected_file_answers_400_with_every_problem_and_writes_nothing(
    staff_client: APIClient,
) -> None:
    before = database_state()
    bad = PARTNERS.replace("DE812345673", "DE812345674").replace("P-1002", "")
    response = staff_client.post(PARTNERS_URL, data=bad.encode(), content_type="text/csv")
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "import_rejected",
            "message": "body.csv: rejected with 2 problems; nothing was imported.",
            "details": [
                {
                    "file": "body.csv",
                    "row": 3,
                    "column": "partner_number",
                    "message": "a value is required",
                },
                {
                    "file": "body.csv",
                    "row": 3,
                    "column": "vat_id",
                    "message": "VAT ID DE812345674 has an invalid check digit",
                },
            ],
        }
    }
    assert database_state() == before


def test_dry_run_answers_with_the_counts_and_writes_nothing(staff_client: APIClient) -> None:
    before = database_state()
    response = staff_client.post(
        f"{PARTNERS_URL}?dry_run=true", upload(PARTNERS), format="multipart"
    )
    assert response.status_code == 200
    assert (response.json()["dry_run"], response.json()["created"]) == (True, 2)
    assert database_state() == before


def test_a_request_without_a_file_is_refused(staff_client: APIClient) -> None:
    before = database_state()
    response = staff_client.post(
        PARTNERS_URL, {}, format="multipart", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "file_missing",
            "message": (
                "Send the file as multipart field 'file', or as a text/csv or .xlsx request body."
            ),
            "details": [{"field": "file", "message": "No file was sent."}],
        }
    }
    assert database_state() == before


def test_an_unreadable_dry_run_flag_is_refused(staff_client: APIClient) -> None:
    before = database_state()
    response = staff_client.post(
        f"{PARTNERS_URL}?dry_run=perhaps",
        upload(PARTNERS),
        format="multipart",
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {"field": "dry_run", "message": "Must be a valid boolean.", "code": "invalid"}
    ]
    assert database_state() == before


def test_products_and_orders_import_through_the_api(
    staff_client: APIClient, personas: Personas
) -> None:
    products = "sku;name_de;name_en;kind;list_price;unit\nAV-BOX;Box;Box;retail;39,90;Stück\n"
    orders = (
        "order_number;partner_number;order_date;sku;quantity;net_amount\n"
        "SO-1;A-1000;15.03.2026;AV-BOX;2;59,85\n"
        "GS-1;A-1000;20.03.2026;AV-BOX;-1;-29,93\n"
    )
    first = staff_client.post(
        "/api/v1/imports/products", upload(products, "p.csv"), format="multipart"
    )
    second = staff_client.post(
        "/api/v1/imports/orders", upload(orders, "o.csv"), format="multipart"
    )
    assert (first.status_code, first.json()["created"]) == (200, 1)
    assert (second.status_code, second.json()["created"]) == (200, 2)
    assert sorted(Order.objects.values_list("order_number", flat=True)) == ["GS-1", "SO-1"]


def test_an_order_for_an_unknown_sku_is_rejected_through_the_api(staff_client: APIClient) -> None:
    ProductFactory(sku="AV-BOX")
    before = database_state()
    orders = (
        "order_number;partner_number;order_date;sku;quantity;net_amount\n"
        "SO-1;A-1000;15.03.2026;AV-BOKS;2;59,85\n"
    )
    response = staff_client.post(
        "/api/v1/imports/orders", upload(orders, "o.csv"), format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["error"]["details"] == [
        {
            "file": "o.csv",
            "row": 2,
            "column": "sku",
            "message": "unknown SKU AV-BOKS; import the product first",
        }
    ]
    assert database_state() == before


def test_the_schema_documents_the_import_endpoints(staff_client: APIClient) -> None:
    schema = staff_client.get("/api/v1/schema/", {"format": "json"}).json()
    for kind in ("partners", "products", "orders"):
        operation = schema["paths"][f"/api/v1/imports/{kind}"]["post"]
        assert operation["operationId"] == f"imports_{kind}"
        assert set(operation["requestBody"]["content"]) == {
            "multipart/form-data",
            "text/csv",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
        names = [parameter["name"] for parameter in operation["parameters"]]
        assert sorted(names) == ["background", "dry_run", "sheet"]
        # 202: a large file imports in the background; 413: a body over the upload limit (the
        # API answers it in its error format).
        assert set(operation["responses"]) == {"200", "202", "400", "401", "403", "413"}
    assert "vat_id" in schema["paths"]["/api/v1/imports/partners"]["post"]["description"]
    status = schema["paths"]["/api/v1/imports/jobs/{job_id}"]["get"]
    assert status["operationId"] == "imports_job"
    assert {"200", "401", "403", "404"} <= set(status["responses"])


def test_phone_numbers_imported_through_the_api_route_calls_at_once(
    staff_client: APIClient,
) -> None:
    text = PARTNERS.replace(";status\n", ";status;phone\n").replace(
        "b@beta.example;authorized\n", "b@beta.example;authorized;0211 7654321\n"
    )

    response = staff_client.post(PARTNERS_URL, upload(text), format="multipart")

    assert response.status_code == 200
    route = support_route(on=dt.date(2026, 11, 27), caller="+492117654321")
    assert (route.matched_by, route.partner_number) == ("caller", "P-1002")


def test_an_amount_beyond_the_column_is_a_400_with_its_row_not_a_server_error(
    staff_client: APIClient,
) -> None:
    # Given an order line whose amount has 29 digits (the column holds 14)
    ProductFactory(sku="AV-BOX")
    before = database_state()
    orders = (
        "order_number;partner_number;order_date;sku;quantity;net_amount\n"
        "SO-1;A-1000;15.03.2026;AV-BOX;1;999999999999999999999999999,99\n"
    )

    # When staff posts it
    response = staff_client.post(
        "/api/v1/imports/orders", upload(orders, "o.csv"), format="multipart"
    )

    # Then it is refused in the API's error format, naming row and column, and nothing changed
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "import_rejected"
    assert [(item["row"], item["column"]) for item in response.json()["error"]["details"]] == [
        (2, "net_amount")
    ]
    assert database_state() == before
