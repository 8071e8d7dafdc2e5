"""The lead's `webhook_events_emit`: in the business change's transaction, once per key, to the
subscriptions whose scope and event types want the event."""

from __future__ import annotations

import pytest
from django.db import transaction

from channeldesk.webhooks.emit import EmitOutsideTransaction, EventDraft, webhook_events_emit
from channeldesk.webhooks.models import WebhookDelivery, WebhookEvent
from tests.factories import PartnerFactory
from tests.webhooks.deliveries import subscription_make

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]


def tier_changed(key: str, partner_id: int | None) -> EventDraft:
    return EventDraft(
        type="partner.tier_changed", key=key, data={"tier": "gold"}, partner_id=partner_id
    )


def reached(key: str) -> set[int]:
    return set(
        WebhookDelivery.objects.filter(event__idempotency_key=key).values_list(
            "subscription_id", flat=True
        )
    )


def test_an_event_is_stored_with_the_business_change_or_not_at_all() -> None:
    subscription_make()
    partner = PartnerFactory.create()

    class Abandoned(Exception):
        pass

    def change_then_fail() -> None:
        with transaction.atomic():
            assert webhook_events_emit([tier_changed("tier:1", partner.pk)]) == 1
            raise Abandoned

    with pytest.raises(Abandoned):
        change_then_fail()

    assert not WebhookEvent.objects.exists()
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_emitting_outside_a_transaction_is_a_programming_error() -> None:
    subscription_make()
    with pytest.raises(EmitOutsideTransaction):
        webhook_events_emit([tier_changed("tier:1", None)])
    assert not WebhookEvent.objects.exists()


def test_one_event_per_idempotency_key_however_often_it_is_emitted() -> None:
    subscription, _secret = subscription_make()
    partner = PartnerFactory.create()
    with transaction.atomic():
        assert webhook_events_emit([tier_changed("tier:1", partner.pk)]) == 1
    first = WebhookEvent.objects.get()
    with transaction.atomic():
        assert webhook_events_emit([tier_changed("tier:1", partner.pk)] * 2) == 0
    assert list(WebhookEvent.objects.values_list("event_id", flat=True)) == [first.event_id]
    assert reached("tier:1") == {subscription.pk}


def test_a_partner_event_reaches_vendor_subscriptions_and_its_own_partner_only() -> None:
    alpha, beta = PartnerFactory.create(), PartnerFactory.create()
    vendor, _ = subscription_make(name="ERP")
    alphas, _ = subscription_make(partner=alpha, name="Alpha CRM")
    subscription_make(partner=beta, name="Beta PSA")
    with transaction.atomic():
        webhook_events_emit([tier_changed("tier:alpha", alpha.pk)])
    assert reached("tier:alpha") == {vendor.pk, alphas.pk}


def test_a_programme_event_reaches_every_subscription_that_asked_for_it() -> None:
    alpha = PartnerFactory.create()
    vendor, _ = subscription_make()
    alphas, _ = subscription_make(partner=alpha)
    subscription_make(event_types=["contract.renewed"])
    with transaction.atomic():
        webhook_events_emit(
            [EventDraft(type="programme.published", key="programme:7", data={"id": 7})]
        )
    assert reached("programme:7") == {vendor.pk, alphas.pk}


def test_a_paused_subscription_gets_its_delivery_to_wait_for_the_resume() -> None:
    paused, _ = subscription_make(status="paused")
    with transaction.atomic():
        webhook_events_emit([tier_changed("tier:1", None)])
    delivery = WebhookDelivery.objects.get()
    assert (delivery.subscription_id, delivery.status) == (paused.pk, "pending")


def test_an_event_nobody_subscribed_to_is_not_stored() -> None:
    subscription_make(event_types=["contract.renewed"])
    with transaction.atomic():
        assert webhook_events_emit([tier_changed("tier:1", None)]) == 0
    assert not WebhookEvent.objects.exists()


def test_an_unknown_event_type_is_refused() -> None:
    subscription_make()
    with pytest.raises(ValueError, match="Unknown webhook event type"), transaction.atomic():
        webhook_events_emit([EventDraft(type="partner.exploded", key="x", data={})])
