"""Who gets which answer from the webhook endpoints (merged into tests/api/access_table.py).

Reads: partner users (their own partner's subscriptions and deliveries) and vendor staff.
Writes: channel managers (`staff`) and partner admins, the latter on their own partner's
subscriptions only: partner B's answers 404 to partner A's admin, as if it did not exist.
"""

from __future__ import annotations

from typing import Any

from channeldesk.webhooks.models import DeliveryStatus
from tests.api.access_table import (
    PARTNER_A_AND_STAFF,
    PARTNER_B_AND_STAFF,
    PARTNER_USERS_AND_STAFF,
    Case,
    answers,
    get,
    given,
    post,
)
from tests.api.world import World
from tests.webhooks.faces import delivery_of, subscription_of


def _subscription_a(world: World) -> dict[str, Any]:
    return {"pk": subscription_of(world.partner_a).pk}


def _subscription_b(world: World) -> dict[str, Any]:
    return {"pk": subscription_of(world.partner_b).pk}


def _paused_a(world: World) -> dict[str, Any]:
    return {"pk": subscription_of(world.partner_a, status="paused").pk}


def _paused_b(world: World) -> dict[str, Any]:
    return {"pk": subscription_of(world.partner_b, status="paused").pk}


def _vendor_subscription(world: World) -> dict[str, Any]:
    return {"pk": subscription_of(None).pk}


def _delivery_a(world: World) -> dict[str, Any]:
    subscription = subscription_of(world.partner_a)
    return {"pk": delivery_of(subscription, status=DeliveryStatus.FAILED).pk}


def _delivery_b(world: World) -> dict[str, Any]:
    subscription = subscription_of(world.partner_b)
    return {"pk": delivery_of(subscription, status=DeliveryStatus.FAILED).pk}


def _with_deliveries(world: World) -> dict[str, Any]:
    delivery_of(subscription_of(world.partner_a))
    delivery_of(subscription_of(world.partner_b))
    return {}


def _partner_b_named(world: World) -> dict[str, Any]:
    return {**NEW, "partner_number": world.partner_b.partner_number}


NEW = {
    "name": "CRM",
    "url": "https://crm.example.com/hooks",
    "event_types": ["contract.renewed"],
    "notify_email": "it@example.com",
}
# Channel managers and partner A's admin; everyone else of the cast is refused.
MANAGERS_AND_A_ADMIN = answers(403, anonymous=401, staff=200, partner_a_admin=200)
# On partner B's subscription: A's admin does not find it.
MANAGERS_ONLY_B = answers(403, anonymous=401, staff=200, partner_a_admin=404)
# Found by vendor staff only.
VENDOR_ONLY = answers(404, anonymous=401, outsider=403, staff=200, support=200)


def _write(label: str, expect: dict[str, int], kwargs: Any, method: str = "post") -> Case:
    return Case(label, expect, kwargs=kwargs, method=method, data=given())


def _patch(label: str, expect: dict[str, int], kwargs: Any) -> Case:
    return Case(label, expect, kwargs=kwargs, method="patch", data=given(name="Renamed"))


def _status(expect: dict[str, int], status: int) -> dict[str, int]:
    return {persona: status if code == 200 else code for persona, code in expect.items()}


ACCESS: dict[str, list[Case]] = {
    "webhook-event-types": [get("event types: partner users and staff", PARTNER_USERS_AND_STAFF)],
    "webhook-subscription-list": [
        get("list: each sees its own", PARTNER_USERS_AND_STAFF, _with_deliveries),
        post(
            "create: managers and partner admins",
            _status(MANAGERS_AND_A_ADMIN, 201),
            data=given(**NEW),
        ),
        post(
            "create for partner B: A's admin is refused",
            answers(403, anonymous=401, staff=201),
            data=_partner_b_named,
        ),
    ],
    "webhook-subscription-detail": [
        get("partner A's", PARTNER_A_AND_STAFF, _subscription_a),
        get("partner B's", PARTNER_B_AND_STAFF, _subscription_b),
        get("the vendor's: staff only", VENDOR_ONLY, _vendor_subscription),
        _patch("change A's", MANAGERS_AND_A_ADMIN, _subscription_a),
        _patch("change B's", MANAGERS_ONLY_B, _subscription_b),
        Case(
            "delete A's",
            _status(MANAGERS_AND_A_ADMIN, 204),
            kwargs=_subscription_a,
            method="delete",
        ),
        Case("delete B's", _status(MANAGERS_ONLY_B, 204), kwargs=_subscription_b, method="delete"),
    ],
    "webhook-subscription-pause": [
        _write("pause A's", MANAGERS_AND_A_ADMIN, _subscription_a),
        _write("pause B's", MANAGERS_ONLY_B, _subscription_b),
    ],
    "webhook-subscription-resume": [
        _write("resume A's", MANAGERS_AND_A_ADMIN, _paused_a),
        _write("resume B's", MANAGERS_ONLY_B, _paused_b),
    ],
    "webhook-subscription-rotate-secret": [
        _write("rotate A's", MANAGERS_AND_A_ADMIN, _subscription_a),
        _write("rotate B's", MANAGERS_ONLY_B, _subscription_b),
    ],
    "webhook-delivery-list": [
        get("list: each sees its own", PARTNER_USERS_AND_STAFF, _with_deliveries),
    ],
    "webhook-delivery-detail": [
        get("partner A's", PARTNER_A_AND_STAFF, _delivery_a),
        get("partner B's", PARTNER_B_AND_STAFF, _delivery_b),
    ],
    "webhook-delivery-send-again": [
        _write("send A's again", MANAGERS_AND_A_ADMIN, _delivery_a),
        _write("send B's again", MANAGERS_ONLY_B, _delivery_b),
    ],
}
