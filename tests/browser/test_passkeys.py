"""Passkeys in a real browser: Chromium's virtual authenticator (DevTools' WebAuthn domain, a
CTAP2 platform authenticator with resident keys and user verification) answers allauth's own
scripts, under the site's Content-Security-Policy, in German and English.

A partner user adds a passkey on the security page, signs out and signs in with it alone;
vendor staff set one up at the forced setup (instead of TOTP), then sign in with password and
passkey, or with the passkey alone, and reach the back office.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Browser, Page, expect

from tests.personas import Personas
from tests.security.flows import PASSWORD

# The live server needs committed data; the rows the migrations wrote are put back after each.
pytestmark = [
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Chromium's virtual authenticator: a built-in (platform) authenticator that keeps passkeys
# (resident keys) and verifies its user (as a PIN or fingerprint would), without a prompt.
VIRTUAL_AUTHENTICATOR = {
    "protocol": "ctap2",
    "transport": "internal",
    "hasResidentKey": True,
    "hasUserVerification": True,
    "isUserVerified": True,
    "automaticPresenceSimulation": True,
}
CSP_VIOLATION = "Content Security Policy"
# The browser's language, as a German or English visitor's browser sends it.
LOCALES = {"de": "de-DE", "en": "en-GB"}


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Any]:
    """Opens a page in a browser speaking `locale`, with a virtual authenticator attached;
    records the console's CSP violations in `page.csp_violations`."""
    contexts = []

    def open_with(locale: str) -> Page:
        context = browser.new_context(locale=locale)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        devtools = page.context.new_cdp_session(page)
        devtools.send("WebAuthn.enable", {"enableUI": False})
        devtools.send("WebAuthn.addVirtualAuthenticator", {"options": VIRTUAL_AUTHENTICATOR})
        violations: list[str] = []
        page.on(
            "console",
            lambda message: (
                violations.append(message.text) if CSP_VIOLATION in message.text else None
            ),
        )
        page.csp_violations = violations  # type: ignore[attr-defined]
        return page

    yield open_with
    for context in contexts:
        context.close()


def _language(page: Page, code: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", code)


def _password_sign_in(page: Page, base: str, login: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", login)
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").first.click()


def _confirm_password(page: Page) -> None:
    """allauth asks for the password again before a second factor is added."""
    expect(page).to_have_url(re.compile(r"/accounts/reauthenticate/"))
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").first.click()


def _add_passkey(page: Page) -> None:
    """On the passkey page: name it and let the authenticator make it."""
    expect(page).to_have_url(re.compile(r"/accounts/2fa/webauthn/add/"))
    expect(page.locator("#id_passwordless")).to_be_checked()
    page.fill("#id_name", "Laptop")
    page.click("#mfa_webauthn_add")
    # The first second factor comes with recovery codes, shown next.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/recovery-codes/"))


def _sign_out(page: Page, base: str) -> None:
    page.locator("header form[action='/accounts/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def _passkey_sign_in(page: Page) -> None:
    expect(page.locator("#passkey_login")).to_be_visible()
    page.click("#passkey_login")


def _staff_set_up_a_passkey_instead_of_totp(page: Page, base: str) -> None:
    """Staff without a second factor: sent to the setup, they choose a passkey."""
    _password_sign_in(page, base, "staff@example.com")
    page.goto(f"{base}/backoffice/")
    _confirm_password(page)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    page.click("#add-passkey-instead")
    _add_passkey(page)
    page.goto(f"{base}/backoffice/")
    expect(page).to_have_url(f"{base}/backoffice/")


@pytest.mark.parametrize("language", ["de", "en"])
def test_a_partner_user_adds_a_passkey_and_signs_in_with_it_alone(
    open_page: Any, live_server: Any, personas: Personas, screenshots: Path, language: str
) -> None:
    base = live_server.url
    page = open_page(LOCALES[language])

    # Given Arne signed in with his password, on the security page,
    _password_sign_in(page, base, "arne@example.com")
    expect(page).to_have_url(f"{base}/portal/")
    page.goto(f"{base}/accounts/2fa/")
    _language(page, language)
    expect(page.get_by_test_id("passkey")).to_have_count(0)

    # when he adds a passkey,
    page.click("#add-passkey")
    _confirm_password(page)
    _add_passkey(page)

    # the security page lists it, with rename and remove,
    page.goto(f"{base}/accounts/2fa/")
    expect(page.get_by_test_id("passkey-name")).to_have_text("Laptop")
    row = page.get_by_test_id("passkey")
    expect(row.locator("a[href$='/edit/']")).to_be_visible()
    expect(row.locator("a[href$='/remove/']")).to_be_visible()
    page.screenshot(path=str(screenshots / f"security-passkeys-{language}.png"), full_page=True)
    stored = Authenticator.objects.get(
        user=personas.partner_a_user, type=Authenticator.Type.WEBAUTHN
    )
    assert stored.wrap().is_passwordless is True

    # and after signing out, the passkey alone signs him in again.
    _sign_out(page, base)
    _language(page, language)
    _passkey_sign_in(page)
    expect(page).to_have_url(f"{base}/portal/")
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    assert page.csp_violations == []


def test_staff_sign_in_with_password_and_passkey_and_reach_the_back_office(
    open_page: Any, live_server: Any, personas: Personas
) -> None:
    base = live_server.url
    page = open_page(LOCALES["en"])
    _staff_set_up_a_passkey_instead_of_totp(page, base)
    _sign_out(page, base)

    # The password leads to the second-factor step, the passkey on to the back office.
    _password_sign_in(page, base, "staff@example.com")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    _language(page, "en")
    page.click("#mfa_webauthn_authenticate")
    expect(page).to_have_url(re.compile(r"/backoffice/$"))
    assert page.csp_violations == []


def test_staff_sign_in_with_a_passkey_alone_and_reach_the_back_office(
    open_page: Any, live_server: Any, personas: Personas
) -> None:
    base = live_server.url
    page = open_page(LOCALES["de"])
    _staff_set_up_a_passkey_instead_of_totp(page, base)
    _sign_out(page, base)

    _language(page, "de")
    _passkey_sign_in(page)
    expect(page).to_have_url(re.compile(r"/backoffice/$"))
    assert not Authenticator.objects.filter(
        user=personas.staff, type=Authenticator.Type.TOTP
    ).exists()
    assert page.csp_violations == []
