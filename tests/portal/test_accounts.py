"""Signing in (allauth): e-mail + password, optional TOTP, throttling, password reset through
the outbox; a partner admin invites and removes colleagues."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.test import Client

from channeldesk.notifications.models import OutboxMessage
from channeldesk.partners.models import MembershipRole, PartnerMembership
from tests.conftest import Personas
from tests.portal.world import PortalWorld

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def _sign_in(client: Client, login: str, password: str = PASSWORD) -> Any:
    return client.post("/accounts/login/", {"login": login, "password": password})


def test_partner_user_signs_in_with_email_and_lands_in_the_portal(personas: Personas) -> None:
    client = Client()

    response = _sign_in(client, "arne@example.com")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/")["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200


def test_staff_signs_in_and_lands_in_the_back_office(personas: Personas) -> None:
    client = Client()

    _sign_in(client, "staff@example.com")

    assert client.get("/")["Location"] == "/backoffice/"


def test_a_wrong_password_is_refused(personas: Personas) -> None:
    client = Client()

    response = _sign_in(client, "arne@example.com", "wrong")

    assert response.status_code == 200
    assert client.get("/portal/").status_code == 302


def test_repeated_failures_are_throttled(personas: Personas) -> None:
    client = Client()
    for _attempt in range(5):
        _sign_in(client, "arne@example.com", "wrong")

    # The right password is refused too while the login is throttled.
    response = _sign_in(client, "arne@example.com")

    assert response.status_code in (200, 429)
    assert client.get("/portal/").status_code == 302


def test_with_totp_the_password_alone_is_not_enough(personas: Personas) -> None:
    # Given Arne switched on TOTP,
    secret = generate_totp_secret()
    TOTP.activate(personas.partner_a_user, secret)
    client = Client()

    # when he signs in with the password, a code is asked for and the portal stays closed;
    response = _sign_in(client, "arne@example.com")
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/portal/").status_code == 302

    # with the current code he is in.
    counter = next(iter(yield_hotp_counters_from_time()))
    code = format_hotp_value(hotp_value(secret, counter))
    client.post("/accounts/2fa/authenticate/", {"code": code})
    assert client.get("/portal/").status_code == 200


def test_password_reset_mail_goes_through_the_outbox(personas: Personas) -> None:
    response = Client().post("/accounts/password/reset/", {"email": "arne@example.com"})

    assert response.status_code == 302
    message = OutboxMessage.objects.get(category="account")
    assert message.to == ["arne@example.com"]
    assert "/accounts/password/reset/key/" in message.text_body


def test_sign_up_is_closed(personas: Personas) -> None:
    users = get_user_model().objects.count()

    Client().post(
        "/accounts/signup/",
        {
            "email": "new@example.com",
            "username": "new",
            "password1": "x1y2z3w4!",
            "password2": "x1y2z3w4!",
        },
    )

    assert get_user_model().objects.count() == users


# --- Colleagues ----------------------------------------------------------------------------------


def test_admin_invites_a_colleague_who_then_sets_a_password_and_signs_in(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # When Alice invites Ida,
    response = client_for("partner_a_admin").post(
        "/portal/colleagues/",
        {"email": "ida@alpha.example", "first_name": "Ida", "last_name": "Neu", "role": "user"},
    )

    # then Ida has a login without password, an address and a membership of partner A,
    assert response.status_code == 302
    ida = get_user_model().objects.get(email="ida@alpha.example")
    assert not ida.has_usable_password()
    assert EmailAddress.objects.filter(user=ida, email="ida@alpha.example", primary=True).exists()
    membership = PartnerMembership.objects.get(user=ida)
    assert (membership.partner, membership.role) == (
        portal_world.personas.partner_a,
        MembershipRole.USER,
    )
    # and an invitation with a link to choose a password is queued.
    message = OutboxMessage.objects.get(idempotency_key=f"portal-invitation:{ida.pk}")
    assert message.to == ["ida@alpha.example"]
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", message.text_body)
    assert link is not None

    # Ida follows the link, chooses a password and signs in by e-mail.
    client = Client()
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200
    client.post(
        form.redirect_chain[-1][0], {"password1": "N3ues-Passwort!", "password2": "N3ues-Passwort!"}
    )
    cache.clear()
    _sign_in(client, "ida@alpha.example", "N3ues-Passwort!")
    assert client.get("/portal/").status_code == 200


def test_an_address_with_a_login_cannot_be_invited_again(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    users = get_user_model().objects.count()

    response = client_for("partner_a_admin").post(
        "/portal/colleagues/",
        {"email": "BOB@example.com", "first_name": "B", "last_name": "B", "role": "admin"},
    )

    assert response.status_code == 400
    assert get_user_model().objects.count() == users
    assert not OutboxMessage.objects.filter(category="account").exists()


def test_admin_removes_a_colleague_whose_login_then_stops_working(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    arne = portal_world.personas.partner_a_user
    arne_client = client_for("partner_a_user")

    response = client_for("partner_a_admin").post(f"/portal/colleagues/{arne.pk}/remove/")

    assert response.status_code == 302
    arne.refresh_from_db()
    assert not arne.is_active
    assert not PartnerMembership.objects.filter(user=arne).exists()
    assert arne_client.get("/portal/").status_code == 302


def test_admin_cannot_remove_itself(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    alice = portal_world.personas.partner_a_admin

    client_for("partner_a_admin").post(f"/portal/colleagues/{alice.pk}/remove/")

    alice.refresh_from_db()
    assert alice.is_active
    assert PartnerMembership.objects.filter(user=alice).exists()


def test_a_partner_user_cannot_manage_colleagues(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    alice = portal_world.personas.partner_a_admin

    response = client_for("partner_a_user").post(f"/portal/colleagues/{alice.pk}/remove/")

    assert response.status_code == 403
    assert PartnerMembership.objects.filter(user=alice).exists()
