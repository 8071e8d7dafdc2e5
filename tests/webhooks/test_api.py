"""The webhook API: subscriptions (the secret only in the create and rotate answers), the
partner rule, refusals in the one error format, deliveries with their attempts and filters,
send again, and the event types."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from channeldesk.audit.models import AuditEntry
from channeldesk.webhooks.events import EVENT_TYPES
from channeldesk.webhooks.models import (
    AttemptKind,
    DeliveryStatus,
    WebhookAttempt,
    WebhookSubscription,
)
from channeldesk.webhooks.secrets import webhook_secret_unseal
from tests.personas import Personas, sign_in
from tests.webhooks.faces import delivery_of, subscription_of

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

SUBSCRIPTIONS = "/api/v1/webhooks/subscriptions/"
DELIVERIES = "/api/v1/webhooks/deliveries/"
NEW = {
    "name": "CRM",
    "url": "https://crm.example.com/hooks",
    "event_types": ["contract.renewed", "partner.tier_changed"],
    "notify_email": "it@example.com",
    "language": "en",
}


@pytest.fixture
def api_as(personas: Personas) -> Any:
    def signed_in(name: str) -> APIClient:
        client = APIClient()
        sign_in(client, personas.all()[name])
        return client

    return signed_in


def _error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    body: dict[str, Any] = response.json()["error"]
    assert body["code"] == code
    return body


def test_create_answers_the_secret_once(api_as: Any) -> None:
    client = api_as("staff")

    created = client.post(SUBSCRIPTIONS, NEW, format="json")

    assert created.status_code == 201
    body = created.json()
    subscription = WebhookSubscription.objects.get(pk=body["id"])
    assert webhook_secret_unseal(subscription.secret_sealed) == body["secret"]
    assert body["event_types"] == ["partner.tier_changed", "contract.renewed"]
    assert (body["partner_number"], body["status"], body["failing_count"]) == (None, "active", 0)
    again = client.get(f"{SUBSCRIPTIONS}{body['id']}/").json()
    assert "secret" not in again
    assert body["secret"] not in str(client.get(SUBSCRIPTIONS).content)


def test_partner_admins_subscription_is_for_its_own_partner(
    api_as: Any, personas: Personas
) -> None:
    created = api_as("partner_a_admin").post(SUBSCRIPTIONS, NEW, format="json")

    assert created.status_code == 201
    assert created.json()["partner_number"] == personas.partner_a.partner_number


@pytest.mark.parametrize("number", ["B-2000", "Z-9999"])
def test_partner_admin_naming_another_partner_is_refused_alike(api_as: Any, number: str) -> None:
    response = api_as("partner_a_admin").post(
        SUBSCRIPTIONS, {**NEW, "partner_number": number}, format="json"
    )

    _error(response, 403, "partner_not_allowed")
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"url": "http://crm.example.com/hooks"}, "url_not_allowed"),
        ({"event_types": ["contract.stolen"]}, "invalid"),
        ({"event_types": []}, "invalid"),
        ({"partner_number": "Z-9999"}, "invalid"),
    ],
)
def test_bad_input_answers_400_in_the_error_format_and_writes_nothing(
    api_as: Any, settings: Any, change: dict[str, Any], code: str
) -> None:
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    response = api_as("staff").post(SUBSCRIPTIONS, {**NEW, **change}, format="json")

    body = _error(response, 400, code)
    assert body["details"]
    assert not WebhookSubscription.objects.exists()
    assert not AuditEntry.objects.filter(kind__startswith="webhooks.").exists()


def test_change_pause_resume_rotate_and_delete(api_as: Any, personas: Personas) -> None:
    client = api_as("partner_a_admin")
    subscription = subscription_of(personas.partner_a)
    url = f"{SUBSCRIPTIONS}{subscription.pk}/"

    changed = client.patch(url, {"name": "PSA", "event_types": ["keycode.revoked"]}, format="json")
    assert changed.status_code == 200
    assert (changed.json()["name"], changed.json()["event_types"]) == ("PSA", ["keycode.revoked"])

    paused = client.post(f"{url}pause/", {"reason": "maintenance"}, format="json")
    assert (paused.json()["status"], paused.json()["paused_reason"]) == ("paused", "maintenance")
    _error(client.post(f"{url}pause/", {}, format="json"), 409, "subscription_paused")
    assert client.post(f"{url}resume/").json()["status"] == "active"

    old_sealed = WebhookSubscription.objects.get(pk=subscription.pk).secret_sealed
    rotated = client.post(f"{url}rotate-secret/").json()
    stored = WebhookSubscription.objects.get(pk=subscription.pk)
    assert stored.secret_sealed != old_sealed
    assert webhook_secret_unseal(stored.secret_sealed) == rotated["secret"]

    assert client.delete(url).status_code == 204
    assert not WebhookSubscription.objects.filter(pk=subscription.pk).exists()


def test_subscriptions_list_filters_and_counts_failing_deliveries(
    api_as: Any, personas: Personas
) -> None:
    failing = subscription_of(personas.partner_a, name="failing")
    delivery_of(failing, status=DeliveryStatus.FAILED)
    delivery_of(failing, status=DeliveryStatus.RETRY)
    subscription_of(personas.partner_b, name="paused", status="paused")

    rows = api_as("staff").get(SUBSCRIPTIONS, {"status": "active"}).json()["results"]

    assert [(row["name"], row["failing_count"]) for row in rows] == [("failing", 2)]
    partner_rows = api_as("partner_b_user").get(SUBSCRIPTIONS).json()["results"]
    assert [row["name"] for row in partner_rows] == ["paused"]
    _error(api_as("staff").get(SUBSCRIPTIONS, {"status": "gone"}), 400, "invalid")


def test_deliveries_list_with_attempts_and_filters(api_as: Any, personas: Personas) -> None:
    mine = subscription_of(personas.partner_a)
    failed = delivery_of(mine, status=DeliveryStatus.FAILED, response="boom")
    delivery_of(mine, status=DeliveryStatus.DELIVERED, event_type="contract.renewed")
    delivery_of(subscription_of(personas.partner_b))
    client = api_as("partner_a_user")

    rows = client.get(DELIVERIES, {"subscription": mine.pk, "status": "failed"}).json()["results"]

    assert [row["id"] for row in rows] == [failed.pk]
    assert rows[0]["event_type"] == "partner.tier_changed"
    assert rows[0]["attempts"][0]["response_excerpt"] == "boom"
    assert rows[0]["attempts"][0]["status_code"] == 503
    renewed = client.get(DELIVERIES, {"event_type": "contract.renewed"}).json()["results"]
    assert [row["status"] for row in renewed] == ["delivered"]
    assert len(client.get(DELIVERIES).json()["results"]) == 2
    _error(client.get(DELIVERIES, {"event_type": "nope"}), 400, "invalid")


def test_send_again_puts_the_delivery_back_in_the_queue(api_as: Any, personas: Personas) -> None:
    delivery = delivery_of(subscription_of(personas.partner_a), status=DeliveryStatus.FAILED)

    response = api_as("partner_a_admin").post(
        f"{DELIVERIES}{delivery.pk}/send-again/", {"note": "fixed our side"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["status"] == "pending"
    released = WebhookAttempt.objects.get(delivery=delivery, kind=AttemptKind.RELEASED)
    assert "fixed our side" in released.detail
    assert released.actor == personas.partner_a_admin


def test_send_again_of_a_pending_delivery_is_refused_and_changes_nothing(
    api_as: Any, personas: Personas
) -> None:
    delivery = delivery_of(subscription_of(None), status=DeliveryStatus.PENDING)

    response = api_as("staff").post(f"{DELIVERIES}{delivery.pk}/send-again/")

    assert 400 <= response.status_code < 500
    assert set(response.json()["error"]) == {"code", "message", "details"}
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


def test_event_types_are_listed(api_as: Any) -> None:
    response = api_as("partner_b_user").get("/api/v1/webhooks/event-types/")

    assert [item["name"] for item in response.json()] == list(EVENT_TYPES)
    assert response.json()[1]["audience"] == "programme"


@pytest.mark.parametrize("value", ["99999999999999999999999999", str(2**63), "0", "-1", "x"])
def test_an_id_filter_out_of_range_answers_400(api_as: Any, value: str) -> None:
    body = _error(api_as("staff").get(DELIVERIES, {"subscription": value}), 400, "invalid")
    assert body["details"][0]["field"] == "subscription"


@pytest.mark.parametrize("path", [SUBSCRIPTIONS, DELIVERIES])
def test_a_huge_id_in_the_path_is_not_found(api_as: Any, path: str) -> None:
    _error(api_as("staff").get(f"{path}99999999999999999999999999/"), 404, "not_found")


def test_a_notify_email_longer_than_254_answers_400(api_as: Any, personas: Personas) -> None:
    client = api_as("staff")
    too_long = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".example.com"
    assert len(too_long) > 254

    body = _error(client.post(SUBSCRIPTIONS, {**NEW, "notify_email": too_long}), 400, "invalid")

    assert body["details"][0]["field"] == "notify_email"
    assert not WebhookSubscription.objects.exists()
    subscription = subscription_of(personas.partner_a)
    url = f"{SUBSCRIPTIONS}{subscription.pk}/"
    body = _error(client.patch(url, {"notify_email": too_long}, format="json"), 400, "invalid")
    assert body["details"][0]["field"] == "notify_email"
