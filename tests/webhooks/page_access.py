"""Page access rows of the webhook pages of the back office and the portal.

Back office: channel managers only (the `staff` persona), like the outbox. Portal: every
partner user reads its own partner's subscriptions; its admins act. Partner B's subscription and
delivery answer 404 to partner A's admin, whatever the id.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.access import given, no_arguments
from tests.portal.page_table import (
    MANAGER_PAGE,
    PARTNER_A_PAGE,
    PARTNER_ADMIN_PAGE,
    PARTNER_B_PAGE,
    PARTNER_PAGE,
    PageCase,
    answers,
)
from tests.portal.world import PortalWorld
from tests.webhooks.faces import delivery_of, subscription_of

Builder = Callable[[PortalWorld], dict[str, Any]]


def _subscription_a(world: PortalWorld) -> dict[str, Any]:
    return {"subscription_id": subscription_of(world.personas.partner_a).pk}


def _subscription_b(world: PortalWorld) -> dict[str, Any]:
    return {"subscription_id": subscription_of(world.personas.partner_b).pk}


def _paused_a(world: PortalWorld) -> dict[str, Any]:
    return {"subscription_id": subscription_of(world.personas.partner_a, status="paused").pk}


def _paused_b(world: PortalWorld) -> dict[str, Any]:
    return {"subscription_id": subscription_of(world.personas.partner_b, status="paused").pk}


def _vendor_subscription(world: PortalWorld) -> dict[str, Any]:
    return {"subscription_id": subscription_of(None).pk}


def _with_rows(world: PortalWorld) -> dict[str, Any]:
    delivery_of(subscription_of(world.personas.partner_a))
    delivery_of(subscription_of(world.personas.partner_b))
    return {}


def _delivery_a(world: PortalWorld) -> dict[str, Any]:
    return {"delivery_id": delivery_of(subscription_of(world.personas.partner_a)).pk}


def _delivery_b(world: PortalWorld) -> dict[str, Any]:
    return {"delivery_id": delivery_of(subscription_of(world.personas.partner_b)).pk}


FORM = {
    "name": "CRM",
    "url": "https://crm.example.com/hooks",
    "event_types": ["contract.renewed"],
    "notify_email": "it@example.com",
    "language": "en",
}
MANAGER_ACTION = answers(403, anonymous=302, staff=302)
MANAGER_SECRET = answers(403, anonymous=302, staff=200)
BACKOFFICE = "/backoffice/webhooks/"
PORTAL = "/portal/webhooks/"
A_ADMIN_ACTION = answers(403, anonymous=302, partner_a_admin=302)
A_ADMIN_SECRET = answers(403, anonymous=302, partner_a_admin=200)
# Partner B's subscription: partner A's admin does not find it.
B_FOR_A_ADMIN = answers(403, anonymous=302, partner_a_admin=404)


def _post(
    label: str,
    expect: dict[str, int],
    kwargs: Builder = no_arguments,
    data: Builder | None = None,
    *,
    then: dict[str, str] | None = None,
) -> PageCase:
    return PageCase(
        label, expect, kwargs=kwargs, method="post", data=data or given(), redirects=then or {}
    )


STAFF_THEN = {"staff": BACKOFFICE}
ADMIN_THEN = {"partner_a_admin": PORTAL}

PAGES: dict[str, list[PageCase]] = {
    # The back office.
    "backoffice:webhooks": [PageCase("list", MANAGER_PAGE, kwargs=_with_rows)],
    "backoffice:webhook-create": [
        PageCase("form", MANAGER_PAGE),
        _post("create: the secret once", MANAGER_SECRET, data=given(**FORM)),
    ],
    "backoffice:webhook": [
        PageCase("partner A's", MANAGER_PAGE, kwargs=_subscription_a),
        PageCase("the vendor's", MANAGER_PAGE, kwargs=_vendor_subscription),
        PageCase(
            "unknown id", answers(403, anonymous=302, staff=404), given(subscription_id=999999)
        ),
    ],
    "backoffice:webhook-edit": [
        PageCase("form", MANAGER_PAGE, kwargs=_subscription_a),
        _post("save", MANAGER_ACTION, _subscription_a, given(**FORM), then=STAFF_THEN),
    ],
    "backoffice:webhook-pause": [_post("pause", MANAGER_ACTION, _subscription_a, then=STAFF_THEN)],
    "backoffice:webhook-resume": [_post("resume", MANAGER_ACTION, _paused_a, then=STAFF_THEN)],
    "backoffice:webhook-rotate": [_post("rotate", MANAGER_SECRET, _subscription_a)],
    "backoffice:webhook-delete": [
        _post("delete", MANAGER_ACTION, _subscription_a, then=STAFF_THEN)
    ],
    "backoffice:webhook-send-again": [
        _post("send again", MANAGER_ACTION, _delivery_a, then=STAFF_THEN)
    ],
    # The portal.
    "portal:webhooks": [PageCase("list", PARTNER_PAGE, kwargs=_with_rows)],
    "portal:webhook-create": [
        PageCase("form", PARTNER_ADMIN_PAGE),
        _post("create: the secret once", A_ADMIN_SECRET, data=given(**FORM)),
    ],
    "portal:webhook": [
        PageCase("partner A's", PARTNER_A_PAGE, kwargs=_subscription_a),
        PageCase("partner B's", PARTNER_B_PAGE, kwargs=_subscription_b),
        PageCase(
            "the vendor's: nobody in the portal",
            answers(404, anonymous=302, outsider=403, support=403, staff=403),
            kwargs=_vendor_subscription,
        ),
    ],
    "portal:webhook-edit": [
        PageCase("A's form", PARTNER_ADMIN_PAGE, kwargs=_subscription_a),
        PageCase("B's form", B_FOR_A_ADMIN, kwargs=_subscription_b),
        _post("save A's", A_ADMIN_ACTION, _subscription_a, given(**FORM), then=ADMIN_THEN),
        _post("save B's", B_FOR_A_ADMIN, _subscription_b, given(**FORM)),
    ],
    "portal:webhook-pause": [
        _post("pause A's", A_ADMIN_ACTION, _subscription_a, then=ADMIN_THEN),
        _post("pause B's", B_FOR_A_ADMIN, _subscription_b),
    ],
    "portal:webhook-resume": [
        _post("resume A's", A_ADMIN_ACTION, _paused_a, then=ADMIN_THEN),
        _post("resume B's", B_FOR_A_ADMIN, _paused_b),
    ],
    "portal:webhook-rotate": [
        _post("rotate A's", A_ADMIN_SECRET, _subscription_a),
        _post("rotate B's", B_FOR_A_ADMIN, _subscription_b),
    ],
    "portal:webhook-delete": [
        _post("delete A's", A_ADMIN_ACTION, _subscription_a, then=ADMIN_THEN),
        _post("delete B's", B_FOR_A_ADMIN, _subscription_b),
    ],
    "portal:webhook-send-again": [
        _post("send A's again", A_ADMIN_ACTION, _delivery_a, then=ADMIN_THEN),
        _post("send B's again", B_FOR_A_ADMIN, _delivery_b),
    ],
}
