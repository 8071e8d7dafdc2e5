"""Service tokens: only the digest is stored, the scope is enforced, revoked and expired tokens
stop working, and the CLI shows the secret once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from channeldesk.api.authentication import HasServiceScope, ServiceTokenAuthentication
from channeldesk.core.models import ServiceToken, TokenScope
from channeldesk.core.tokens import (
    service_token_authenticate,
    service_token_create,
    service_token_revoke,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_secret_is_not_stored_and_authenticates() -> None:
    issued = service_token_create(name="Phone system", scope=TokenScope.SUPPORT)
    row = ServiceToken.objects.get()
    assert issued.secret not in {row.digest, row.key_id, row.name}
    assert issued.secret.startswith(f"cdk_{row.key_id}_")
    assert service_token_authenticate(raw=issued.secret) == row
    assert ServiceToken.objects.get().last_used_at is not None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda raw: raw[:-1] + ("A" if raw[-1] != "A" else "B"),
        lambda raw: raw.replace("cdk_", "xyz_"),
        lambda raw: "cdk_000000000000_" + raw.split("_", 2)[2],
        lambda raw: "",
        lambda raw: "cdk_",
    ],
)
def test_a_wrong_secret_is_refused(mangle) -> None:  # type: ignore[no-untyped-def]
    issued = service_token_create(name="Phone system", scope=TokenScope.SUPPORT)
    assert service_token_authenticate(raw=mangle(issued.secret)) is None


def test_revoked_and_expired_tokens_are_refused() -> None:
    revoked = service_token_create(name="Old", scope=TokenScope.USAGE)
    service_token_revoke(key_id=revoked.token.key_id)
    assert service_token_authenticate(raw=revoked.secret) is None
    soon = timezone.now() + dt.timedelta(hours=1)
    expiring = service_token_create(name="Temp", scope=TokenScope.USAGE, expires_at=soon)
    assert service_token_authenticate(raw=expiring.secret) is not None
    later = soon + dt.timedelta(seconds=1)
    assert service_token_authenticate(raw=expiring.secret, now=later) is None


def _request(header: str) -> Request:
    return Request(APIRequestFactory().get("/", HTTP_AUTHORIZATION=header))


def test_drf_authentication_and_scope() -> None:
    issued = service_token_create(name="Trainer", scope=TokenScope.TRAINING)
    request = _request(f"Bearer {issued.secret}")
    user, token = ServiceTokenAuthentication().authenticate(request)  # type: ignore[misc]
    assert not user.is_authenticated
    request.auth = token
    assert HasServiceScope.for_scope(TokenScope.TRAINING)().has_permission(request, None)
    assert not HasServiceScope.for_scope(TokenScope.USAGE)().has_permission(request, None)
    # Other schemes are left to the next authenticator; a bad service token is an error.
    assert ServiceTokenAuthentication().authenticate(_request("Token abc")) is None
    from rest_framework.exceptions import AuthenticationFailed

    with pytest.raises(AuthenticationFailed):
        ServiceTokenAuthentication().authenticate(_request("Bearer cdk_nope_nope"))


def test_cli_creates_lists_and_revokes() -> None:
    out = io.StringIO()
    call_command("tokens", "create", "--name", "IT-Schulung", "--scope", "training", stdout=out)
    secret = out.getvalue().splitlines()[1]
    token = ServiceToken.objects.get()
    assert service_token_authenticate(raw=secret) == token
    listing = io.StringIO()
    call_command("tokens", "list", "--format", "json", stdout=listing)
    assert secret not in listing.getvalue()
    assert token.key_id in listing.getvalue()
    call_command("tokens", "revoke", token.key_id, stdout=io.StringIO())
    assert service_token_authenticate(raw=secret) is None


@pytest.mark.parametrize(
    ("scope", "with_user"), [(TokenScope.PERSONAL, False), (TokenScope.USAGE, True)]
)
def test_the_database_keeps_users_to_personal_tokens(scope: TokenScope, with_user: bool) -> None:
    user = UserFactory(username="alice") if with_user else None

    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceToken.objects.create(name="x", scope=scope, key_id="abc", digest="0" * 64, user=user)

    assert ServiceToken.objects.count() == 0


def test_a_personal_token_authenticates_its_user() -> None:
    user = UserFactory(username="alice")
    issued = service_token_create(name="script", scope=TokenScope.PERSONAL, user=user)

    authenticated, token = ServiceTokenAuthentication().authenticate(  # type: ignore[misc]
        _request(f"Bearer {issued.secret}")
    )

    assert (authenticated, token) == (user, issued.token)
    assert not HasServiceScope.for_scope(TokenScope.USAGE)().has_permission(
        _authenticated(_request(f"Bearer {issued.secret}"), token), None
    )


def _authenticated(request: Request, token: ServiceToken) -> Request:
    request.auth = token
    return request
