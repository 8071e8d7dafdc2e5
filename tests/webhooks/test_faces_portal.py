"""The portal's webhook pages: a partner admin subscribes its own systems (always for its own
partner), every partner user reads the history, and partner B's rows are never found."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import translation

from channeldesk.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from channeldesk.webhooks.secrets import webhook_secret_unseal
from tests.personas import Personas
from tests.webhooks.faces import delivery_of, subscription_of

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

FORM = {
    "name": "Our PSA",
    "url": "https://psa.alpha.example/hooks",
    "event_types": ["contract.renewal_due"],
    "notify_email": "it@alpha.example",
    "language": "de",
}


def test_partner_admin_subscribes_for_its_own_partner_and_sees_the_secret_once(
    client_for: Any, personas: Personas
) -> None:
    client = client_for("partner_a_admin")

    answer = client.post("/portal/webhooks/new/", {**FORM, "partner": "B-2000"})

    assert answer.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.partner == personas.partner_a
    secret = webhook_secret_unseal(subscription.secret_sealed)
    assert secret in answer.content.decode()
    assert secret not in client.get(f"/portal/webhooks/{subscription.pk}/").content.decode()


def test_partner_user_reads_but_does_not_manage(client_for: Any, personas: Personas) -> None:
    subscription = subscription_of(personas.partner_a, name="Alpha CRM")
    delivery = delivery_of(subscription, status=DeliveryStatus.FAILED, response="no route")
    client = client_for("partner_a_user")

    listing = client.get("/portal/webhooks/").content.decode()
    detail = client.get(f"/portal/webhooks/{subscription.pk}/").content.decode()

    assert "Alpha CRM" in listing
    assert "/portal/webhooks/new/" not in listing
    assert "no route" in detail
    assert "send-again" not in detail
    assert client.post(f"/portal/webhooks/deliveries/{delivery.pk}/send-again/").status_code == 403
    assert client.post(f"/portal/webhooks/{subscription.pk}/delete/").status_code == 403
    assert WebhookSubscription.objects.filter(pk=subscription.pk).exists()


def test_partner_b_rows_are_not_found_by_guessing_their_ids(
    client_for: Any, personas: Personas
) -> None:
    theirs = subscription_of(personas.partner_b, name="Beta CRM")
    their_delivery = delivery_of(theirs, status=DeliveryStatus.FAILED)
    vendor = subscription_of(None, name="Vendor ERP")
    client = client_for("partner_a_admin")

    assert "Beta CRM" not in client.get("/portal/webhooks/").content.decode()
    for url in (
        f"/portal/webhooks/{theirs.pk}/",
        f"/portal/webhooks/{vendor.pk}/",
        f"/portal/webhooks/{theirs.pk}/edit/",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/portal/webhooks/{theirs.pk}/pause/",
        f"/portal/webhooks/{theirs.pk}/rotate-secret/",
        f"/portal/webhooks/{theirs.pk}/delete/",
        f"/portal/webhooks/deliveries/{their_delivery.pk}/send-again/",
    ):
        assert client.post(url).status_code == 404, url
    theirs.refresh_from_db()
    assert (theirs.status, theirs.secret_sealed) == (
        "active",
        WebhookSubscription.objects.get(pk=theirs.pk).secret_sealed,
    )
    assert WebhookDelivery.objects.get(pk=their_delivery.pk).status == DeliveryStatus.FAILED


def test_partner_admin_sends_its_delivery_again_and_pauses(
    client_for: Any, personas: Personas
) -> None:
    subscription = subscription_of(personas.partner_a)
    delivery = delivery_of(subscription, status=DeliveryStatus.DELIVERED)
    client = client_for("partner_a_admin")

    assert client.post(f"/portal/webhooks/deliveries/{delivery.pk}/send-again/").status_code == 302
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    client.post(f"/portal/webhooks/{subscription.pk}/pause/", {"reason": "holiday"})
    subscription.refresh_from_db()
    assert (subscription.status, subscription.paused_reason) == ("paused", "holiday")


@pytest.mark.parametrize("language", ["de", "en"])
def test_pages_render_in_both_languages(client_for: Any, personas: Personas, language: str) -> None:
    subscription = subscription_of(personas.partner_a)
    delivery_of(subscription)
    client = client_for("partner_a_admin")

    for url in (
        "/portal/webhooks/",
        "/portal/webhooks/new/",
        f"/portal/webhooks/{subscription.pk}/",
        f"/portal/webhooks/{subscription.pk}/edit/",
    ):
        assert client.get(url, HTTP_ACCEPT_LANGUAGE=language).status_code == 200, url


def test_partner_users_read_channeldesk_staff_instead_of_a_staff_members_name(
    client_for: Any, personas: Personas
) -> None:
    from channeldesk.webhooks.review import webhook_delivery_release

    subscription = subscription_of(personas.partner_a, name="Alpha CRM")
    failed = delivery_of(subscription, status=DeliveryStatus.FAILED, response="no route")
    staff = personas.staff
    setattr(staff, staff.USERNAME_FIELD, "hannelore.vendorstaff")
    staff.save()
    webhook_delivery_release(delivery_id=failed.pk, actor=staff)
    staff_name = "hannelore.vendorstaff"

    portal = client_for("partner_a_user").get(f"/portal/webhooks/{subscription.pk}/")
    backoffice = client_for("staff").get(f"/backoffice/webhooks/{subscription.pk}/")

    assert portal.status_code == backoffice.status_code == 200
    assert staff_name not in portal.content.decode()
    with translation.override("de"):  # the installation's language, which the pages speak
        assert translation.gettext("ChannelDesk staff") in portal.content.decode()
    assert staff_name in backoffice.content.decode()
