"""The demo's logins sign in to the portal and the back office with their e-mail address."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import Client

from channeldesk.commands.demo.accounts import (
    PARTNER_PASSWORD,
    STAFF_PASSWORD,
    email_addresses_ensure,
    partner_accounts_ensure,
    vendor_accounts_ensure,
)
from tests.factories import PartnerFactory

pytestmark = pytest.mark.usefixtures("fresh_rate_limits")


def test_demo_partner_and_staff_sign_in_by_email(db: Any) -> None:
    PartnerFactory(partner_number="P100001")
    vendor_accounts_ensure()
    partner_accounts_ensure(partner_numbers=["P100001"])
    partner_client, staff_client = Client(), Client()

    partner_client.post(
        "/accounts/login/",
        {"login": "p100001@partners.channeldesk.example", "password": PARTNER_PASSWORD},
    )
    staff_client.post(
        "/accounts/login/", {"login": "staff@channeldesk.example", "password": STAFF_PASSWORD}
    )

    assert partner_client.get("/")["Location"] == "/portal/"
    # Vendor staff must set up a second factor before anything else (docs/security-login.md).
    assert staff_client.get("/")["Location"] == "/accounts/2fa/totp/activate/"
    address = EmailAddress.objects.get(email="p100001@partners.channeldesk.example")
    assert address.verified
    assert address.primary


def test_logins_made_before_get_their_address_once(db: Any) -> None:
    user = get_user_model().objects.create_user(username="old", email="old@example.com")

    first = email_addresses_ensure()
    second = email_addresses_ensure()

    assert (first, second) == (1, 0)
    assert EmailAddress.objects.get(user=user).email == "old@example.com"
