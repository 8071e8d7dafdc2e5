"""Shared fixtures. The personas are the cast of every access test:

- partner A admin and partner A user (same reseller, different roles),
- partner B user (another reseller, must never see A's data),
- vendor staff (channel manager: everything),
- support desk (vendor staff, read-only).
"""

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY as AUTHENTICATION_METHODS_USER_SESSION_KEY,
)
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.userkit import user_id_to_str
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from channeldesk.partners.models import MembershipRole, Partner
from tests.factories import MembershipFactory, PartnerFactory, UserFactory

pytest_plugins = ["tests.clock", "tests.processes"]


@pytest.fixture(autouse=True)
def _quick_password_hashing(settings: Any) -> None:
    """The personas get real password hashes; the slow default hasher would dominate the run."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language_afterwards() -> Iterator[None]:
    """A request leaves its language active in the thread; later tests start from the default."""
    yield
    translation.deactivate()


@dataclass
class Personas:
    partner_a: Partner
    partner_b: Partner
    partner_a_admin: object
    partner_a_user: object
    partner_b_user: object
    staff: object
    support: object

    def all(self) -> dict[str, object]:
        return {
            "partner_a_admin": self.partner_a_admin,
            "partner_a_user": self.partner_a_user,
            "partner_b_user": self.partner_b_user,
            "staff": self.staff,
            "support": self.support,
        }


@pytest.fixture
def personas(db: None) -> Personas:
    partner_a = PartnerFactory(partner_number="A-1000", name="Alpha Systemhaus GmbH")
    partner_b = PartnerFactory(partner_number="B-2000", name="Beta IT-Service KG")
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    support = UserFactory(username="support", is_staff=True)
    support_group, _ = Group.objects.get_or_create(name="support desk")
    support.groups.add(support_group)
    return Personas(
        partner_a=partner_a,
        partner_b=partner_b,
        partner_a_admin=MembershipFactory(
            user=UserFactory(username="alice"), partner=partner_a, role=MembershipRole.ADMIN
        ).user,
        partner_a_user=MembershipFactory(user=UserFactory(username="arne"), partner=partner_a).user,
        partner_b_user=MembershipFactory(user=UserFactory(username="bob"), partner=partner_b).user,
        staff=staff,
        support=support,
    )


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def is_postgres(db: None) -> bool:
    return connection.vendor == "postgresql"


def sign_in(client: Any, user: Any) -> None:
    """Sign `user` in on a test client as the real login would leave the session.

    Every test signs people in through this one helper, so the session carries whatever the
    login flow records, not just Django's bare `force_login`: allauth's record of the steps
    (`account_authentication_methods`: the password, then the TOTP code), which the
    second-factor rule (`core.second_factor`) reads. Vendor staff must have TOTP, so a staff
    login without it gets an authenticator first; a partner user gets the code step only when
    it has TOTP already. tests/security/test_login.py checks the real flow leaves the same.
    """
    client.force_login(user)
    records: list[dict[str, Any]] = [
        {"method": "password", "at": time.time(), "username": user.get_username()}
    ]
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None and user.is_staff:
        authenticator = TOTP.activate(user, generate_totp_secret()).instance
    if authenticator is not None:
        records.append({"method": "mfa", "at": time.time(), "id": authenticator.pk, "type": "totp"})
    session = client.session
    session[AUTHENTICATION_METHODS_SESSION_KEY] = records
    session[AUTHENTICATION_METHODS_USER_SESSION_KEY] = user_id_to_str(user)
    session.save()
