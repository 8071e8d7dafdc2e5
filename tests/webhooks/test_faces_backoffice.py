"""The back office's webhook pages: the list with failing deliveries, creating (the secret shown
once), the history with "send again", pause, resume, rotate and delete."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from channeldesk.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from channeldesk.webhooks.secrets import webhook_secret_unseal
from tests.personas import Personas
from tests.webhooks.faces import delivery_of, subscription_of

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

FORM = {
    "name": "ERP",
    "url": "https://erp.example.com/hooks",
    "event_types": ["contract.renewed", "usage.statement_issued"],
    "notify_email": "erp@example.com",
    "language": "de",
}


def test_list_shows_status_and_failing_deliveries(staff_client: Client, personas: Personas) -> None:
    failing = subscription_of(personas.partner_a, name="Alpha CRM")
    delivery_of(failing, status=DeliveryStatus.FAILED)
    subscription_of(None, name="Vendor ERP", status="paused")

    page = staff_client.get("/backoffice/webhooks/", HTTP_ACCEPT_LANGUAGE="en")

    assert page.status_code == 200
    rows = page.content.decode()
    assert "Alpha CRM" in rows
    assert "Vendor ERP" in rows
    assert "<strong>1</strong>" in rows
    assert "paused" in rows
    only_paused = staff_client.get("/backoffice/webhooks/", {"status": "paused"}).content
    assert b"Vendor ERP" in only_paused
    assert b"Alpha CRM" not in only_paused


def test_create_shows_the_secret_once(staff_client: Client, personas: Personas) -> None:
    answer = staff_client.post(
        "/backoffice/webhooks/new/", {**FORM, "partner": personas.partner_b.partner_number}
    )

    assert answer.status_code == 200
    subscription = WebhookSubscription.objects.get()
    secret = webhook_secret_unseal(subscription.secret_sealed)
    assert secret in answer.content.decode()
    assert subscription.partner == personas.partner_b
    detail = staff_client.get(f"/backoffice/webhooks/{subscription.pk}/")
    assert secret not in detail.content.decode()


def test_a_refused_url_is_shown_on_the_form_and_nothing_is_written(
    staff_client: Client, settings: Any
) -> None:
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False

    answer = staff_client.post(
        "/backoffice/webhooks/new/", {**FORM, "url": "http://erp.example.com/"}
    )

    assert answer.status_code == 400
    assert answer.context["form"].errors["url"]
    assert not WebhookSubscription.objects.exists()


def test_detail_shows_the_history_and_sends_again(staff_client: Client, personas: Personas) -> None:
    subscription = subscription_of(None, name="Vendor ERP")
    failed = delivery_of(subscription, status=DeliveryStatus.FAILED, response="Gateway down")

    detail = staff_client.get(f"/backoffice/webhooks/{subscription.pk}/")

    text = detail.content.decode()
    assert failed.event.event_id in text
    assert "Gateway down" in text
    assert "42 ms" in text
    again = staff_client.post(f"/backoffice/webhooks/deliveries/{failed.pk}/send-again/")
    assert again.status_code == 302
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.PENDING


def test_send_again_of_a_pending_delivery_shows_the_refusal(
    staff_client: Client, personas: Personas
) -> None:
    pending = delivery_of(subscription_of(None), status=DeliveryStatus.PENDING)

    answer = staff_client.post(
        f"/backoffice/webhooks/deliveries/{pending.pk}/send-again/", follow=True
    )

    assert [str(message) for message in answer.context["messages"]]
    assert WebhookDelivery.objects.get(pk=pending.pk).status == DeliveryStatus.PENDING


def test_pause_resume_rotate_and_delete(staff_client: Client) -> None:
    subscription = subscription_of(None)
    base = f"/backoffice/webhooks/{subscription.pk}"

    staff_client.post(f"{base}/pause/", {"reason": "migration"})
    subscription.refresh_from_db()
    assert (subscription.status, subscription.paused_reason) == ("paused", "migration")
    staff_client.post(f"{base}/resume/")
    subscription.refresh_from_db()
    assert subscription.status == "active"
    rotated = staff_client.post(f"{base}/rotate-secret/")
    subscription.refresh_from_db()
    assert webhook_secret_unseal(subscription.secret_sealed) in rotated.content.decode()
    staff_client.post(f"{base}/edit/", {**FORM, "name": "Renamed"})
    subscription.refresh_from_db()
    assert subscription.name == "Renamed"
    staff_client.post(f"{base}/delete/")
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize("language", ["de", "en"])
def test_pages_render_in_both_languages(
    staff_client: Client, personas: Personas, language: str
) -> None:
    subscription = subscription_of(personas.partner_a)
    delivery_of(subscription)

    for url in (
        "/backoffice/webhooks/",
        "/backoffice/webhooks/new/",
        f"/backoffice/webhooks/{subscription.pk}/",
        f"/backoffice/webhooks/{subscription.pk}/edit/",
    ):
        response = staff_client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
