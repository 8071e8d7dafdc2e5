"""The subscription services: the URL rule, event types, the partner rule, pause and resume,
rotating the secret, deleting; and the selectors' scoping."""

from __future__ import annotations

import datetime as dt
import socket
from typing import Any

import pytest
from django.utils import timezone

from channeldesk.audit.models import AuditEntry
from channeldesk.core.errors import Conflict, DomainError, NotFound
from channeldesk.webhooks import sending
from channeldesk.webhooks.models import DeliveryStatus, SubscriptionStatus, WebhookSubscription
from channeldesk.webhooks.secrets import webhook_secret_unseal
from channeldesk.webhooks.selectors import (
    deliveries_visible_to,
    events_visible_to,
    subscription_may_be_managed,
    subscriptions_visible_to,
    user_may_manage_webhooks,
)
from channeldesk.webhooks.subscriptions import (
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_pause,
    webhook_subscription_resume,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)
from tests.personas import Personas
from tests.webhooks.faces import delivery_of, subscription_of

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-07")]

CRM = "https://crm.example.com/hooks"


def _create(actor: Any, **changes: Any) -> Any:
    arguments = {
        "actor": actor,
        "name": "CRM",
        "url": CRM,
        "event_types": ["contract.renewed", "partner.tier_changed"],
        "notify_email": "it@example.com",
        "language": "en",
        **changes,
    }
    return webhook_subscription_create(**arguments)


def _refused(code: str, actor: Any, **changes: Any) -> DomainError:
    before = (WebhookSubscription.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DomainError) as refusal:
        _create(actor, **changes)
    assert refusal.value.code == code
    assert (WebhookSubscription.objects.count(), AuditEntry.objects.count()) == before
    return refusal.value


def test_created_subscription_gets_a_secret_shown_once_and_stored_sealed(
    personas: Personas,
) -> None:
    subscription, secret = _create(personas.staff)

    assert secret.startswith("whsec_")
    assert secret not in subscription.secret_sealed
    assert webhook_secret_unseal(subscription.secret_sealed) == secret
    assert subscription.status == SubscriptionStatus.ACTIVE
    assert subscription.partner is None
    assert subscription.created_by == personas.staff
    # In the catalogue's order, whatever order they were asked in.
    assert subscription.event_types == ["partner.tier_changed", "contract.renewed"]
    entry = AuditEntry.objects.get(kind="webhooks.subscription_create")
    assert secret not in str(entry.__dict__)


@pytest.mark.parametrize(
    "url",
    [
        "http://crm.example.com/hooks",
        "http://127.0.0.1:8080/hooks",
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://[::1]/hooks",
        "https://localhost/hooks",
        "ftp://crm.example.com/",
        "https://user:pass@crm.example.com/",
    ],
)
def test_production_refuses_plain_http_and_private_addresses(
    personas: Personas, settings: Any, url: str
) -> None:
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False

    error = _refused("url_not_allowed", personas.staff, url=url)

    assert error.details[0]["field"] == "url"


def resolving(monkeypatch: pytest.MonkeyPatch, names: dict[str, list[str]]) -> None:
    """Host names resolve as `names` says; any other name does not resolve."""

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host not in names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        family = lambda a: socket.AF_INET6 if ":" in a else socket.AF_INET  # noqa: E731
        return [(family(a), socket.SOCK_STREAM, 6, "", (a, port)) for a in names[host]]

    monkeypatch.setattr(sending.socket, "getaddrinfo", getaddrinfo)


def test_a_name_resolving_only_to_private_addresses_is_refused_at_once(
    personas: Personas, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    resolving(
        monkeypatch,
        {
            "loopback.example.com": ["127.0.0.1", "::1"],
            "intranet.example.com": ["10.20.30.40"],
            "crm.example.com": ["93.184.215.14"],
            "mixed.example.com": ["93.184.215.14", "10.0.0.7"],
        },
    )

    for host in ("loopback.example.com", "intranet.example.com"):
        error = _refused("url_not_allowed", personas.staff, url=f"https://{host}/hooks")
        assert "10.20.30.40" not in str(error)
        assert "127.0.0.1" not in str(error)
    # A public name passes; one with a private address among public ones is refused at every
    # send (GuardedBackend), as is a name that does not resolve yet.
    for host in ("crm.example.com", "mixed.example.com", "not-yet.example.com"):
        subscription, _secret = _create(personas.staff, url=f"https://{host}/hooks")
        assert subscription.url == f"https://{host}/hooks"


def test_where_private_addresses_are_allowed_a_private_name_passes(
    personas: Personas, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    resolving(monkeypatch, {"intranet.example.com": ["10.20.30.40"]})
    subscription, _secret = _create(personas.staff, url="https://intranet.example.com/hooks")
    assert subscription.url == "https://intranet.example.com/hooks"


@pytest.mark.parametrize("switch", ["DEBUG", "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES"])
def test_development_allows_http_to_loopback_only(
    personas: Personas, settings: Any, switch: str
) -> None:
    settings.DEBUG = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    setattr(settings, switch, True)

    _refused("url_not_allowed", personas.staff, url="http://crm.example.com/hooks")
    subscription, _secret = _create(personas.staff, url="http://127.0.0.1:8099/hooks")

    assert subscription.url == "http://127.0.0.1:8099/hooks"


def test_unknown_or_no_event_types_are_refused(personas: Personas) -> None:
    error = _refused("unknown_event_type", personas.staff, event_types=["contract.stolen"])
    assert error.details == [
        {"field": "event_types", "message": "contract.stolen", "code": "unknown_event_type"}
    ]
    _refused("no_event_types", personas.staff, event_types=[])


def test_partner_admin_subscribes_for_its_own_partner_only(personas: Personas) -> None:
    subscription, _secret = _create(personas.partner_a_admin)
    assert subscription.partner == personas.partner_a

    same, _secret = _create(personas.partner_a_admin, partner=personas.partner_a, name="PSA")
    assert same.partner == personas.partner_a


def test_partner_admin_may_not_name_another_partner(personas: Personas) -> None:
    error = _refused("partner_not_allowed", personas.partner_a_admin, partner=personas.partner_b)
    assert error.status_code == 403
    assert _refused("not_partner_admin", personas.partner_a_user).status_code == 403


def test_resume_makes_the_waiting_deliveries_due_now(personas: Personas) -> None:
    subscription = subscription_of(personas.partner_a)
    later = timezone.now() + dt.timedelta(hours=5)
    waiting = delivery_of(subscription, status=DeliveryStatus.RETRY, next_attempt_at=later)
    failed = delivery_of(subscription, status=DeliveryStatus.FAILED, next_attempt_at=later)
    other = delivery_of(subscription_of(personas.partner_b), status="retry", next_attempt_at=later)

    webhook_subscription_pause(actor=personas.staff, subscription=subscription, reason="moving")
    subscription.refresh_from_db()
    assert (subscription.status, subscription.paused_reason) == ("paused", "moving")
    webhook_subscription_resume(actor=personas.partner_a_admin, subscription=subscription)

    subscription.refresh_from_db()
    assert (subscription.status, subscription.paused_reason) == ("active", "")
    for delivery in (waiting, failed, other):
        delivery.refresh_from_db()
    assert waiting.next_attempt_at <= timezone.now()
    assert (failed.next_attempt_at, other.next_attempt_at) == (later, later)
    assert AuditEntry.objects.filter(kind="webhooks.subscription_resume").count() == 1


def test_pausing_a_paused_or_resuming_an_active_subscription_is_a_conflict(
    personas: Personas,
) -> None:
    active = subscription_of(None)
    paused = subscription_of(None, status="paused")

    with pytest.raises(Conflict) as resumed:
        webhook_subscription_resume(actor=personas.staff, subscription=active)
    with pytest.raises(Conflict) as paused_again:
        webhook_subscription_pause(actor=personas.staff, subscription=paused)

    assert (resumed.value.code, paused_again.value.code) == (
        "subscription_active",
        "subscription_paused",
    )
    assert not AuditEntry.objects.filter(kind__startswith="webhooks.").exists()


def test_rotating_gives_a_new_secret_and_seals_it(personas: Personas) -> None:
    subscription, old = _create(personas.staff)

    rotated, new = webhook_subscription_rotate_secret(
        actor=personas.staff, subscription=subscription
    )

    assert new != old
    assert new.startswith("whsec_")
    rotated.refresh_from_db()
    assert webhook_secret_unseal(rotated.secret_sealed) == new


def test_update_changes_what_is_given_and_records_it(personas: Personas) -> None:
    subscription = subscription_of(personas.partner_a, name="CRM")

    webhook_subscription_update(
        actor=personas.partner_a_admin,
        subscription=subscription,
        name="New CRM",
        event_types=["keycode.revoked"],
    )

    subscription.refresh_from_db()
    assert (subscription.name, subscription.event_types) == ("New CRM", ["keycode.revoked"])
    assert subscription.url == "https://crm.example.com/hooks"
    entry = AuditEntry.objects.get(kind="webhooks.subscription_update")
    assert "New CRM" in str(entry.changes)


def test_partner_admin_cannot_touch_another_partners_subscription(personas: Personas) -> None:
    theirs = subscription_of(personas.partner_b, name="B's CRM")

    for service in (webhook_subscription_pause, webhook_subscription_delete):
        with pytest.raises(NotFound):
            service(actor=personas.partner_a_admin, subscription=theirs)
    with pytest.raises(NotFound):
        webhook_subscription_update(
            actor=personas.partner_a_admin, subscription=theirs, name="mine now"
        )

    theirs.refresh_from_db()
    assert (theirs.name, theirs.status) == ("B's CRM", "active")


def test_delete_removes_the_subscription_and_its_deliveries(personas: Personas) -> None:
    subscription = subscription_of(personas.partner_a)
    delivery = delivery_of(subscription)

    webhook_subscription_delete(actor=personas.partner_a_admin, subscription=subscription)

    assert not WebhookSubscription.objects.filter(pk=subscription.pk).exists()
    assert not deliveries_visible_to(user=personas.staff).filter(pk=delivery.pk).exists()
    entry = AuditEntry.objects.get(kind="webhooks.subscription_delete")
    assert entry.partner_id == personas.partner_a.pk


def test_each_partner_sees_only_its_own_subscriptions_and_deliveries(personas: Personas) -> None:
    vendor = subscription_of(None)
    mine = subscription_of(personas.partner_a)
    theirs = subscription_of(personas.partner_b)
    mine_delivery, their_delivery = delivery_of(mine), delivery_of(theirs)

    def seen(user: Any) -> set[int]:
        return set(subscriptions_visible_to(user=user).values_list("pk", flat=True))

    assert seen(personas.staff) == seen(personas.support) == {vendor.pk, mine.pk, theirs.pk}
    assert seen(personas.partner_a_admin) == seen(personas.partner_a_user) == {mine.pk}
    assert seen(personas.partner_b_user) == {theirs.pk}
    deliveries = deliveries_visible_to(user=personas.partner_a_user)
    assert set(deliveries.values_list("pk", flat=True)) == {mine_delivery.pk}
    events = events_visible_to(user=personas.partner_b_user)
    assert set(events.values_list("pk", flat=True)) == {their_delivery.event_id}


def test_only_channel_managers_and_partner_admins_manage(personas: Personas) -> None:
    mine = subscription_of(personas.partner_a)
    theirs = subscription_of(personas.partner_b)

    managers = {
        name for name, user in personas.all().items() if user_may_manage_webhooks(user=user)
    }
    assert managers == {"staff", "partner_a_admin"}
    assert subscription_may_be_managed(user=personas.partner_a_admin, subscription=mine)
    assert not subscription_may_be_managed(user=personas.partner_a_admin, subscription=theirs)
    assert not subscription_may_be_managed(user=personas.support, subscription=mine)
