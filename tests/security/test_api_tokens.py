"""People use the API with their session or a personal token; DRF's plain-text tokens are gone.

A personal token is a `ServiceToken` of scope `personal` with its `user`: only a digest is stored,
the secret is shown once (`channeldesk tokens create --user NAME --name ...`), and it acts with
exactly its user's rights and no service scope.
"""

from __future__ import annotations

import io
import json

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from channeldesk.core.models import ServiceToken, TokenScope
from channeldesk.core.tokens import ServiceTokenError, service_token_create, service_token_revoke
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def _bearer(secret: str) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def test_drf_plain_text_tokens_are_not_installed_and_not_accepted(personas: Personas) -> None:
    assert not apps.is_installed("rest_framework.authtoken")
    assert settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"] == [
        "channeldesk.api.authentication.ServiceTokenAuthentication",
        "channeldesk.api.authentication.ApiSessionAuthentication",
    ]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")

    response = client.get("/api/v1/partners/")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_personal_token_acts_with_its_users_rights(personas: Personas) -> None:
    # Given a personal token for partner B's user,
    issued = service_token_create(
        name="bob's script", scope=TokenScope.PERSONAL, user=personas.partner_b_user
    )
    client = _bearer(issued.secret)

    # when it lists partners and asks for partner A,
    listing = client.get("/api/v1/partners/")
    other = client.get(f"/api/v1/partners/{personas.partner_a.partner_number}/")

    # then it sees partner B only, as bob does with a session.
    assert [row["partner_number"] for row in listing.json()["results"]] == ["B-2000"]
    assert other.status_code == 404
    assert ServiceToken.objects.get().last_used_at is not None


def test_a_personal_token_opens_no_service_scope(personas: Personas) -> None:
    issued = service_token_create(name="staff", scope=TokenScope.PERSONAL, user=personas.staff)

    response = _bearer(issued.secret).post(
        "/api/v1/usage/events", {"events": [{"event_id": "e1"}]}, format="json"
    )

    assert response.status_code == 403


def test_a_machine_token_is_no_person(personas: Personas) -> None:
    issued = service_token_create(name="Phone system", scope=TokenScope.SUPPORT)

    response = _bearer(issued.secret).get("/api/v1/partners/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


def test_revoked_tokens_and_tokens_of_inactive_users_are_refused(personas: Personas) -> None:
    revoked = service_token_create(name="old", scope=TokenScope.PERSONAL, user=personas.staff)
    service_token_revoke(key_id=revoked.token.key_id)
    left = service_token_create(name="left", scope=TokenScope.PERSONAL, user=personas.support)
    personas.support.is_active = False  # type: ignore[attr-defined]
    personas.support.save()  # type: ignore[attr-defined]

    for secret in (revoked.secret, left.secret):
        response = _bearer(secret).get("/api/v1/products/")
        assert response.status_code == 401
        assert response.json()["error"] == {
            "code": "authentication_failed",
            "message": "Unknown, revoked or expired token.",
            "details": [],
        }


@pytest.mark.parametrize(
    ("scope", "with_user"),
    [(TokenScope.PERSONAL, False), (TokenScope.USAGE, True), (TokenScope.SUPPORT, True)],
)
def test_only_a_personal_token_has_a_user(
    personas: Personas, scope: TokenScope, with_user: bool
) -> None:
    with pytest.raises(ServiceTokenError):
        service_token_create(name="x", scope=scope, user=personas.staff if with_user else None)
    assert ServiceToken.objects.count() == 0


def test_the_cli_makes_a_personal_token_and_shows_the_secret_once(personas: Personas) -> None:
    out = io.StringIO()

    call_command(
        "tokens", "create", "--user", "bob", "--name", "Reporting", "--format", "json", stdout=out
    )

    shown = json.loads(out.getvalue())
    token = ServiceToken.objects.get()
    assert (token.scope, token.user, token.name) == (
        "personal",
        personas.partner_b_user,
        "Reporting",
    )
    assert shown["user"] == "bob"
    assert shown["secret"] not in {token.digest, token.key_id}
    listing = io.StringIO()
    call_command("tokens", "list", "--format", "json", stdout=listing)
    assert shown["secret"] not in listing.getvalue()
    assert json.loads(listing.getvalue())[0]["user"] == "bob"
    assert _bearer(shown["secret"]).get("/api/v1/partners/").status_code == 200


@pytest.mark.parametrize(
    "arguments",
    [
        ["--user", "nobody", "--name", "x"],
        ["--user", "bob", "--scope", "usage", "--name", "x"],
        ["--name", "x"],
    ],
)
def test_the_cli_refuses_a_token_it_cannot_make(personas: Personas, arguments: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("tokens", "create", *arguments, stdout=io.StringIO())
    assert ServiceToken.objects.count() == 0
