"""Vendor staff sign in through a real OpenID provider (oidc-provider from npm, on loopback,
tests/sso/provider/) and the real redirects: they land in the back office with the role the
provider's groups give; a person without the staff group gets no back office; with staff
passwords switched off a staff password sign-in is refused (docs/sso.md)."""

from __future__ import annotations

import re
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from playwright.sync_api import Page, expect

from channeldesk.core.roles import CHANNEL_MANAGER, SUPPORT_DESK
from tests.factories import UserFactory
from tests.operations.servers import free_port
from tests.security.flows import PASSWORD, give_totp, totp_code
from tests.sso.configuration import BUTTON, CALLBACK, provider_configure

pytestmark = [
    pytest.mark.processes,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROVIDER = Path(__file__).resolve().parents[1] / "sso" / "provider"
HINT = "the test identity provider is not installed: run scripts/browser-deps (needs node, npm)"


@pytest.fixture
def identity_provider(live_server: Any, settings: Any) -> Iterator[str]:
    """oidc-provider on a free loopback port, registered for the live server's callback."""
    node = shutil.which("node")
    if node is None or not (PROVIDER / "node_modules" / "oidc-provider").is_dir():
        pytest.skip(HINT)
    port = free_port()
    process = subprocess.Popen(
        [node, "provider.mjs", str(port), f"{live_server.url}{CALLBACK}"],
        cwd=PROVIDER,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        issuer = _ready(process)
        provider_configure(settings, issuer)
        yield issuer
    finally:
        process.terminate()
        process.wait(timeout=10)


def _ready(process: subprocess.Popen[str]) -> str:
    """The issuer the provider prints once it listens."""
    assert process.stdout is not None
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        readable, _, _ = select.select([process.stdout], [], [], 0.2)
        if readable:
            line = process.stdout.readline()
            if line.startswith("ready "):
                return line.split()[1]
            if not line and process.poll() is not None:
                break
    raise AssertionError(f"the identity provider did not start (exit {process.poll()})")


def company_sign_in(page: Page, base: str, login: str, *, language: str) -> None:
    """From the back office to the company's sign-in form and back, as a person clicks."""
    page.context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    page.goto(f"{base}/backoffice/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_role("link", name=BUTTON).click()
    # allauth asks before leaving for the provider (a sign-in is never started by a GET).
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(r"^http://127\.0\.0\.1:\d+/interaction/"))
    expect(page.get_by_role("heading", name="Company sign-in", exact=True)).to_be_visible()
    page.get_by_label("User name").fill(login)
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Sign in").click()


def test_staff_login_signs_in_through_the_provider_and_gets_the_manager_role(
    page: Page, live_server: Any, identity_provider: str
) -> None:
    # Given a support-desk login with TOTP whose address the provider verifies, now in the
    # provider's channel-manager group,
    mia = UserFactory(username="mia", email="mia.manager@vendor.example", is_staff=True)
    mia.groups.set([_group(SUPPORT_DESK)])
    secret = give_totp(mia)
    base = live_server.url

    # when she signs in with the company sign-in and then her own second factor,
    company_sign_in(page, base, "mia.manager", language="en")
    expect(page).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    page.fill("#id_code", totp_code(secret))
    page.locator("main form button[type=submit]").first.click()

    # she lands in the back office as a channel manager, linked to the provider.
    expect(page).to_have_url(f"{base}/backoffice/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert _roles(mia) == {CHANNEL_MANAGER}
    assert SocialAccount.objects.get(user=mia).uid == "mia.manager"


def test_new_support_login_is_made_and_sets_up_its_second_factor_in_german(
    page: Page, live_server: Any, identity_provider: str
) -> None:
    base = live_server.url
    company_sign_in(page, base, "sven.support", language="de")

    # A new staff login is made with the support desk role, and must set TOTP up first,
    sven = get_user_model().objects.get(email="sven.support@vendor.example")
    assert (sven.is_staff, sven.is_superuser, sven.has_usable_password()) == (True, False, False)
    assert _roles(sven) == {SUPPORT_DESK}
    expect(page).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    expect(page.locator("html")).to_have_attribute("lang", "de")
    secret = page.input_value("#authenticator_secret")
    page.fill("#id_code", totp_code(secret))
    page.locator("main form button[type=submit]").first.click()

    # then the back office opens on the support desk's landing page.
    page.goto(f"{base}/backoffice/")
    expect(page).to_have_url(f"{base}/backoffice/support/")


def test_person_without_the_staff_group_gets_no_login_and_no_back_office(
    page: Page, live_server: Any, identity_provider: str
) -> None:
    base = live_server.url
    company_sign_in(page, base, "nina.nostaff", language="en")

    expect(page).to_have_url(f"{base}/accounts/login/")
    expect(page.get_by_role("status")).to_contain_text("holds no ChannelDesk staff role")
    assert not get_user_model().objects.filter(email="nina.nostaff@vendor.example").exists()
    assert not SocialAccount.objects.exists()
    page.goto(f"{base}/backoffice/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def test_staff_password_sign_in_is_refused_when_switched_off_in_german(
    page: Page, live_server: Any, identity_provider: str, settings: Any
) -> None:
    settings.STAFF_PASSWORD_LOGIN = False
    UserFactory(username="karl", email="karl@vendor.example", is_staff=True)
    base = live_server.url
    page.context.add_cookies([{"name": "django_language", "value": "de", "url": base}])
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_login", "karl@vendor.example")
    page.fill("#id_password", PASSWORD)
    page.locator("main form button[type=submit]").first.click()

    # Back on the sign-in page, not signed in, with the company sign-in offered.
    expect(page).to_have_url(f"{base}/accounts/login/")
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.get_by_role("link", name=BUTTON)).to_be_visible()
    page.goto(f"{base}/backoffice/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))


def _group(name: str) -> Any:
    return Group.objects.get_or_create(name=name)[0]


def _roles(user: Any) -> set[str]:
    return set(user.groups.values_list("name", flat=True))
