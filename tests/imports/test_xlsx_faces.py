"""Excel workbooks through the faces: `channeldesk import … --sheet`, the API (multipart, the
.xlsx content type, `?sheet=`), background imports, and the OpenAPI schema."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from channeldesk.core.spreadsheets import XLSX_CONTENT_TYPE
from channeldesk.partners.models import Partner
from tests.factories import PartnerFactory
from tests.imports.helpers import database_state, workbook
from tests.personas import Personas

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

PARTNERS_URL = "/api/v1/imports/partners"
ORDERS_URL = "/api/v1/imports/orders"
PARTNER_HEADER = [
    "partner_number",
    "name",
    "street",
    "postal_code",
    "city",
    "country",
    "vat_id",
    "email",
    "status",
]
ALPHA = ["P-1001", "Alpha GmbH", "Weg 1", 80331, "München", "DE", "DE136695976", None, "authorized"]
BETA = ["P-1002", "Beta KG", "Weg 2", 40212, "Köln", "DE", "DE812345673", None, "authorized"]
README = {"Read me": [["The partners are on the next sheet."]]}


def partners_workbook(*rows: list[object]) -> bytes:
    return workbook([PARTNER_HEADER, *rows], title="Partner", before=README)


# --- The command --------------------------------------------------------------------------------


def run(*arguments: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("import", *arguments, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_the_command_imports_the_named_sheet(tmp_path: Path) -> None:
    path = tmp_path / "partners.xlsx"
    path.write_bytes(partners_workbook(ALPHA, BETA))

    stdout, stderr = run("partners", str(path), "--sheet", "Partner")

    assert stdout.splitlines()[0] == (
        f"{path}:Partner: 2 rows, partners: 2 created, 0 updated, 0 unchanged."
    )
    assert stderr == ""
    assert sorted(Partner.objects.values_list("partner_number", "postal_code")) == [
        ("P-1001", "80331"),
        ("P-1002", "40212"),
    ]


def test_the_command_tells_a_workbook_by_its_bytes_not_its_name(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    path.write_bytes(workbook([PARTNER_HEADER, ALPHA]))

    stdout, _ = run("partners", str(path))

    assert stdout.splitlines()[0] == (
        f"{path}:Sheet1: 1 row, partners: 1 created, 0 updated, 0 unchanged."
    )


def test_the_command_prints_every_problem_with_sheet_and_row_and_fails(tmp_path: Path) -> None:
    path = tmp_path / "partners.xlsx"
    bad = [*BETA[:6], "DE812345674", "beta", "authorized"]
    path.write_bytes(partners_workbook(ALPHA, bad))
    stderr = StringIO()

    with pytest.raises(CommandError) as raised:
        call_command("import", "partners", str(path), "--sheet=Partner", stderr=stderr)

    assert str(raised.value) == f"{path}:Partner: rejected with 2 problems; nothing was imported."
    assert stderr.getvalue().splitlines() == [
        f"{path}:Partner!3: vat_id: VAT ID DE812345674 has an invalid check digit",
        f"{path}:Partner!3: email: 'beta' is not a valid e-mail address",
    ]
    assert not Partner.objects.exists()


def test_the_command_names_the_sheets_when_the_one_asked_for_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "partners.xlsx"
    path.write_bytes(partners_workbook(ALPHA))
    stderr = StringIO()

    with pytest.raises(CommandError):
        call_command("import", "partners", str(path), "--sheet", "Partners", stderr=stderr)

    assert stderr.getvalue() == (
        f"{path}: the workbook has no sheet 'Partners'; its sheets: 'Read me', 'Partner'\n"
    )
    assert not Partner.objects.exists()


# --- The API --------------------------------------------------------------------------------------


@pytest.fixture
def staff_client(personas: Personas, api_client: APIClient) -> APIClient:
    api_client.force_authenticate(personas.staff)
    return api_client


def xlsx_upload(content: bytes, name: str = "partners.xlsx") -> dict[str, Any]:
    return {"file": SimpleUploadedFile(name, content, content_type=XLSX_CONTENT_TYPE)}


def test_a_multipart_workbook_answers_with_the_report_of_its_sheet(
    staff_client: APIClient,
) -> None:
    response = staff_client.post(
        f"{PARTNERS_URL}?sheet=Partner",
        xlsx_upload(partners_workbook(ALPHA, BETA)),
        format="multipart",
    )

    assert response.status_code == 200
    assert response.json() == {
        "kind": "partners",
        "file": "partners.xlsx",
        "sheet": "Partner",
        "dry_run": False,
        "accepted": True,
        "encoding": "xlsx",
        "delimiter": "",
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "warnings": [],
    }
    assert Partner.objects.filter(partner_number__in=["P-1001", "P-1002"]).count() == 2


def test_a_workbook_as_the_raw_body_imports_with_its_content_type(
    staff_client: APIClient,
) -> None:
    response = staff_client.post(
        PARTNERS_URL, data=workbook([PARTNER_HEADER, ALPHA]), content_type=XLSX_CONTENT_TYPE
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["file"], body["sheet"], body["created"]) == ("body.xlsx", "Sheet1", 1)


def test_a_rejected_workbook_answers_400_with_sheet_and_row_in_every_problem(
    staff_client: APIClient,
) -> None:
    before = database_state()
    bad = [*BETA[:6], "DE812345674", None, "authorized"]

    response = staff_client.post(
        f"{PARTNERS_URL}?sheet=Partner",
        xlsx_upload(partners_workbook(ALPHA, bad)),
        format="multipart",
    )

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "import_rejected",
            "message": "partners.xlsx:Partner: rejected with 1 problem; nothing was imported.",
            "details": [
                {
                    "file": "partners.xlsx",
                    "sheet": "Partner",
                    "row": 3,
                    "column": "vat_id",
                    "message": "VAT ID DE812345674 has an invalid check digit",
                }
            ],
        }
    }
    assert database_state() == before


@pytest.mark.parametrize(
    ("content", "query", "message"),
    [
        (
            partners_workbook(ALPHA),
            "?sheet=Partners",
            "the workbook has no sheet 'Partners'; its sheets: 'Read me', 'Partner'",
        ),
        (
            partners_workbook(ALPHA)[:2_000],
            "",
            "not a readable .xlsx workbook (File is not a zip file)",
        ),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504,
            "",
            "an encrypted (password-protected) workbook or an old .xls file; save it as .xlsx "
            "without a password, or as CSV",
        ),
        (b"", "", "not a readable .xlsx workbook (File is not a zip file)"),
    ],
    ids=["missing-sheet", "truncated", "encrypted", "empty"],
)
def test_an_unreadable_workbook_answers_400_never_500(
    staff_client: APIClient, content: bytes, query: str, message: str
) -> None:
    before = database_state()

    response = staff_client.post(PARTNERS_URL + query, xlsx_upload(content), format="multipart")

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "import_rejected"
    assert error["details"] == [
        {"file": "partners.xlsx", "row": None, "column": None, "message": message}
    ]
    assert database_state() == before


def test_a_workbook_over_the_size_limit_answers_413(staff_client: APIClient, settings: Any) -> None:
    content = partners_workbook(ALPHA)
    settings.API_INGEST_MAX_BODY_BYTES = len(content) - 1
    before = database_state()

    raw = staff_client.post(PARTNERS_URL, data=content, content_type=XLSX_CONTENT_TYPE)
    multipart = staff_client.post(PARTNERS_URL, xlsx_upload(content), format="multipart")

    assert [raw.status_code, multipart.status_code] == [413, 413]
    assert raw.json()["error"]["code"] == "request_too_large"
    assert database_state() == before


def test_the_schema_documents_workbooks_and_the_sheet_parameter(
    staff_client: APIClient,
) -> None:
    schema = staff_client.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/imports/orders"]["post"]

    assert XLSX_CONTENT_TYPE in operation["requestBody"]["content"]
    assert "sheet" in [parameter["name"] for parameter in operation["parameters"]]
    assert ".xlsx" in operation["description"]
    report = schema["components"]["schemas"]["ImportReport"]
    assert "sheet" in report["properties"]
    assert "sheet" not in report["required"]


def test_the_training_records_endpoint_takes_a_workbook_too(staff_client: APIClient) -> None:
    PartnerFactory(partner_number="P-1")
    rows: list[list[object]] = [
        [
            "record_id",
            "partner_number",
            "course_code",
            "participant_name",
            "participant_email",
            "session_date",
            "status",
        ],
        [
            "NA-1",
            "P-1",
            "CD-GOLD-2D",
            "Jörg Weiß",
            "joerg@p1.example",
            dt.date(2025, 3, 31),
            "completed",
        ],
    ]

    response = staff_client.post(
        "/api/v1/training/records/", data=workbook(rows), content_type=XLSX_CONTENT_TYPE
    )

    assert response.status_code == 200, response.json()
    assert (response.json()["sheet"], response.json()["created"]) == ("Sheet1", 1)
