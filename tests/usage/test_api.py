"""The usage API: batches in with a usage token, statements out to their partner only."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from channeldesk.core.tokens import service_token_create
from channeldesk.usage.models import Subscription, UsageEvent
from channeldesk.usage.services import sender_grant
from tests.personas import Personas, sign_in
from tests.usage.worlds import october_statements

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.usage.urls")]
EVENTS = "/api/v1/usage/events"


def _item(event_id: str, **fields: Any) -> dict[str, Any]:
    item = {
        "event_id": event_id,
        "subscription_key": "SUB-A",
        "user_key": "u1",
        "occurred_at": "2026-11-05T10:00:00+01:00",
    }
    item.update(fields)
    return item


@pytest.fixture
def platform(personas: Personas) -> APIClient:
    october_statements(personas.partner_a, personas.partner_b)
    issued = service_token_create(name="MSS platform", scope="usage")
    sender_grant(token=issued.token, subscriptions=Subscription.objects.filter(pk__gt=0))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    return client


def test_batch_answers_per_item_and_a_resend_changes_nothing(platform: APIClient) -> None:
    batch = {
        "events": [
            _item("n1"),
            _item("n2", user_key="u2"),
            _item("n3", occurred_at="yesterday"),
            _item("n4", subscription_key="SUB-NOPE"),
        ]
    }
    before = UsageEvent.objects.count()

    first = platform.post(EVENTS, batch, format="json")
    stored = UsageEvent.objects.count()
    second = platform.post(EVENTS, batch, format="json")

    assert first.status_code == 200
    body = first.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (2, 0, 2)
    assert [result["status"] for result in body["results"]] == [
        "accepted",
        "accepted",
        "rejected",
        "rejected",
    ]
    assert body["results"][2]["reason"] == "invalid_occurred_at"
    assert body["results"][3]["reason"] == "unknown_subscription"
    assert second.json()["duplicate"] == 2
    assert stored == before + 2
    assert UsageEvent.objects.count() == stored


def test_a_token_without_the_subscription_cannot_send_for_it(personas: Personas) -> None:
    october_statements(personas.partner_a, personas.partner_b)
    issued = service_token_create(name="other platform", scope="usage")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")
    before = UsageEvent.objects.count()

    response = client.post(EVENTS, {"events": [_item("n1")]}, format="json")

    assert response.json()["results"][0]["reason"] == "unknown_subscription"
    assert UsageEvent.objects.count() == before


def test_a_token_of_another_scope_is_refused(personas: Personas) -> None:
    issued = service_token_create(name="training", scope="training")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.secret}")

    response = client.post(EVENTS, {"events": [_item("n1")]}, format="json")

    assert response.status_code == 403


@override_settings(USAGE_BATCH_LIMIT=3)
def test_a_batch_over_the_limit_is_refused_whole(platform: APIClient) -> None:
    before = UsageEvent.objects.count()

    response = platform.post(EVENTS, {"events": [_item(f"n{i}") for i in range(4)]}, format="json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "batch_too_large"
    assert UsageEvent.objects.count() == before


@pytest.mark.parametrize("body", [{}, {"events": []}, {"events": "x"}, [1, 2]])
def test_a_malformed_batch_is_refused(platform: APIClient, body: Any) -> None:
    response = platform.post(EVENTS, body, format="json")

    if isinstance(body, list):
        assert response.json()["results"][0]["reason"] == "malformed"
    else:
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_batch"


def test_partner_reads_its_statement_with_lines_csv_and_evidence(personas: Personas) -> None:
    statements = october_statements(personas.partner_a, personas.partner_b)
    number = statements["A-1000"].number
    client = APIClient()
    sign_in(client, personas.partner_a_user)

    listing = client.get("/api/v1/usage/statements/").json()
    detail = client.get(f"/api/v1/usage/statements/{number}/").json()
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    lines_csv = client.get(f"/api/v1/usage/statements/{number}/csv", **english).content.decode()
    evidence = b"".join(
        client.get(f"/api/v1/usage/statements/{number}/evidence", **english).streaming_content  # type: ignore[attr-defined]
    ).decode()
    german_csv = client.get(
        f"/api/v1/usage/statements/{number}/csv", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode("utf-8-sig")

    assert [item["number"] for item in listing["results"]] == [number]
    assert detail["net_total"] == "1.13"  # 3 user-days × 0.50 € less 25 %
    assert [(line["units"], line["net_amount"]) for line in detail["lines"]] == [("3.0000", "1.13")]
    rows = list(csv.DictReader(io.StringIO(lines_csv)))
    assert [(row["Contract number"], row["Units"], row["Net amount (EUR)"]) for row in rows] == [
        ("V-SUB-A", "3", "1.13")
    ]
    # A German reader gets the file German Excel opens: `;` and the decimal comma.
    german_rows = list(csv.reader(io.StringIO(german_csv), delimiter=";"))
    assert len(german_rows) == 2
    assert {"V-SUB-A", "3", "1,13"} <= set(german_rows[1])
    assert list(csv.reader(io.StringIO(evidence)))[1:] == [
        ["V-SUB-A", "K-UA", "2026-10", "2026-10-01", "ua1", "1"],
        ["V-SUB-A", "K-UA", "2026-10", "2026-10-01", "ua2", "1"],
        ["V-SUB-A", "K-UA", "2026-10", "2026-10-02", "ua1", "1"],
    ]


def test_another_partners_statement_is_not_found(personas: Personas) -> None:
    statements = october_statements(personas.partner_a, personas.partner_b)
    client = APIClient()
    sign_in(client, personas.partner_b_user)

    response = client.get(f"/api/v1/usage/statements/{statements['A-1000'].number}/csv")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_statement_pdf_for_the_partner_and_for_a_customer(
    personas: Personas, media_root: Any
) -> None:
    statements = october_statements(personas.partner_a, personas.partner_b)
    number = statements["A-1000"].number
    client = APIClient()
    sign_in(client, personas.partner_a_admin)

    partner_pdf = client.get(f"/api/v1/usage/statements/{number}/pdf")
    customer_pdf = client.get(f"/api/v1/usage/statements/{number}/pdf?customer_number=K-UA")

    assert partner_pdf.status_code == 200
    assert partner_pdf["Content-Type"] == "application/pdf"
    assert b"".join(partner_pdf.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    assert customer_pdf.status_code == 200


def test_an_unreadable_quantity_costs_only_its_item(platform: APIClient) -> None:
    # Given a batch of 1,000 whose item 500 has the quantity "²" (a digit to str.isdigit()),
    items = [_item(f"q{i}", user_key=f"u{i}") for i in range(1000)]
    items[500]["quantity"] = "²"
    before = UsageEvent.objects.count()

    # when the platform sends it,
    response = platform.post(EVENTS, {"events": items}, format="json")

    # then that item alone is rejected, by its index and reason, and the others are stored.
    assert response.status_code == 200
    body = response.json()
    assert (body["accepted"], body["duplicate"], body["rejected"]) == (999, 0, 1)
    assert body["results"][500] == {
        "index": 500,
        "event_id": "q500",
        "status": "rejected",
        "reason": "invalid_quantity",
        "message": body["results"][500]["message"],
    }
    assert UsageEvent.objects.count() == before + 999
    assert not UsageEvent.objects.filter(event_id="q500").exists()


@pytest.mark.parametrize("quantity", ["²", "١٢", "9" * 5000, "1e3", -1, 1.5, True])
def test_a_quantity_that_is_no_small_whole_number_is_rejected(
    platform: APIClient, quantity: Any
) -> None:
    response = platform.post(EVENTS, {"events": [_item("q1", quantity=quantity)]}, format="json")

    assert response.status_code == 200
    assert response.json()["results"][0]["reason"] == "invalid_quantity"
    assert not UsageEvent.objects.filter(event_id="q1").exists()


@pytest.mark.parametrize(
    "occurred_at",
    ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T23:59:59Z"],
)
def test_an_instant_at_the_ends_of_the_calendar_is_rejected_not_an_error(
    platform: APIClient, occurred_at: str
) -> None:
    batch = {"events": [_item("t1", occurred_at=occurred_at), _item("t2", user_key="u2")]}

    response = platform.post(EVENTS, batch, format="json")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("rejected", "invalid_occurred_at"),
        ("accepted", None),
    ]
    assert list(
        UsageEvent.objects.filter(event_id__in=["t1", "t2"]).values_list("event_id", flat=True)
    ) == ["t2"]


@pytest.mark.parametrize("period", ["0000-01", "2026-13", "x", "99999-01"])
def test_a_statement_period_that_is_no_month_answers_400(personas: Personas, period: str) -> None:
    october_statements(personas.partner_a, personas.partner_b)
    client = APIClient()
    sign_in(client, personas.partner_a_user)

    response = client.get("/api/v1/usage/statements/", {"period": period})

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == "period"


@pytest.mark.parametrize(
    "query", [{"limit": "1001"}, {"limit": "0"}, {"limit": "x"}, {"offset": "-1"}]
)
def test_a_statement_page_out_of_range_answers_400(
    personas: Personas, query: dict[str, str]
) -> None:
    october_statements(personas.partner_a, personas.partner_b)
    client = APIClient()
    sign_in(client, personas.staff)

    response = client.get("/api/v1/usage/statements/", query)

    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["field"] == next(iter(query))


def test_a_partner_session_may_not_send_usage_and_its_body_is_not_read(
    personas: Personas,
) -> None:
    client = APIClient(enforce_csrf_checks=True)
    sign_in(client, personas.partner_a_user)

    # A body Django would refuse as too large, of a type no parser takes: 403 comes first.
    response = client.post(EVENTS, b"x" * (3 * 1024 * 1024), content_type="text/plain")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
