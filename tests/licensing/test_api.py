"""The licensing API: keycodes for vendor staff, the public key, the report, a contract's licence
status for its partner only."""

from __future__ import annotations

import csv
import io
from typing import Any

from channeldesk.licensing.certificates import token_verify
from channeldesk.licensing.models import Keycode, LicenceCertificate
from tests.licensing.factories import enterprise_contract, issued, keycode_rows


def keycode_requested(api_client: Any, partner: Any, *, by: Any) -> Any:
    """The answer to `by` asking the API for a keycode for partner's enterprise contract V-9."""
    enterprise_contract(partner, number="V-9")
    api_client.force_authenticate(by)
    return api_client.post("/api/v1/licensing/keycodes/", {"contract_number": "V-9"}, format="json")


def test_staff_issues_shows_checks_and_rotates(api_client: Any, personas: Any) -> None:
    created = keycode_requested(api_client, personas.partner_a, by=personas.staff)
    assert created.status_code == 201
    code = created.json()["code"]
    assert created.json()["status"] == "active"
    check = api_client.post(
        "/api/v1/licensing/keycodes/check/", {"code": code.lower()}, format="json"
    )
    assert check.json() == {
        "valid": True,
        "reason": None,
        "message": check.json()["message"],
        "contract_number": "V-9",
        "status": "active",
    }
    typo = code[:-2] + code[-1] + code[-2]
    if typo != code:
        assert (
            api_client.post(
                "/api/v1/licensing/keycodes/check/", {"code": typo}, format="json"
            ).json()["reason"]
            == "typo"
        )
    rotated = api_client.post(
        "/api/v1/licensing/keycodes/V-9/rotate/", {"reason": "leak"}, format="json"
    )
    assert rotated.status_code == 201
    shown = api_client.get("/api/v1/licensing/keycodes/V-9/").json()
    assert [item["status"] for item in shown] == ["active", "revoked"]
    assert shown[0]["code"] == rotated.json()["code"]
    assert shown[1]["code"] == code


def test_support_desk_reads_but_does_not_issue(api_client: Any, personas: Any) -> None:
    response = keycode_requested(api_client, personas.partner_a, by=personas.support)
    assert response.status_code == 403
    assert keycode_rows() == []


def test_certificate_endpoint_answers_a_verifiable_certificate(
    api_client: Any, keycode: Any
) -> None:
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.get(username="staff")
    api_client.force_authenticate(staff)
    response = api_client.post(
        "/api/v1/licensing/certificates/", {"contract_number": "V-1"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    public = api_client.get("/api/v1/licensing/public-key/").json()
    assert public["public_key"] == body["public_key"]
    assert token_verify(body["certificate"], public_key=public["public_key"]) == body["content"]
    assert LicenceCertificate.objects.count() == 1


def test_partner_sees_its_customers_licence_status_masked(api_client: Any, personas: Any) -> None:
    mine = issued(enterprise_contract(personas.partner_a, number="V-A"))
    issued(enterprise_contract(personas.partner_b, number="V-B"))
    api_client.force_authenticate(personas.partner_a_user)
    response = api_client.get("/api/v1/licensing/contracts/V-A/")
    assert response.status_code == 200
    body = response.json()
    assert body["keycode"].startswith(mine.code[:5])
    assert "*****" in body["keycode"]
    assert mine.code not in response.content.decode()
    assert body["status"] == "compliant"
    assert api_client.get("/api/v1/licensing/contracts/V-B/").status_code == 404
    assert api_client.get("/api/v1/licensing/keycodes/V-A/").status_code == 403
    assert api_client.get("/api/v1/licensing/compliance/").status_code == 403


def test_report_as_json_and_csv(api_client: Any, personas: Any) -> None:
    from tests.licensing.test_compliance import DAY, machines, scan_days

    contract = enterprise_contract(personas.partner_a, number="V-R", seats=10)
    machines(issued(contract).keycode, 30, last_seen=DAY.replace(day=20))
    scan_days(DAY, 7)
    api_client.force_authenticate(personas.support)
    report = api_client.get("/api/v1/licensing/compliance/").json()
    assert report["under_licensed_customers"] == 1
    assert report["under_licensed"][0]["contract_number"] == "V-R"
    response = api_client.get("/api/v1/licensing/compliance/csv/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(row["Contract number"], row["Missing seats"]) for row in rows] == [("V-R", "20")]
    assert Keycode.objects.count() == 1
