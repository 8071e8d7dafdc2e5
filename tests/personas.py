"""The personas, the cast of every access test, and how a test signs them in.

- partner A admin and partner A user (same reseller, different roles),
- partner B user (another reseller, must never see A's data),
- vendor staff (superuser: everything),
- support desk (vendor staff, read-only);

and, outside the cast, a channel manager (vendor staff in the group, not a superuser) for the
tests that need one (`channel_manager_create`).

tests/conftest.py offers them, one fresh cast per test, as the `personas` fixture; the typed
`Persona` tells an access table who someone is (login, reseller, role) without looking it up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from allauth.account.internal.flows.login import (
    _AUTHENTICATION_METHODS_USER_SESSION_KEY as AUTHENTICATION_METHODS_USER_SESSION_KEY,
)
from allauth.account.internal.flows.login import AUTHENTICATION_METHODS_SESSION_KEY
from allauth.account.internal.userkit import user_id_to_str
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group, User
from django.test import Client

from channeldesk.core.roles import CHANNEL_MANAGER, SUPPORT_DESK
from channeldesk.partners.models import MembershipRole, Partner
from tests.factories import MembershipFactory, PartnerFactory, UserFactory


class Role(StrEnum):
    """What a persona may do, as the access rules tell people apart."""

    PARTNER_ADMIN = "partner admin"
    PARTNER_USER = "partner user"
    # Vendor staff and superuser: a channel manager without being in the group (core/roles.py).
    SUPERUSER = "superuser"
    CHANNEL_MANAGER = CHANNEL_MANAGER
    SUPPORT_DESK = SUPPORT_DESK


@dataclass(frozen=True)
class Persona:
    """One member of the cast: its name in the access tables, its login, the reseller it works
    for (None for vendor staff) and its role."""

    name: str
    user: User
    partner: Partner | None
    role: Role


@dataclass(frozen=True)
class Personas:
    """The cast of the `personas` fixture: two resellers and the five people of `cast`."""

    partner_a: Partner
    partner_b: Partner
    cast: tuple[Persona, ...]

    def persona(self, name: str) -> Persona:
        """The member of the cast called `name` (KeyError for a name not in the cast)."""
        return {persona.name: persona for persona in self.cast}[name]

    def all(self) -> dict[str, User]:
        """Every login of the cast by persona name, in the order of `cast`."""
        return {persona.name: persona.user for persona in self.cast}

    @property
    def partner_a_admin(self) -> User:
        return self.persona("partner_a_admin").user

    @property
    def partner_a_user(self) -> User:
        return self.persona("partner_a_user").user

    @property
    def partner_b_user(self) -> User:
        return self.persona("partner_b_user").user

    @property
    def staff(self) -> User:
        return self.persona("staff").user

    @property
    def support(self) -> User:
        return self.persona("support").user


def partner_persona(name: str, *, username: str, partner: Partner, role: Role) -> Persona:
    """A login that is a member of `partner` in `role` (partner admin or partner user)."""
    membership_role = MembershipRole.ADMIN if role is Role.PARTNER_ADMIN else MembershipRole.USER
    membership = MembershipFactory.create(
        user=UserFactory.create(username=username), partner=partner, role=membership_role
    )
    return Persona(name=name, user=membership.user, partner=partner, role=role)


def personas_build() -> Personas:
    """Two resellers with their users, vendor staff (superuser) and the support desk."""
    partner_a = PartnerFactory.create(partner_number="A-1000", name="Alpha Systemhaus GmbH")
    partner_b = PartnerFactory.create(partner_number="B-2000", name="Beta IT-Service KG")
    staff = UserFactory.create(username="staff", is_staff=True, is_superuser=True)
    support = UserFactory.create(username="support", is_staff=True)
    support_group, _ = Group.objects.get_or_create(name=SUPPORT_DESK)
    support.groups.add(support_group)
    return Personas(
        partner_a=partner_a,
        partner_b=partner_b,
        cast=(
            partner_persona(
                "partner_a_admin", username="alice", partner=partner_a, role=Role.PARTNER_ADMIN
            ),
            partner_persona(
                "partner_a_user", username="arne", partner=partner_a, role=Role.PARTNER_USER
            ),
            partner_persona(
                "partner_b_user", username="bob", partner=partner_b, role=Role.PARTNER_USER
            ),
            Persona(name="staff", user=staff, partner=None, role=Role.SUPERUSER),
            Persona(name="support", user=support, partner=None, role=Role.SUPPORT_DESK),
        ),
    )


def channel_manager_create(username: str = "manager") -> User:
    """Vendor staff in the "channel manager" group, not a superuser (core/roles.py)."""
    manager = UserFactory.create(username=username, is_staff=True)
    manager.groups.add(Group.objects.get(name=CHANNEL_MANAGER))
    return manager


def persona_client(name: str, personas: Personas, **options: Any) -> Client:
    """A test client (made with `options`) signed in as the persona `name`, or as one of the two
    the access tables add to the cast: "anonymous" is not signed in, "outsider" is a login that
    is neither vendor staff nor a partner user."""
    client = Client(**options)
    if name == "outsider":
        sign_in(client, UserFactory(username="olga"))
    elif name != "anonymous":
        sign_in(client, personas.all()[name])
    return client


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
