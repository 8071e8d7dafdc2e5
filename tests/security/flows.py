"""The sign-in steps as a person takes them, through allauth's pages on a test client."""

from __future__ import annotations

import re
from typing import Any

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.core import mail
from django.test import Client

from channeldesk.notifications.dispatch import outbox_dispatch

PASSWORD = "correct horse battery staple"  # what tests.factories.UserFactory sets
LINK = re.compile(r"http://testserver(/accounts/\S+)")


def give_totp(user: Any) -> str:
    """Switch TOTP on for `user`; the secret, to compute codes from."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def totp_code(secret: str) -> str:
    counter = next(iter(yield_hotp_counters_from_time()))
    return format_hotp_value(hotp_value(secret, counter))


def password_step(client: Client, login: str, password: str = PASSWORD, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"login": login, "password": password}, **extra)


def sign_in_with_totp(client: Client, login: str, secret: str) -> None:
    """Password, then the current code, as a person with an authenticator app signs in."""
    response = password_step(client, login)
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})


def delivered_link(to: str) -> str:
    """Deliver the outbox and return the path of the account link the recipient received."""
    outbox_dispatch()
    bodies = [message.body for message in mail.outbox if to in message.to]
    assert bodies, f"nothing was delivered to {to}"
    found = LINK.search(bodies[-1])
    assert found is not None, bodies[-1]
    return found.group(1)


def has_totp(user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
