"""Passkeys (WebAuthn) under the second-factor rule (core.second_factor, docs/security.md):
a passwordless passkey sign-in counts as both factors, a passkey after the password as the
second, staff with only a passkey have their second factor, staff may set one up instead of
TOTP, and nobody (staff) removes their last factor.

The ceremonies run through allauth's real pages on a test client, with `SoftPasskey`: a
software authenticator (ES256, attestation "none") that answers the browser's part as a
platform authenticator does, so these tests run on both databases; the browser tests
(tests/browser/test_passkeys.py) drive the same pages with Chromium's virtual authenticator.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any

import pytest
from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY as AUTHENTICATION_METHODS_USER_SESSION_KEY,
)
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.userkit import user_id_to_str
from allauth.mfa.models import Authenticator
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth import SESSION_KEY
from django.test import Client, RequestFactory
from django.urls import NoReverseMatch, reverse
from fido2.cose import ES256
from fido2.utils import websafe_decode, websafe_encode
from fido2.webauthn import (
    AttestationObject,
    AttestedCredentialData,
    AuthenticatorData,
    CollectedClientData,
)

from channeldesk.core.middleware import ENROLMENT_URL_NAMES
from channeldesk.core.second_factor import (
    Standing,
    session_standing,
    user_has_second_factor,
)
from channeldesk.portal.adapters import MFAAdapter
from tests.personas import Personas
from tests.security.flows import PASSWORD, give_totp, has_totp, password_step

pytestmark = pytest.mark.usefixtures("fresh_rate_limits")

# WebAuthn accepts http only on localhost (python-fido2 as the browsers): the test client
# speaks to that host.
HOST = "localhost"
ORIGIN = f"http://{HOST}"
LOGIN_OPTIONS_URL = "/accounts/2fa/webauthn/login/"
FLAG = AuthenticatorData.FLAG


class SoftPasskey:
    """One credential of a software authenticator: made once (`register`), then asserted."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = os.urandom(32)
        self.user_handle = ""
        self.counter = 0

    def register(self, creation_options: dict[str, Any], *, resident: bool) -> dict[str, Any]:
        """The browser's answer to `navigator.credentials.create()` with these options."""
        options = creation_options["publicKey"]
        self.user_handle = options["user"]["id"]
        public_key = ES256.from_cryptography_key(self.private_key.public_key())
        credential = AttestedCredentialData.create(bytes(16), self.credential_id, public_key)
        flags = FLAG.UP | FLAG.UV | FLAG.AT
        auth_data = AuthenticatorData.create(_rp_hash(options["rp"]["id"]), flags, 0, credential)
        client_data = _client_data("webauthn.create", options["challenge"])
        attestation = AttestationObject.create("none", auth_data, {})
        return {
            **self._ids(),
            "response": {
                "clientDataJSON": websafe_encode(bytes(client_data)),
                "attestationObject": websafe_encode(bytes(attestation)),
            },
            "clientExtensionResults": {"credProps": {"rk": resident}},
        }

    def assertion(
        self, request_options: dict[str, Any], *, user_verified: bool = True
    ) -> dict[str, Any]:
        """The browser's answer to `navigator.credentials.get()` with these options."""
        options = request_options["publicKey"]
        self.counter += 1
        flags = FLAG.UP | (FLAG.UV if user_verified else FLAG(0))
        auth_data = AuthenticatorData.create(_rp_hash(options["rpId"]), flags, self.counter)
        client_data = _client_data("webauthn.get", options["challenge"])
        signature = self.private_key.sign(
            bytes(auth_data) + client_data.hash, ec.ECDSA(hashes.SHA256())
        )
        return {
            **self._ids(),
            "response": {
                "clientDataJSON": websafe_encode(bytes(client_data)),
                "authenticatorData": websafe_encode(bytes(auth_data)),
                "signature": websafe_encode(signature),
                "userHandle": self.user_handle,
            },
            "clientExtensionResults": {},
        }

    def _ids(self) -> dict[str, str]:
        encoded = websafe_encode(self.credential_id)
        return {"id": encoded, "rawId": encoded, "type": "public-key"}


def _rp_hash(rp_id: str) -> bytes:
    return hashlib.sha256(rp_id.encode()).digest()


def _client_data(kind: str, challenge: str) -> CollectedClientData:
    return CollectedClientData.create(type=kind, challenge=websafe_decode(challenge), origin=ORIGIN)


def _browser() -> Client:
    return Client(HTTP_HOST=HOST)


def _signed_in_as(client: Client) -> int | None:
    user_id = client.session.get(SESSION_KEY)
    return int(user_id) if user_id is not None else None


def _steps(client: Client, user: Any) -> list[tuple[str, str | None, bool]]:
    request = RequestFactory().get("/")
    request.session = client.session
    return [
        (record["method"], record.get("type"), bool(record.get("passwordless")))
        for record in get_authentication_records(request, user)
    ]


def confirmed(client: Client, response: Any) -> Any:
    """`response`, or where it leads after confirming the password it asks for (allauth asks
    before every change of a second factor; a confirmed POST is replayed)."""
    location = response.get("Location", "") if response.status_code == 302 else ""
    if not location.startswith(reverse("account_reauthenticate")):
        return response
    answer = client.post(location, {"password": PASSWORD})
    if answer.status_code == 302 and answer["Location"] == response.request["PATH_INFO"]:
        return client.get(answer["Location"])
    return answer


def add_passkey(client: Client, *, resident: bool = True, name: str = "Laptop") -> SoftPasskey:
    """Add a passkey on the security pages of the login signed in on `client`."""
    page = confirmed(client, client.get(reverse("mfa_add_webauthn")))
    assert page.status_code == 200, page.get("Location")
    passkey = SoftPasskey()
    credential = passkey.register(page.context["js_data"]["creation_options"], resident=resident)
    data = {"name": name, "credential": json.dumps(credential)}
    if resident:
        data["passwordless"] = "on"
    response = client.post(reverse("mfa_add_webauthn"), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    return passkey


def passwordless_sign_in(client: Client, passkey: SoftPasskey, **assertion: Any) -> Any:
    """ "Sign in with a passkey" on the sign-in page: the options, then the key's answer."""
    options = client.get(LOGIN_OPTIONS_URL, HTTP_ACCEPT="application/json").json()
    credential = passkey.assertion(options["request_options"], **assertion)
    return client.post(LOGIN_OPTIONS_URL, {"credential": json.dumps(credential)})


def second_factor_step(client: Client, passkey: SoftPasskey) -> Any:
    """After the password: "Use a security key" on the second-factor page."""
    page = client.get("/accounts/2fa/authenticate/")
    assert page.status_code == 200, page.get("Location")
    credential = passkey.assertion(page.context["js_data"]["request_options"])
    return client.post("/accounts/2fa/authenticate/", {"credential": json.dumps(credential)})


def _stored_passkey(user: Any) -> Authenticator:
    return Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)


def _partner_with_passkey(personas: Personas) -> tuple[Client, SoftPasskey]:
    client = _browser()
    password_step(client, "arne@example.com")
    return client, add_passkey(client)


def _staff_with_only_a_passkey(personas: Personas) -> SoftPasskey:
    """Staff who signed in with the password and set up a passkey (no TOTP) at the setup."""
    client = _browser()
    password_step(client, "staff@example.com")
    passkey = add_passkey(client)
    assert not has_totp(personas.staff)
    return passkey


# --- Setting a passkey up ---------------------------------------------------------------------


def test_a_partner_user_adds_a_passkey_and_stays_signed_in(personas: Personas) -> None:
    # Given Arne signed in with his password (no second factor yet),
    # when he adds a passkey on the security page,
    client, _ = _partner_with_passkey(personas)

    # it is stored as a passkey (a resident key) and his session records that it proved it,
    passkey = _stored_passkey(personas.partner_a_user)
    assert passkey.wrap().is_passwordless is True
    assert ("mfa", "webauthn", False) in _steps(client, personas.partner_a_user)
    # so he is not signed out by his new second factor a moment later.
    assert client.get("/portal/").status_code == 200
    assert _signed_in_as(client) == personas.partner_a_user.pk


def test_the_security_page_lists_passkeys_with_rename_and_remove(personas: Personas) -> None:
    client, _ = _partner_with_passkey(personas)
    passkey = _stored_passkey(personas.partner_a_user)

    page = client.get(reverse("mfa_index")).content.decode()

    assert "Laptop" in page
    assert reverse("mfa_edit_webauthn", kwargs={"pk": passkey.pk}) in page
    assert reverse("mfa_remove_webauthn", kwargs={"pk": passkey.pk}) in page
    assert reverse("mfa_add_webauthn") in page
    assert "Laptop" in client.get(reverse("mfa_list_webauthn")).content.decode()


def test_a_passkey_is_renamed(personas: Personas) -> None:
    client, _ = _partner_with_passkey(personas)
    passkey = _stored_passkey(personas.partner_a_user)

    url = reverse("mfa_edit_webauthn", kwargs={"pk": passkey.pk})
    response = confirmed(client, client.post(url, {"name": "Office phone"}))

    assert response.status_code == 302
    passkey.refresh_from_db()
    assert passkey.wrap().name == "Office phone"


# --- Signing in with a passkey ----------------------------------------------------------------


def test_a_passwordless_passkey_sign_in_counts_as_both_factors(personas: Personas) -> None:
    # Given Arne with a passkey,
    _, passkey = _partner_with_passkey(personas)
    client = _browser()

    # when he signs in with it alone,
    response = passwordless_sign_in(client, passkey)

    # he is signed in, with one step on record: the passkey, passwordless.
    assert response.status_code == 302
    assert _signed_in_as(client) == personas.partner_a_user.pk
    assert _steps(client, personas.partner_a_user) == [("mfa", "webauthn", True)]
    assert client.get("/portal/").status_code == 200


def test_staff_sign_in_with_a_passkey_alone_and_reach_the_back_office(
    personas: Personas,
) -> None:
    passkey = _staff_with_only_a_passkey(personas)
    client = _browser()

    passwordless_sign_in(client, passkey)

    assert _signed_in_as(client) == personas.staff.pk
    assert client.get("/backoffice/").status_code == 200
    assert client.get("/api/v1/partners/").status_code == 200


def test_staff_sign_in_with_password_and_passkey_as_second_factor(personas: Personas) -> None:
    # Given staff whose second factor is a passkey,
    passkey = _staff_with_only_a_passkey(personas)
    client = _browser()

    # the password alone opens nothing: allauth asks for the second factor,
    response = password_step(client, "staff@example.com")
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/backoffice/").status_code == 302

    # and with the passkey the back office opens.
    second_factor_step(client, passkey)
    assert _steps(client, personas.staff) == [("password", None, False), ("mfa", "webauthn", False)]
    assert client.get("/backoffice/").status_code == 200


def test_a_passwordless_sign_in_without_user_verification_is_refused(
    personas: Personas,
) -> None:
    # Given Arne's passkey, used without its PIN or biometrics (user presence only),
    _, passkey = _partner_with_passkey(personas)
    client = _browser()

    # the passwordless sign-in is refused: the key alone is one factor.
    passwordless_sign_in(client, passkey, user_verified=False)

    assert _signed_in_as(client) is None
    assert client.get("/portal/")["Location"].startswith("/accounts/login/")


def test_a_staff_session_that_skipped_the_passkey_is_signed_out(personas: Personas) -> None:
    # Given staff whose only second factor is a passkey, and a session with the password only
    # (as the old admin login made them),
    _staff_with_only_a_passkey(personas)
    client = _browser()
    _session_with_steps(client, personas.staff, [{"method": "password", "username": "staff"}])

    # it is signed out before anything opens.
    assert client.get("/backoffice/")["Location"].startswith("/accounts/login/")
    assert _signed_in_as(client) is None


# --- The rule, with a passkey -----------------------------------------------------------------


def _webauthn(user: Any) -> Authenticator:
    """A stored passkey row (the rule reads only that one exists)."""
    return Authenticator.objects.create(
        user=user,
        type=Authenticator.Type.WEBAUTHN,
        data={"name": "Key", "credential": {}},
    )


def _session_with_steps(client: Client, user: Any, records: list[dict[str, Any]]) -> Any:
    """Sign `user` in on `client` with exactly these sign-in steps on record; the session."""
    client.force_login(user)
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = [{"at": time.time(), **step} for step in records]
    session[AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()
    return session


def _standing(user: Any, records: list[dict[str, Any]]) -> Standing:
    request = RequestFactory().get("/")
    request.session = _session_with_steps(Client(), user, records)
    return session_standing(request, user)


@pytest.mark.parametrize(
    ("records", "standing"),
    [
        ([{"method": "mfa", "type": "webauthn", "id": 1, "passwordless": True}], "signed_in"),
        ([{"method": "password"}, {"method": "mfa", "type": "webauthn", "id": 1}], "signed_in"),
        ([{"method": "password"}], "signed_out"),
        ([], "signed_out"),
    ],
)
def test_the_rule_with_a_passkey(
    personas: Personas, records: list[dict[str, Any]], standing: str
) -> None:
    _webauthn(personas.staff)

    assert _standing(personas.staff, records) is Standing(standing)


def test_staff_with_only_a_passkey_have_a_second_factor(personas: Personas) -> None:
    _webauthn(personas.staff)

    assert user_has_second_factor(personas.staff)
    assert not has_totp(personas.staff)
    assert _standing(personas.staff, [{"method": "mfa", "type": "webauthn"}]) is Standing.SIGNED_IN


def test_staff_without_a_factor_may_set_up_totp_or_a_passkey(personas: Personas) -> None:
    assert {"mfa_index", "mfa_activate_totp", "mfa_add_webauthn"} <= set(ENROLMENT_URL_NAMES)
    client = _browser()
    password_step(client, "staff@example.com")

    # The back office sends them to the setup, which offers a passkey instead;
    setup = client.get("/backoffice/")["Location"]
    assert setup == reverse("mfa_activate_totp")
    assert reverse("mfa_add_webauthn") in confirmed(client, client.get(setup)).content.decode()
    # the security page and the passkey setup open, nothing else does yet.
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("mfa_add_webauthn")).status_code == 200
    assert client.get(reverse("mfa_list_webauthn"))["Location"] == setup

    add_passkey(client)

    assert client.get("/backoffice/").status_code == 200
    assert _signed_in_as(client) == personas.staff.pk


# --- Removing passkeys: staff keep their last second factor ----------------------------------


def test_the_adapter_counts_passkeys_as_second_factors(personas: Personas) -> None:
    adapter = MFAAdapter()
    only = _webauthn(personas.staff)
    assert not adapter.can_delete_authenticator(only)

    other = _webauthn(personas.staff)
    assert adapter.can_delete_authenticator(only)
    assert adapter.can_delete_authenticator(other)

    Authenticator.objects.filter(pk=other.pk).delete()
    give_totp(personas.staff)
    assert adapter.can_delete_authenticator(only)
    assert adapter.can_delete_authenticator(_webauthn(personas.partner_a_user))


def test_staff_cannot_remove_their_last_passkey(personas: Personas) -> None:
    # Given staff signed in with their only second factor, a passkey,
    passkey = _staff_with_only_a_passkey(personas)
    client = _browser()
    passwordless_sign_in(client, passkey)
    stored = _stored_passkey(personas.staff)

    # when they remove it, it is refused on the page and stays;
    url = reverse("mfa_remove_webauthn", kwargs={"pk": stored.pk})
    response = confirmed(client, client.post(url))

    assert response.status_code == 200
    assert "cannot_delete_authenticator" in {
        error.code for error in response.context["form"].non_field_errors().as_data()
    }
    assert Authenticator.objects.filter(pk=stored.pk).exists()
    assert client.get("/backoffice/").status_code == 200


def test_staff_with_totp_too_may_remove_their_passkey(personas: Personas) -> None:
    passkey = _staff_with_only_a_passkey(personas)
    give_totp(personas.staff)
    client = _browser()
    passwordless_sign_in(client, passkey)
    stored = _stored_passkey(personas.staff)

    url = reverse("mfa_remove_webauthn", kwargs={"pk": stored.pk})
    response = confirmed(client, client.post(url))

    assert response.status_code == 302
    assert not Authenticator.objects.filter(pk=stored.pk).exists()
    assert client.get("/backoffice/").status_code == 200


def test_a_partner_user_may_remove_their_only_passkey(personas: Personas) -> None:
    client, _ = _partner_with_passkey(personas)
    stored = _stored_passkey(personas.partner_a_user)

    url = reverse("mfa_remove_webauthn", kwargs={"pk": stored.pk})
    response = confirmed(client, client.post(url))

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=personas.partner_a_user).exists()
    assert client.get("/portal/").status_code == 200


def test_nobody_renames_or_removes_another_logins_passkey(personas: Personas) -> None:
    _, _ = _partner_with_passkey(personas)
    stored = _stored_passkey(personas.partner_a_user)
    other = _browser()
    password_step(other, personas.partner_b_user.email)

    remove_url = reverse("mfa_remove_webauthn", kwargs={"pk": stored.pk})
    removed = confirmed(other, other.post(remove_url))
    edit_url = reverse("mfa_edit_webauthn", kwargs={"pk": stored.pk})
    renamed = confirmed(other, other.post(edit_url, {"name": "x"}))

    assert (removed.status_code, renamed.status_code) == (404, 404)
    stored.refresh_from_db()
    assert stored.wrap().name == "Laptop"


def test_the_sign_in_page_offers_passkeys_but_no_sign_up_by_passkey(db: None) -> None:
    page = _browser().get("/accounts/login/").content.decode()

    assert 'id="passkey_login"' in page
    assert LOGIN_OPTIONS_URL in page
    assert "/accounts/signup/" not in page
    with pytest.raises(NoReverseMatch):
        reverse("mfa_signup_webauthn")
