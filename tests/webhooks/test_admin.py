"""The webhook admin: pages open, nothing is added or edited there, and the actions go through
the services (send again, dismiss with a reason, pause, resume)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from channeldesk.webhooks.models import (
    AttemptKind,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from tests.personas import Personas
from tests.webhooks.faces import delivery_of, subscription_of

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

DELIVERIES = "/admin/webhooks/webhookdelivery/"
SUBSCRIPTIONS = "/admin/webhooks/webhooksubscription/"


def _act(client: Client, url: str, action: str, pk: int, **more: Any) -> int:
    data = {"action": action, "_selected_action": [pk], "index": 0, **more}
    return client.post(url, data).status_code


def test_pages_open_and_show_the_history_without_the_secret(
    staff_client: Client, personas: Personas
) -> None:
    subscription = subscription_of(personas.partner_a)
    delivery = delivery_of(subscription, response="teapot")

    for url in (
        SUBSCRIPTIONS,
        f"{SUBSCRIPTIONS}{subscription.pk}/change/",
        "/admin/webhooks/webhookevent/",
        f"/admin/webhooks/webhookevent/{delivery.event_id}/change/",
        DELIVERIES,
    ):
        assert staff_client.get(url).status_code == 200, url
    page = staff_client.get(f"{DELIVERIES}{delivery.pk}/change/").content.decode()
    assert "teapot" in page
    assert (
        subscription.secret_sealed
        not in staff_client.get(f"{SUBSCRIPTIONS}{subscription.pk}/change/").content.decode()
    )
    assert staff_client.get(f"{SUBSCRIPTIONS}add/").status_code == 403


def test_send_again_and_dismiss_go_through_the_review_services(
    staff_client: Client, personas: Personas
) -> None:
    failed = delivery_of(subscription_of(None), status=DeliveryStatus.FAILED)
    retrying = delivery_of(subscription_of(None), status=DeliveryStatus.RETRY)

    assert _act(staff_client, DELIVERIES, "release", failed.pk) == 302
    assert _act(staff_client, DELIVERIES, "dismiss", retrying.pk, reason="endpoint gone") == 302

    failed.refresh_from_db()
    retrying.refresh_from_db()
    assert (failed.status, retrying.status) == (DeliveryStatus.PENDING, DeliveryStatus.DISMISSED)
    kinds = set(WebhookAttempt.objects.values_list("kind", flat=True))
    assert {AttemptKind.RELEASED, AttemptKind.DISMISSED} <= kinds


def test_dismiss_without_a_reason_changes_nothing(staff_client: Client) -> None:
    retrying = delivery_of(subscription_of(None), status=DeliveryStatus.RETRY)

    _act(staff_client, DELIVERIES, "dismiss", retrying.pk)

    assert WebhookDelivery.objects.get(pk=retrying.pk).status == DeliveryStatus.RETRY


def test_pause_and_resume_actions(staff_client: Client) -> None:
    subscription = subscription_of(None)

    assert _act(staff_client, SUBSCRIPTIONS, "pause", subscription.pk) == 302
    assert WebhookSubscription.objects.get(pk=subscription.pk).status == "paused"
    assert _act(staff_client, SUBSCRIPTIONS, "resume", subscription.pk) == 302
    assert WebhookSubscription.objects.get(pk=subscription.pk).status == "active"


def test_support_desk_changes_nothing(personas: Personas, client_for: Any) -> None:
    subscription = subscription_of(None)
    failed = delivery_of(subscription, status=DeliveryStatus.FAILED)
    support = client_for("support")

    _act(support, SUBSCRIPTIONS, "pause", subscription.pk)
    _act(support, DELIVERIES, "release", failed.pk)

    assert WebhookSubscription.objects.get(pk=subscription.pk).status == "active"
    assert WebhookDelivery.objects.get(pk=failed.pk).status == DeliveryStatus.FAILED
