"""Second factors in the admin (docs/security-admin.md): no page shows a secret; only a superuser
removes a person's authenticator, and the admin's log says who removed whose."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.admin.models import DELETION, LogEntry
from django.test import Client

from tests.personas import Personas

CHANGELIST = "/admin/mfa/authenticator/"


def _second_factor(user: object) -> tuple[Authenticator, Authenticator]:
    totp = TOTP.activate(user, generate_totp_secret()).instance
    codes = RecoveryCodes.activate(user).instance
    return totp, codes


def _secrets(authenticators: tuple[Authenticator, ...]) -> list[str]:
    return [
        str(value)
        for authenticator in authenticators
        for value in authenticator.data.values()
        if isinstance(value, str) and len(value) >= 8
    ]


def test_superuser_sees_who_has_which_factor_but_never_the_secret(
    personas: Personas, staff_client: Client
) -> None:
    # Given a partner user with TOTP and recovery codes
    factors = _second_factor(personas.partner_a_user)

    # When the superuser opens the list and both change pages
    pages = [staff_client.get(CHANGELIST)] + [
        staff_client.get(f"{CHANGELIST}{factor.pk}/change/") for factor in factors
    ]

    # Then every page answers, names the owner, and holds no secret nor a data field
    assert [page.status_code for page in pages] == [200, 200, 200]
    content = "".join(page.content.decode() for page in pages)
    assert "arne" in content
    assert _secrets(factors)
    assert [secret for secret in _secrets(factors) if secret in content] == []
    assert 'name="data"' not in content
    assert "secret" not in content.lower()


def test_superuser_removes_an_authenticator_and_the_log_says_who_removed_whose(
    personas: Personas, staff_client: Client
) -> None:
    # Given a partner user who lost the phone with the TOTP app
    totp, codes = _second_factor(personas.partner_a_user)

    # When the superuser removes the TOTP authenticator
    response = staff_client.post(
        f"{CHANGELIST}{totp.pk}/delete/", {"post": "yes"}, HTTP_ACCEPT_LANGUAGE="en"
    )

    # Then it is gone with the recovery codes it made useful, and both removals are logged
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=personas.partner_a_user).exists()
    entries = LogEntry.objects.filter(content_type__app_label="mfa").order_by("object_id")
    assert [(entry.user_id, entry.action_flag, entry.object_id) for entry in entries] == [
        (personas.staff.pk, DELETION, str(totp.pk)),
        (personas.staff.pk, DELETION, str(codes.pk)),
    ]
    assert all("arne" in entry.object_repr for entry in entries)
    assert all(f"user id {personas.partner_a_user.pk}" in entry.change_message for entry in entries)


def test_removing_one_of_two_factors_keeps_the_recovery_codes(
    personas: Personas, staff_client: Client
) -> None:
    # Given a user with TOTP, recovery codes and a passkey-like second real factor
    totp, codes = _second_factor(personas.partner_a_user)
    Authenticator.objects.create(
        user=personas.partner_a_user, type=Authenticator.Type.WEBAUTHN, data={"name": "Key"}
    )

    # When the superuser removes the TOTP authenticator with the list's delete action
    response = staff_client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [totp.pk], "post": "yes"}
    )

    # Then the recovery codes stay (the passkey still needs them) and one removal is logged
    assert response.status_code == 302
    remaining = Authenticator.objects.filter(user=personas.partner_a_user)
    assert set(remaining.values_list("type", flat=True)) == {"recovery_codes", "webauthn"}
    assert Authenticator.objects.filter(pk=codes.pk).exists()
    assert LogEntry.objects.filter(content_type__app_label="mfa").count() == 1


def test_channel_manager_and_support_desk_cannot_see_or_remove_authenticators(
    personas: Personas, manager_client: Client, support_client: Client
) -> None:
    totp, codes = _second_factor(personas.partner_a_user)

    for client in (manager_client, support_client):
        pages = [
            client.get(CHANGELIST),
            client.get(f"{CHANGELIST}{totp.pk}/change/"),
            client.post(f"{CHANGELIST}{totp.pk}/delete/", {"post": "yes"}),
        ]

        assert [page.status_code for page in pages] == [403, 403, 403]
    assert set(Authenticator.objects.values_list("pk", flat=True)) >= {totp.pk, codes.pk}
    assert not LogEntry.objects.exists()
