"""The sign-in rules of docs/security-login.md: one login for everyone, a session
counts only after the second factor, staff must have one, throttles that stop guessing but
cannot lock the owner out, and links that expire and work once."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
import time_machine
from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.contrib.auth import SESSION_KEY, get_user_model
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from channeldesk.notifications.models import OutboxMessage
from channeldesk.portal.allauth_texts import ALLAUTH_FORMAL_TEXTS
from tests.personas import Personas, sign_in
from tests.security.flows import (
    PASSWORD,
    delivered_link,
    give_totp,
    has_totp,
    password_step,
    sign_in_with_totp,
    totp_code,
)

pytestmark = pytest.mark.usefixtures("fresh_rate_limits")

API_URL = "/api/v1/partners/"


def _signed_in_as(client: Client) -> int | None:
    user_id = client.session.get(SESSION_KEY)
    return int(user_id) if user_id is not None else None


# --- One login for everyone (hole 4) ---------------------------------------------------------


def test_the_admin_login_sends_people_to_the_one_sign_in_keeping_next(db: None) -> None:
    response = Client().get("/admin/login/", {"next": "/admin/partners/partner/"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/admin/partners/partner/"


def test_the_admin_login_refuses_a_foreign_next(db: None) -> None:
    response = Client().get("/admin/login/", {"next": "https://evil.example/"})

    assert response["Location"] == "/accounts/login/?next=/admin/"


def test_a_password_posted_to_the_admin_login_signs_nobody_in(personas: Personas) -> None:
    # Given staff with TOTP, who once could sign in at /admin/login/ with the password alone,
    give_totp(personas.staff)
    client = Client()

    # when the password goes to the admin's login,
    response = client.post(
        "/admin/login/", {"username": "staff", "password": PASSWORD, "next": "/admin/"}
    )

    # it is not even read: nobody is signed in and the admin stays closed.
    assert response.status_code == 302
    assert _signed_in_as(client) is None
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert client.get("/backoffice/")["Location"].startswith("/accounts/login/")


def test_a_signed_in_partner_user_sent_to_the_admin_login_gets_403(personas: Personas) -> None:
    client = Client()
    sign_in(client, personas.partner_a_user)

    assert client.get("/admin/login/", {"next": "/admin/"}).status_code == 403


def test_with_totp_the_password_opens_nothing_until_the_code(personas: Personas) -> None:
    # Given staff with TOTP,
    secret = give_totp(personas.staff)
    client = Client()

    # after the password alone, the back office, the admin and the API are closed;
    response = password_step(client, "staff@example.com")
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/backoffice/").status_code == 302
    assert client.get("/admin/").status_code == 302
    assert client.get(API_URL).status_code in (401, 403)

    # with the code they open.
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})
    assert client.get("/backoffice/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get(API_URL).status_code == 200


def test_a_session_that_skipped_the_second_factor_is_signed_out(personas: Personas) -> None:
    # Given staff with TOTP and a session made without the code (as the old admin login did),
    give_totp(personas.staff)
    client = Client()
    client.force_login(personas.staff)

    # every face treats it as signed out,
    assert client.get("/backoffice/")["Location"].startswith("/accounts/login/")
    assert client.get(API_URL).status_code in (401, 403)
    client.force_login(personas.staff)
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    # and the session is over.
    assert _signed_in_as(client) is None


def test_a_partner_user_whose_session_skipped_the_code_is_signed_out(
    personas: Personas,
) -> None:
    give_totp(personas.partner_a_user)
    client = Client()
    client.force_login(personas.partner_a_user)

    assert client.get("/portal/")["Location"].startswith("/accounts/login/")
    assert _signed_in_as(client) is None


def test_staff_without_a_second_factor_reach_only_its_setup_until_done(
    personas: Personas,
) -> None:
    # Given staff without TOTP signed in with the password,
    client = Client()
    password_step(client, "staff@example.com")
    assert _signed_in_as(client) == personas.staff.pk

    # the back office and the admin send them to the TOTP setup, the API refuses;
    for url in ("/backoffice/", "/admin/", "/admin/partners/partner/", "/portal/"):
        assert client.get(url)["Location"] == "/accounts/2fa/totp/activate/", url
    refused = client.get(API_URL)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "second_factor_required"
    assert not has_totp(personas.staff)

    # they confirm their password and set TOTP up with the app's code,
    confirm = client.get("/accounts/2fa/totp/activate/")
    assert confirm["Location"].startswith("/accounts/reauthenticate/")
    client.post(confirm["Location"], {"password": PASSWORD})
    setup = client.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp_code(secret)})
    assert response.status_code == 302

    # and from then on they are signed in with it, without signing in again.
    assert has_totp(personas.staff)
    assert client.get("/backoffice/").status_code == 200
    assert client.get("/admin/").status_code == 200
    assert client.get(API_URL).status_code == 200


def _signed_in_with_totp_and_password_confirmed(user: Any) -> Client:
    """A browser of `user`, signed in with a new TOTP, that confirmed the password just now (as
    switching TOTP off asks)."""
    secret = give_totp(user)
    client = Client()
    sign_in_with_totp(client, user.get_username(), secret)
    confirm = client.get("/accounts/2fa/totp/deactivate/")
    client.post(confirm["Location"], {"password": PASSWORD})
    return client


def test_staff_cannot_switch_their_last_second_factor_off(personas: Personas) -> None:
    # Given staff signed in with TOTP, who confirmed their password just now,
    client = _signed_in_with_totp_and_password_confirmed(personas.staff)

    # when they switch TOTP off, it is refused and stays on.
    response = client.post("/accounts/2fa/totp/deactivate/")

    assert response.status_code == 200
    assert has_totp(personas.staff)
    assert client.get("/backoffice/").status_code == 200


def test_a_partner_user_may_switch_totp_off(personas: Personas) -> None:
    client = _signed_in_with_totp_and_password_confirmed(personas.partner_a_user)

    response = client.post("/accounts/2fa/totp/deactivate/")

    assert response.status_code == 302
    assert not has_totp(personas.partner_a_user)
    assert client.get("/portal/").status_code == 200


def test_staff_whose_second_factor_was_removed_are_sent_to_set_one_up(
    personas: Personas,
) -> None:
    client = Client()
    sign_in(client, personas.staff)
    assert client.get("/backoffice/").status_code == 200

    Authenticator.objects.filter(user=personas.staff).delete()

    assert client.get("/backoffice/")["Location"] == "/accounts/2fa/totp/activate/"


def test_a_partner_user_without_totp_signs_in_with_the_password(personas: Personas) -> None:
    client = Client()

    password_step(client, "arne@example.com")

    assert client.get("/portal/").status_code == 200


def test_the_sign_in_helper_leaves_the_session_as_the_real_login_does(
    personas: Personas, rf: Any
) -> None:
    # Given staff with TOTP signed in for real, and again with the tests' helper,
    secret = give_totp(personas.staff)
    real, helped = Client(), Client()
    sign_in_with_totp(real, "staff", secret)
    sign_in(helped, personas.staff)

    # both sessions hold the same steps for the same login.
    def steps(client: Client) -> list[tuple[str, str | None]]:
        request = rf.get("/")
        request.session = client.session
        records = get_authentication_records(request, personas.staff)
        return [(record["method"], record.get("type")) for record in records]

    assert steps(real) == steps(helped) == [("password", None), ("mfa", "totp")]
    assert _signed_in_as(real) == _signed_in_as(helped) == personas.staff.pk


# --- Throttles (hole 5, lockout) -------------------------------------------------------------


def _wrong_passwords(client: Client, login: str, count: int, address: str) -> list[Any]:
    return [
        password_step(client, login, f"wrong-{attempt}", REMOTE_ADDR=address)
        for attempt in range(count)
    ]


def test_thirty_wrong_passwords_are_throttled_and_the_right_one_then_refused(
    personas: Personas,
) -> None:
    # Given 30 wrong passwords for staff from one address (through the admin's login URL
    # too, which only sends people on),
    client = Client()
    client.post("/admin/login/", {"username": "staff", "password": "wrong"})
    answers = _wrong_passwords(client, "staff", 30, "198.51.100.7")

    # the throttle stepped in long before the end,
    throttled = [
        response
        for response in answers
        if response.status_code == 429 or "too_many_login_attempts" in _error_codes(response)
    ]
    assert len(throttled) >= 25

    # and the right password from that address is refused as well.
    response = password_step(client, "staff", REMOTE_ADDR="198.51.100.7")
    assert response.status_code in (200, 429)
    assert _signed_in_as(client) is None
    assert "Location" not in response


def _error_codes(response: Any) -> set[str]:
    if response.context is None or "form" not in response.context:
        return set()
    errors = response.context["form"].errors.as_data()
    return {error.code for field_errors in errors.values() for error in field_errors}


def test_an_attacker_cannot_lock_the_owner_out_from_elsewhere(personas: Personas) -> None:
    # Given an attacker guessed Arne's password 30 times from one address,
    attacker = Client()
    _wrong_passwords(attacker, "arne@example.com", 30, "203.0.113.66")

    # Arne signs in from his own address,
    arne = Client()
    password_step(arne, "arne@example.com", REMOTE_ADDR="192.0.2.10")
    assert _signed_in_as(arne) == personas.partner_a_user.pk
    # while the attacker's address is refused even the right password.
    password_step(attacker, "arne@example.com", REMOTE_ADDR="203.0.113.66")
    assert _signed_in_as(attacker) is None


def test_five_wrong_passwords_for_one_login_from_one_address_throttle_it(
    personas: Personas,
) -> None:
    # Given five wrong passwords for Arne from one address, each refused as wrong,
    client = Client()
    answers = _wrong_passwords(client, "arne@example.com", 5, "192.0.2.20")
    assert all("too_many_login_attempts" not in _error_codes(answer) for answer in answers)

    # the sixth try from there is throttled, the right password too.
    response = password_step(client, "arne@example.com", REMOTE_ADDR="192.0.2.20")

    assert "too_many_login_attempts" in _error_codes(response)
    assert _signed_in_as(client) is None


# --- Password resets: unknown addresses, lifetime, single use, validators ---------------------


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(db: None) -> None:
    unknown = Client().post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert unknown.status_code == 302
    assert unknown["Location"] == "/accounts/password/reset/done/"
    assert not OutboxMessage.objects.exists()


def _choose_password(link: str, password: str) -> Any:
    client = Client()
    form = client.get(link, follow=True)
    if form.context.get("token_fail", False):
        return form
    return client.post(form.redirect_chain[-1][0], {"password1": password, "password2": password})


def test_a_reset_link_works_once(personas: Personas, mailbox: list[Any]) -> None:
    # Given Arne asked for a reset and chose a new password with the link,
    Client().post("/accounts/password/reset/", {"email": "arne@example.com"})
    link = delivered_link("arne@example.com")
    assert _choose_password(link, "Fjord-Lantern-42").status_code == 302

    # when the same link is used again, it is refused and the password stays his.
    again = _choose_password(link, "Someone-Elses-99")

    assert again.context["token_fail"]
    personas.partner_a_user.refresh_from_db()
    assert personas.partner_a_user.check_password("Fjord-Lantern-42")


def test_a_reset_link_expires(personas: Personas, mailbox: list[Any], settings: Any) -> None:
    Client().post("/accounts/password/reset/", {"email": "arne@example.com"})
    link = delivered_link("arne@example.com")
    # A timestamp, not an aware datetime: time_machine would also switch the time zone.
    later = time.time() + settings.PASSWORD_RESET_TIMEOUT + 60

    with time_machine.travel(later):
        response = _choose_password(link, "Fjord-Lantern-42")

    assert response.context["token_fail"]
    personas.partner_a_user.refresh_from_db()
    assert personas.partner_a_user.check_password(PASSWORD)


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("Kurz-1!", "password_too_short"),
        ("password123", "password_too_common"),
        ("4711081547110815", "password_entirely_numeric"),
        ("arne@example.com", "password_too_similar"),
    ],
)
def test_a_reset_refuses_a_weak_password(
    personas: Personas, mailbox: list[Any], password: str, reason: str
) -> None:
    Client().post("/accounts/password/reset/", {"email": "arne@example.com"})
    link = delivered_link("arne@example.com")

    response = _choose_password(link, password)

    assert response.status_code == 200
    assert reason in _error_codes(response)
    personas.partner_a_user.refresh_from_db()
    assert personas.partner_a_user.check_password(PASSWORD)


def test_a_password_change_refuses_a_common_password(personas: Personas) -> None:
    client = Client()
    sign_in(client, personas.partner_a_user)

    response = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "password123", "password2": "password123"},
    )

    assert "password_too_common" in _error_codes(response)
    user = get_user_model().objects.get(pk=personas.partner_a_user.pk)
    assert user.check_password(PASSWORD)


# --- The sign-in page -------------------------------------------------------------------------


def test_the_sign_in_page_offers_no_sign_up(db: None) -> None:
    page = Client().get("/accounts/login/").content.decode()

    assert "/accounts/signup/" not in page
    assert 'name="login"' in page
    assert "/accounts/password/reset/" in page


def test_allauth_texts_are_formal_in_german(db: None) -> None:
    with translation.override("de"):
        texts = [gettext(text) for text in ALLAUTH_FORMAL_TEXTS]

    informal = re.compile(r"\b(du|dein\w*|dich|dir|gib|habe)\b", re.IGNORECASE)
    assert [text for text in texts if informal.search(text)] == []
