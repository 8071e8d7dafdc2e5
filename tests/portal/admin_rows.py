"""Rows of the sign-in models (allauth's e-mail addresses and two-factor authenticators) for
the admin walk (tests/admin): a superuser removes the authenticator of a partner who lost the
phone (the page never shows the secret)."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tests.personas import Personas

# An authenticator comes from its owner's own set-up, never from the admin.
READ_ONLY_MODELS = {Authenticator}


def admin_rows(personas: Personas) -> None:
    user = personas.partner_a_user
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    TOTP.activate(user, generate_totp_secret())
