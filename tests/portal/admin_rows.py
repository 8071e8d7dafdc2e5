"""Rows of the sign-in models (allauth's e-mail addresses and two-factor authenticators) for
the admin walk (tests/admin): staff look them up to help a partner who is locked out."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tests.conftest import Personas


def admin_rows(personas: Personas) -> None:
    user = personas.partner_a_user
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    TOTP.activate(user, generate_totp_secret())
