"""The trail through the whole stack: a back-office form post (session) and an API call with a
personal token (DRF signs the person in inside the view) name their person and address."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from channeldesk.audit.models import AuditEntry
from channeldesk.core.models import TokenScope
from channeldesk.core.tokens import service_token_create
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from tests.licensing.factories import enterprise_contract, issued
from tests.notifications.factories import enqueue
from tests.personas import Personas, sign_in

pytestmark = pytest.mark.django_db


def _token_client(user: Any, *, address: str) -> APIClient:
    """An API client calling from `address` with a personal token of `user`."""
    token = service_token_create(name="script", scope=TokenScope.PERSONAL, user=user)
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    return client


def _who_where_about(kind: str) -> tuple[Any, str | None, str, int | None]:
    """The one audit entry of `kind`: its actor, remote address, channel and partner."""
    entry = AuditEntry.objects.get(kind=kind)
    return (entry.actor, entry.remote_addr, entry.via, entry.partner_id)


def test_a_back_office_release_names_the_manager_and_address(personas: Personas) -> None:
    message = enqueue(key="reminder:3:partner")
    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED)
    client = Client(REMOTE_ADDR="192.0.2.10")
    sign_in(client, personas.staff)

    response = client.post(f"/backoffice/outbox/messages/{message.pk}/release/", {"tab": "failed"})

    assert response.status_code == 302
    entry = AuditEntry.objects.get(kind="outbox.release")
    assert (entry.actor, entry.actor_label, entry.remote_addr, entry.via) == (
        personas.staff,
        "staff",
        "192.0.2.10",
        "web",
    )
    assert entry.changes == {"status": ["failed", "pending"]}


@pytest.mark.today("2026-11-27")
def test_an_api_call_with_a_personal_token_names_its_person(
    personas: Personas, licensing_keys: None
) -> None:
    issued(enterprise_contract(personas.partner_a, number="V-7"))
    client = _token_client(personas.staff, address="198.51.100.20")

    response = client.post(
        "/api/v1/licensing/keycodes/V-7/revoke/", {"reason": "leaked"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert _who_where_about("keycode.revoke") == (
        personas.staff,
        "198.51.100.20",
        "api",
        personas.partner_a.pk,
    )


@pytest.mark.today("2026-12-07")
def test_a_model_edit_through_a_token_names_the_tokens_person(personas: Personas) -> None:
    """auditlog fixes its actor when the request starts (anonymous for a token); the entry
    still names the person DRF signed in."""
    from channeldesk.tiers.selectors import policy_get
    from channeldesk.tiers.services import tier_policy_publish
    from tests.tiers.factories import AS_OF

    tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)
    client = _token_client(personas.staff, address="198.51.100.21")

    response = client.post(
        "/api/v1/tiers/overrides/",
        {"partner_number": "B-2000", "tier": "gold", "reason": "Strategic partner"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert _who_where_about("tiers.tieroverride.create") == (
        personas.staff,
        "198.51.100.21",
        "api",
        personas.partner_b.pk,
    )
