"""Shared fixtures. The personas are the cast of every access test:

- partner A admin and partner A user (same reseller, different roles),
- partner B user (another reseller, must never see A's data),
- vendor staff (channel manager: everything),
- support desk (vendor staff, read-only).
"""

import datetime as dt
import zoneinfo
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from channeldesk.partners.models import MembershipRole, Partner
from tests.factories import MembershipFactory, PartnerFactory, UserFactory


@pytest.fixture(autouse=True)
def _fixed_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """`@pytest.mark.today("2026-12-07")` freezes the clock for the test and its fixtures.

    Autouse fixtures are set up before the ones a test names, so the worlds a test builds
    relative to today see the fixed day too. The clock ticks on from 10:00 Berlin time.
    """
    marker = request.node.get_closest_marker("today")
    if marker is None:
        yield
        return
    day = dt.date.fromisoformat(marker.args[0])
    instant = dt.datetime.combine(day, dt.time(10), tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    with time_machine.travel(instant, tick=True):
        yield


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
    login flow records (the second factor included), not just Django's bare `force_login`.
    """
    client.force_login(user)
