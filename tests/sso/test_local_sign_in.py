"""What single sign-on changes on ChannelDesk's own sign-in page (docs/sso.md): the provider's
button only when one is configured, and with STAFF_PASSWORD_LOGIN off no password sign-in for
staff (superusers keep theirs as the break-glass way in)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from channeldesk.partners.models import PartnerMembership
from channeldesk.portal.sso import just_signed_in_through_provider
from tests.factories import PartnerFactory, UserFactory
from tests.security.flows import give_totp, password_step
from tests.sso.configuration import BUTTON, PROVIDER_ID, provider_configure
from tests.sso.test_adapter import MANAGERS, claims, sign_in

pytestmark = pytest.mark.django_db

PROVIDER_LINK = f"/accounts/oidc/{PROVIDER_ID}/login/"


def test_sign_in_page_has_no_provider_button_without_a_provider() -> None:
    page = Client().get("/accounts/login/").content.decode()
    assert PROVIDER_LINK not in page
    assert BUTTON not in page


def test_sign_in_page_offers_the_configured_provider(settings: Any) -> None:
    provider_configure(settings, "https://login.vendor.example/realms/staff")
    page = Client().get("/accounts/login/?next=/backoffice/").content.decode()
    assert f'href="{PROVIDER_LINK}?process=login&amp;next=%2Fbackoffice%2F"' in page
    assert BUTTON in page


def _staff(**fields: Any) -> Any:
    return UserFactory(username="karl", email="karl@vendor.example", is_staff=True, **fields)


def test_staff_password_sign_in_is_refused_when_switched_off(settings: Any) -> None:
    settings.STAFF_PASSWORD_LOGIN = False
    _staff()
    client = Client()

    response = password_step(client, "karl", follow=True)

    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert SESSION_KEY not in client.session
    assert "switched off for staff" in response.content.decode()


def test_staff_with_totp_is_refused_before_the_code_is_asked(settings: Any) -> None:
    settings.STAFF_PASSWORD_LOGIN = False
    give_totp(_staff())
    client = Client()

    response = password_step(client, "karl")

    assert response["Location"] == "/accounts/login/"
    assert client.get("/accounts/2fa/authenticate/")["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("switched_off", [True, False])
def test_superusers_and_partner_users_keep_their_password(
    settings: Any, switched_off: bool
) -> None:
    settings.STAFF_PASSWORD_LOGIN = not switched_off
    give_totp(_staff(is_superuser=True))
    partner_user = UserFactory(username="paula")
    PartnerMembership.objects.create(user=partner_user, partner=PartnerFactory())

    # The superuser goes on to the second factor; the partner user is signed in.
    assert password_step(Client(), "karl")["Location"].startswith("/accounts/2fa/authenticate/")
    client = Client()
    password_step(client, "paula")
    assert int(client.session[SESSION_KEY]) == partner_user.pk


def test_staff_password_sign_in_works_by_default() -> None:
    staff = _staff()
    client = Client()
    password_step(client, "karl")
    assert int(client.session[SESSION_KEY]) == staff.pk


def test_fresh_provider_sign_in_stands_in_for_the_password_confirmation(settings: Any) -> None:
    provider_configure(settings, "https://login.vendor.example/realms/staff")
    done = sign_in(claims("mia", MANAGERS))
    assert just_signed_in_through_provider(done.request)

    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0
    assert not just_signed_in_through_provider(done.request)
