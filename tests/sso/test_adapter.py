"""Who may sign in through the company's identity provider, and with which staff roles
(portal.sso): allauth's whole social sign-in after the provider answered, with the provider's
claims made up here (no network)."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.authentication import get_authentication_records
from allauth.core import context
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.internal.flows.login import complete_login
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.models import AnonymousUser, Group
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.middleware import SessionMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.test import RequestFactory

from channeldesk.core.roles import CHANNEL_MANAGER, SUPPORT_DESK
from channeldesk.core.second_factor import session_has_second_factor
from channeldesk.partners.models import PartnerMembership
from channeldesk.portal.sso import (
    PROVIDER_SECOND_FACTOR_TYPE,
    claim_values,
    provider_proved_second_factor,
    staff_roles_from_claims,
)
from tests.factories import PartnerFactory, UserFactory
from tests.security.flows import give_totp
from tests.sso.configuration import PROVIDER_ID, provider_configure

pytestmark = pytest.mark.django_db

MANAGERS = "channeldesk-channel-manager"
SUPPORT = "channeldesk-support-desk"


@pytest.fixture(autouse=True)
def _provider(settings: Any) -> None:
    provider_configure(settings, "https://login.vendor.example/realms/staff")
    Group.objects.get_or_create(name=CHANNEL_MANAGER)
    Group.objects.get_or_create(name=SUPPORT_DESK)


def claims(uid: str, *groups: str, email: str = "", verified: bool = True, **more: Any) -> dict:
    return {
        "sub": uid,
        "email": email or f"{uid}@vendor.example",
        "email_verified": verified,
        "preferred_username": uid,
        "groups": list(groups),
        **more,
    }


def sign_in(found: dict[str, Any], *, id_token: dict[str, Any] | None = None) -> SignIn:
    """allauth's sign-in with the provider's answer `found` (userinfo) and ID token."""
    request = RequestFactory().get(f"/accounts/oidc/{PROVIDER_ID}/login/callback/")
    SessionMiddleware(lambda request: None).process_request(request)  # type: ignore[arg-type,return-value]
    request.user = AnonymousUser()
    request._messages = FallbackStorage(request)  # type: ignore[attr-defined]
    provider = get_adapter().get_provider(request, PROVIDER_ID)
    # The provider's own reading of its answer, as after the token exchange.
    sociallogin = provider.sociallogin_from_response(
        request, {"userinfo": found, "id_token": id_token or {"sub": found["sub"]}}
    )
    sociallogin.state = {"process": "login"}
    with context.request_context(request):
        response = complete_login(request, sociallogin)
    return SignIn(request, response)


class SignIn:
    def __init__(self, request: HttpRequest, response: Any) -> None:
        self.request = request
        self.response = response

    @property
    def signed_in_user_id(self) -> int | None:
        value = self.request.session.get(SESSION_KEY)
        return int(value) if value is not None else None

    @property
    def messages(self) -> list[str]:
        return [str(message) for message in get_messages(self.request)]


def roles(user: Any) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


# --- The role claim ---------------------------------------------------------------------------


def test_role_claim_values_map_to_staff_roles_and_others_are_ignored() -> None:
    found = {"groups": [MANAGERS, "all-staff", SUPPORT]}
    assert staff_roles_from_claims(found) == {CHANNEL_MANAGER, SUPPORT_DESK}
    assert staff_roles_from_claims({"groups": ["all-staff"]}) == set()
    assert staff_roles_from_claims({}) == set()


def test_role_claim_may_be_one_string_and_another_claim(settings: Any) -> None:
    settings.OIDC_ROLES_CLAIM = "roles"
    settings.OIDC_STAFF_ROLES = {"cd-support": SUPPORT_DESK}
    assert staff_roles_from_claims({"roles": "cd-support other"}) == {SUPPORT_DESK}
    assert staff_roles_from_claims({"groups": ["cd-support"]}) == set()
    assert claim_values({"amr": "pwd,otp"}, "amr") == {"pwd", "otp"}


def test_mapping_to_something_else_than_a_staff_role_is_refused(settings: Any) -> None:
    settings.OIDC_STAFF_ROLES = {"admins": "superuser"}
    with pytest.raises(ImproperlyConfigured, match="superuser"):
        staff_roles_from_claims({"groups": ["admins"]})


# --- Who signs in -----------------------------------------------------------------------------


def test_new_staff_login_is_made_with_the_mapped_role_and_no_password() -> None:
    done = sign_in(claims("mia", MANAGERS))

    mia = get_user_model().objects.get(email="mia@vendor.example")
    assert (mia.is_staff, mia.is_superuser, mia.has_usable_password()) == (True, False, False)
    assert roles(mia) == {CHANNEL_MANAGER}
    assert done.signed_in_user_id == mia.pk
    assert SocialAccount.objects.get(user=mia).uid == "mia"
    methods = [record["method"] for record in get_authentication_records(done.request, mia)]
    assert methods == ["socialaccount"]
    # No second factor yet: core.second_factor sends the staff login to set TOTP up.
    assert not session_has_second_factor(done.request, mia)


def test_existing_staff_login_is_linked_by_verified_address_and_asked_for_its_totp() -> None:
    sven = UserFactory(username="sven", email="sven@vendor.example", is_staff=True)
    sven.groups.set(Group.objects.filter(name=CHANNEL_MANAGER))
    give_totp(sven)

    done = sign_in(claims("sven-at-idp", SUPPORT, email="sven@vendor.example"))

    # The provider's groups win (a role removed there is removed here), and allauth's
    # second-factor stage runs after the provider as after a password.
    assert roles(sven) == {SUPPORT_DESK}
    assert SocialAccount.objects.get(uid="sven-at-idp").user_id == sven.pk
    assert done.response["Location"].startswith("/accounts/2fa/authenticate/")
    assert done.signed_in_user_id is None
    assert get_user_model().objects.count() == 1


def test_linked_login_gets_its_roles_from_every_sign_in() -> None:
    sign_in(claims("mia", MANAGERS, SUPPORT))
    mia = get_user_model().objects.get(email="mia@vendor.example")
    mia.groups.add(Group.objects.create(name="newsletter"))
    assert roles(mia) == {CHANNEL_MANAGER, SUPPORT_DESK, "newsletter"}

    done = sign_in(claims("mia", SUPPORT))

    assert roles(mia) == {SUPPORT_DESK, "newsletter"}
    assert done.signed_in_user_id == mia.pk


def test_linked_login_removed_from_the_staff_group_loses_the_back_office_and_is_refused() -> None:
    sign_in(claims("mia", MANAGERS))
    mia = get_user_model().objects.get(email="mia@vendor.example")

    done = sign_in(claims("mia", "all-staff"))

    mia.refresh_from_db()
    assert (mia.is_staff, roles(mia)) == (False, set())
    assert done.signed_in_user_id is None
    assert done.response["Location"] == "/accounts/login/"
    assert "no ChannelDesk staff role" in done.messages[0]


def test_person_without_staff_group_gets_no_login() -> None:
    done = sign_in(claims("nina", "all-staff"))

    assert get_user_model().objects.count() == 0
    assert SocialAccount.objects.count() == 0
    assert done.signed_in_user_id is None
    assert done.response["Location"] == "/accounts/login/"


@pytest.mark.parametrize("kind", ["partner user", "superuser", "not staff", "inactive staff"])
def test_logins_that_are_not_active_staff_are_never_linked(kind: str) -> None:
    user = UserFactory(username="someone", email="someone@vendor.example")
    if kind == "partner user":
        PartnerMembership.objects.create(user=user, partner=PartnerFactory())
    else:
        user.is_staff = True
        user.is_superuser = kind == "superuser"
        user.is_active = kind != "inactive staff"
        user.is_staff = kind != "not staff"
        user.save()
    before = (user.is_staff, user.is_superuser, roles(user))

    done = sign_in(claims("someone-at-idp", MANAGERS, email="someone@vendor.example"))

    user.refresh_from_db()
    assert (user.is_staff, user.is_superuser, roles(user)) == before
    assert SocialAccount.objects.count() == 0
    assert get_user_model().objects.count() == 1
    assert done.signed_in_user_id is None
    assert "cannot be used with your company sign-in" in done.messages[0]


def test_address_the_provider_did_not_verify_links_nothing() -> None:
    staff = UserFactory(username="ole", email="ole@vendor.example", is_staff=True)

    done = sign_in(claims("ole-at-idp", MANAGERS, email="ole@vendor.example", verified=False))

    assert SocialAccount.objects.count() == 0
    assert roles(staff) == set()
    assert done.signed_in_user_id is None
    assert "did not confirm your e-mail address" in done.messages[0]


# --- The provider's second factor -------------------------------------------------------------


def test_provider_second_factor_counts_only_when_trusted_and_proved(settings: Any) -> None:
    assert provider_proved_second_factor({"amr": ["pwd", "otp"]})
    assert not provider_proved_second_factor({"amr": ["pwd"]})
    settings.OIDC_MFA_ACR_VALUES = ["urn:vendor:mfa"]
    assert provider_proved_second_factor({"acr": "urn:vendor:mfa"})

    untrusted = sign_in(claims("mia", MANAGERS), id_token={"sub": "mia", "amr": ["pwd", "otp"]})
    mia = get_user_model().objects.get(email="mia@vendor.example")
    assert not session_has_second_factor(untrusted.request, mia)

    settings.OIDC_TRUST_IDP_MFA = True
    password_only = sign_in(claims("mia", MANAGERS), id_token={"sub": "mia", "amr": ["pwd"]})
    assert not session_has_second_factor(password_only.request, mia)
    trusted = sign_in(claims("mia", MANAGERS), id_token={"sub": "mia", "amr": ["pwd", "otp"]})
    assert session_has_second_factor(trusted.request, mia)
    step = get_authentication_records(trusted.request, mia)[-1]
    assert (step["type"], step["amr"]) == (PROVIDER_SECOND_FACTOR_TYPE, ["otp", "pwd"])


def test_address_in_a_verified_domain_links_without_the_claim(settings: Any) -> None:
    settings.OIDC_VERIFIED_EMAIL_DOMAINS = ["vendor.example"]
    provider_configure(settings, "https://login.microsoftonline.com/tenant/v2.0")
    staff = UserFactory(username="ole", email="ole@vendor.example", is_staff=True)
    found = claims("ole-at-idp", MANAGERS, email="ole@vendor.example")
    del found["email_verified"]

    done = sign_in(found)

    assert SocialAccount.objects.get(uid="ole-at-idp").user_id == staff.pk
    assert roles(staff) == {CHANNEL_MANAGER}
    assert done.signed_in_user_id == staff.pk
