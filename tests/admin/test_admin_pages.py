"""Vendor staff can open every admin page; partner users cannot reach the admin at all."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.db import connection
from django.db.models import Model
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import tests.admin.access_table  # noqa: F401 - before the domains' admin_rows, which import it
from channeldesk.catalog.models import OrderLine
from channeldesk.contracts.models import CustomerAssignment, Reminder
from channeldesk.core.models import ServiceToken
from channeldesk.notifications.models import OutboxMessage
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import TierAssignment
from tests.admin.factories import AdminData
from tests.domains import domain_modules
from tests.factories import MembershipFactory, PartnerFactory, UserFactory, order_with_lines
from tests.personas import Personas, sign_in

# History and imported detail rows: looked at in the admin, never added there.
# History and machine-written records: viewed in the admin, never added by hand.
READ_ONLY_MODELS: set[type[Model]] = {
    OrderLine,
    TierAssignment,
    CustomerAssignment,
    Reminder,
    OutboxMessage,
    ServiceToken,
}
for _module in domain_modules("admin_rows"):
    READ_ONLY_MODELS |= getattr(_module, "READ_ONLY_MODELS", set())

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_staff_opens_the_changelist(
    model: type[Model], admin_data: AdminData, staff_client: Client
) -> None:
    response = staff_client.get(_url(model, "changelist"))

    assert response.status_code == 200


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_staff_opens_the_add_page_unless_the_model_is_read_only(
    model: type[Model], admin_data: AdminData, staff_client: Client
) -> None:
    response = staff_client.get(_url(model, "add"))

    assert response.status_code == (403 if model in READ_ONLY_MODELS else 200)


@pytest.mark.parametrize("model", REGISTERED, ids=lambda model: model._meta.label)
def test_staff_opens_the_change_page_of_an_object(
    model: type[Model], admin_data: AdminData, staff_client: Client
) -> None:
    obj = model._default_manager.first()
    assert obj is not None, f"Add a {model._meta.label} to the admin_data fixture"

    response = staff_client.get(_url(model, "change", obj.pk))

    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["partner_a_admin", "partner_a_user", "partner_b_user"])
@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/partners/partner/", "/admin/tiers/tierpolicy/"]
)
def test_partner_users_cannot_reach_the_admin(
    persona: str, path: str, admin_data: AdminData, personas: Personas
) -> None:
    client = Client()
    sign_in(client, personas.all()[persona])

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/admin/login/?next={path}"


def test_partner_user_cannot_sign_in_to_the_admin(personas: Personas) -> None:
    """The admin has no login of its own (security-login.md): it sends everyone to allauth's."""
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "alice", "password": "correct horse battery staple"},
    )

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session


def test_support_desk_cannot_add_a_partner(admin_data: AdminData, personas: Personas) -> None:
    client = Client()
    sign_in(client, personas.support)

    response = client.post(
        "/admin/partners/partner/add/", {"partner_number": "S-1", "name": "Sneaky GmbH"}
    )

    assert response.status_code == 403
    assert not Partner.objects.filter(partner_number="S-1").exists()


def _changelist_queries(client: Client, model: type[Model]) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(_url(model, "changelist")).status_code == 200
    return len(queries)


def _more_rows(admin_data: AdminData) -> None:
    """Twenty more partners, each with a contact, a user, an order with two lines and a tier."""
    personas = admin_data.personas
    product = admin_data.order.lines.get().product
    silver = admin_data.published_policy.tiers.get(code="silver")
    for number in range(20):
        partner = PartnerFactory(account_manager=personas.staff)
        partner.contacts.create(name=f"Contact {number}")
        MembershipFactory(partner=partner, user=UserFactory())
        order = order_with_lines(
            partner, admin_data.order.order_date, [(product, 1, 10), (product, 2, 20)]
        )
        TierAssignment.objects.create(
            partner=partner,
            policy=admin_data.published_policy,
            tier=silver,
            valid_from=order.order_date,
            source="initial",
        )


@pytest.mark.parametrize(
    "label",
    [
        "partners.Partner",
        "partners.Contact",
        "partners.PartnerMembership",
        "catalog.Order",
        "catalog.OrderLine",
        "tiers.TierAssignment",
    ],
)
def test_changelist_queries_do_not_grow_with_its_rows(
    label: str, admin_data: AdminData, staff_client: Client
) -> None:
    model = next(model for model in REGISTERED if model._meta.label == label)
    staff_client.get(_url(model, "changelist"))  # Warms the session and content type caches.
    few = _changelist_queries(staff_client, model)
    _more_rows(admin_data)

    assert _changelist_queries(staff_client, model) == few


def test_partner_page_shows_the_tier_history_with_discount_and_reasons(
    admin_data: AdminData, staff_client: Client
) -> None:
    partner = admin_data.personas.partner_a

    response = staff_client.get(_url(Partner, "change", partner.pk))

    content = response.content.decode()
    assert response.status_code == 200
    # The tier and the criterion by name in the reader's language, never by code.
    assert "Silber" in content
    assert "25.00" in content or "25,00" in content
    assert "Nettoumsatz der letzten Monate: 1.000,00" in content
