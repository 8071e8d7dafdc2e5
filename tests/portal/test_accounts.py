"""Signing in (allauth): e-mail + password, optional TOTP, throttling, password reset through
the outbox; a partner admin invites and removes colleagues. The attacks on signing in are in
tests/security/test_login.py and test_outbox_secrets.py."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.contrib.auth import get_user_model
from django.test import Client

from channeldesk.notifications.models import OutboxMessage
from channeldesk.partners.models import MembershipRole, PartnerMembership
from tests.personas import Personas
from tests.portal.world import PortalWorld
from tests.security.flows import delivered_link, give_totp, sign_in_with_totp

PASSWORD = "correct horse battery staple"


pytestmark = pytest.mark.usefixtures("fresh_rate_limits")


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
    secret = give_totp(personas.staff)
    client = Client()

    sign_in_with_totp(client, "staff@example.com", secret)

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
    # The link is sealed for delivery; what the outbox shows has it redacted.
    assert message.sensitive
    assert "/accounts/password/reset/key/" not in message.text_body
    assert "[redacted]" in message.text_body


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


def _invite(client: Client, email: str, role: str = "user") -> Any:
    return client.post(
        "/portal/colleagues/",
        {"email": email, "first_name": "Ida", "last_name": "Neu", "role": role},
    )


def test_admin_invites_a_colleague_who_then_sets_a_password_and_signs_in(
    portal_world: PortalWorld, client_for: Callable[[str], Client], mailbox: list[Any]
) -> None:
    users = get_user_model().objects.count()

    # When Alice invites Ida,
    response = _invite(client_for("partner_a_admin"), "ida@alpha.example")

    # then an invitation is on its way and no login exists yet;
    assert response.status_code == 302
    assert get_user_model().objects.count() == users
    link = delivered_link("ida@alpha.example")
    assert link.startswith("/accounts/invitation/")

    # Ida follows the link, a weak password is refused,
    client = Client()
    assert client.get(link).status_code == 200
    weak = client.post(link, {"password1": "ida12345", "password2": "ida12345"})
    assert weak.status_code == 400
    assert get_user_model().objects.count() == users

    # she chooses a good one: her login, verified address and membership of partner A exist,
    chosen = client.post(link, {"password1": "N3ues-Passwort!", "password2": "N3ues-Passwort!"})
    assert chosen["Location"] == "/accounts/login/"
    ida = get_user_model().objects.get(email="ida@alpha.example")
    assert EmailAddress.objects.filter(user=ida, primary=True, verified=True).count() == 1
    membership = PartnerMembership.objects.get(user=ida)
    assert (membership.partner, membership.role) == (
        portal_world.personas.partner_a,
        MembershipRole.USER,
    )
    # and she signs in by e-mail.
    _sign_in(client, "ida@alpha.example", "N3ues-Passwort!")
    assert client.get("/portal/").status_code == 200


def test_an_invitation_link_works_once(
    portal_world: PortalWorld, client_for: Callable[[str], Client], mailbox: list[Any]
) -> None:
    _invite(client_for("partner_a_admin"), "ida@alpha.example")
    link = delivered_link("ida@alpha.example")
    Client().post(link, {"password1": "N3ues-Passwort!", "password2": "N3ues-Passwort!"})
    ida = get_user_model().objects.get(email="ida@alpha.example")

    again = Client().post(link, {"password1": "Fremdes-Pass-99", "password2": "Fremdes-Pass-99"})

    assert again.status_code == 400
    assert get_user_model().objects.filter(email="ida@alpha.example").count() == 1
    ida.refresh_from_db()
    assert ida.check_password("N3ues-Passwort!")


def test_an_invitation_link_expires(
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    mailbox: list[Any],
    settings: Any,
) -> None:
    users = get_user_model().objects.count()
    _invite(client_for("partner_a_admin"), "ida@alpha.example")
    link = delivered_link("ida@alpha.example")

    with time_machine.travel(time.time() + settings.PORTAL_INVITATION_TIMEOUT + 60):
        response = Client().post(
            link, {"password1": "N3ues-Passwort!", "password2": "N3ues-Passwort!"}
        )

    assert response.status_code == 400
    assert get_user_model().objects.count() == users


def test_an_invitation_tells_the_admin_nothing_about_an_address_with_a_login(
    portal_world: PortalWorld, client_for: Callable[[str], Client], mailbox: list[Any]
) -> None:
    # Given Bob has a login at partner B,
    users = get_user_model().objects.count()
    admin = client_for("partner_a_admin")

    # when Alice invites his address and a new one,
    taken = _invite(admin, "BOB@example.com")
    taken_page = admin.get(taken["Location"])
    free = _invite(admin, "ida@alpha.example")
    free_page = admin.get(free["Location"])

    # both answers, what they say and the colleague lists are alike, and no login is made;
    def seen(page: Any, email: str) -> tuple[list[str], list[str]]:
        said = [str(message).replace(email, "ADDRESS") for message in page.context["messages"]]
        return said, [colleague.user.email for colleague in page.context["colleagues"]]

    assert (taken.status_code, taken["Location"]) == (free.status_code, free["Location"])
    assert seen(taken_page, "BOB@example.com") == seen(free_page, "ida@alpha.example")
    assert get_user_model().objects.count() == users
    # only Bob, following the link, learns that his address has a login, and nothing changes.
    link = delivered_link("BOB@example.com")
    response = Client().post(link, {"password1": "N3ues-Passwort!", "password2": "x"})
    assert response.status_code == 400
    assert get_user_model().objects.count() == users
    assert PartnerMembership.objects.get(user=portal_world.personas.partner_b_user).partner == (
        portal_world.personas.partner_b
    )


def test_an_invitation_of_a_removed_admin_is_withdrawn(
    portal_world: PortalWorld, client_for: Callable[[str], Client], mailbox: list[Any]
) -> None:
    users = get_user_model().objects.count()
    _invite(client_for("partner_a_admin"), "ida@alpha.example", role="admin")
    link = delivered_link("ida@alpha.example")
    PartnerMembership.objects.filter(user=portal_world.personas.partner_a_admin).update(
        role=MembershipRole.USER
    )

    response = Client().get(link)

    assert response.status_code == 400
    assert get_user_model().objects.count() == users


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


def test_invitations_to_one_address_are_limited(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given Alice invited the same address three times within the hour,
    admin = client_for("partner_a_admin")
    for _attempt in range(3):
        assert _invite(admin, "ida@alpha.example").status_code == 302
    queued = OutboxMessage.objects.filter(category="account").count()

    # a fourth invitation is refused and queues nothing.
    response = _invite(admin, "ida@alpha.example")

    assert response.status_code == 400
    assert OutboxMessage.objects.filter(category="account").count() == queued == 3
