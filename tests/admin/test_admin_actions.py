"""Admin actions change state only for those whose role holds the permission (security-admin.md):
the channel manager revokes tokens and keycodes and retires installations; the read-only support
desk is not offered the actions and a forged request changes nothing."""

from __future__ import annotations

from django.test import Client

from channeldesk.core.models import ServiceToken, TokenScope
from channeldesk.core.tokens import service_token_create
from channeldesk.licensing.models import Installation, InstallationState, Keycode, KeycodeStatus
from tests.admin.factories import AdminData


def _act(client: Client, url: str, action: str, pk: int) -> int:
    response = client.post(url, {"action": action, "_selected_action": [pk], "index": 0})
    return response.status_code


def _snapshot() -> list[object]:
    return [
        list(ServiceToken.objects.order_by("pk").values()),
        list(Keycode.objects.order_by("pk").values()),
        list(Installation.objects.order_by("pk").values()),
    ]


def test_channel_manager_revokes_a_service_token(
    admin_data: AdminData, manager_client: Client
) -> None:
    token = ServiceToken.objects.get(name="IT-Schulung GmbH")

    status = _act(manager_client, "/admin/core/servicetoken/", "revoke", token.pk)

    assert status == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_channel_manager_rotates_a_keycode_and_retires_an_installation(
    admin_data: AdminData, manager_client: Client
) -> None:
    keycode = Keycode.objects.get(status=KeycodeStatus.ACTIVE)
    installation = Installation.objects.get()

    statuses = [
        _act(manager_client, "/admin/licensing/keycode/", "rotate", keycode.pk),
        _act(manager_client, "/admin/licensing/installation/", "retire", installation.pk),
    ]

    assert statuses == [302, 302]
    keycode.refresh_from_db()
    installation.refresh_from_db()
    assert keycode.status == KeycodeStatus.REVOKED
    assert Keycode.objects.filter(replaces=keycode, status=KeycodeStatus.ACTIVE).exists()
    assert installation.state == InstallationState.RETIRED


def test_support_desk_is_offered_no_action_and_a_forged_one_changes_nothing(
    admin_data: AdminData, support_client: Client
) -> None:
    token = ServiceToken.objects.get(name="IT-Schulung GmbH")
    keycode = Keycode.objects.get(status=KeycodeStatus.ACTIVE)
    installation = Installation.objects.get()
    before = _snapshot()

    menus = [
        support_client.get(url).context["action_form"]
        for url in (
            "/admin/core/servicetoken/",
            "/admin/licensing/keycode/",
            "/admin/licensing/installation/",
        )
    ]
    statuses = [
        _act(support_client, "/admin/core/servicetoken/", "revoke", token.pk),
        _act(support_client, "/admin/licensing/keycode/", "revoke", keycode.pk),
        _act(support_client, "/admin/licensing/keycode/", "rotate", keycode.pk),
        _act(support_client, "/admin/licensing/installation/", "retire", installation.pk),
    ]

    assert menus == [None, None, None]
    assert statuses == [200, 200, 200, 200]
    assert _snapshot() == before


def test_token_page_shows_a_personal_tokens_owner_and_never_the_digest(
    admin_data: AdminData, support_client: Client
) -> None:
    issued = service_token_create(
        name="Arne's script", scope=TokenScope.PERSONAL, user=admin_data.personas.partner_a_user
    )

    response = support_client.get(f"/admin/core/servicetoken/{issued.token.pk}/change/")

    content = response.content.decode()
    assert response.status_code == 200
    assert "arne" in content
    assert issued.token.digest not in content
    assert issued.secret not in content
    assert 'name="user"' not in content  # read-only, not a form field
