"""Service tokens: machine logins limited to one scope, and people's personal API tokens
(see `ServiceToken`).

A token reads `cdk_<key id>_<secret>`. The key id finds the row; the secret is checked against the
stored digest in constant time. Revoked and expired tokens are refused like unknown ones, and so
is a personal token whose user is no longer active.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.utils import timezone
from django.utils.translation import gettext as _

from channeldesk.core.errors import DomainError
from channeldesk.core.models import ServiceToken, TokenScope

PREFIX = "cdk"
# Writing last_used_at on every call would turn each read into a write; once a minute is enough
# to tell staff which tokens are in use.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    token: ServiceToken
    secret: str  # the whole `cdk_…` string; shown once, never stored


class ServiceTokenError(DomainError):
    """A token that cannot be made as asked (a personal token without its user, or a machine
    token with one). `code` is stable for machines."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def service_token_create(
    *,
    name: str,
    scope: TokenScope | str,
    expires_at: dt.datetime | None = None,
    user: User | None = None,
) -> IssuedToken:
    """Make a token for another system, or a personal token for `user` (scope `personal`);
    the returned secret is the only copy."""
    scope = TokenScope(scope)
    if (scope == TokenScope.PERSONAL) != (user is not None):
        raise ServiceTokenError(
            _("A personal token needs its user, and only a personal token has one."),
            code="personal_token_user",
        )
    if user is not None and not user.is_active:
        raise ServiceTokenError(
            _("The user is not active; an inactive user gets no token."), code="user_inactive"
        )
    key_id = secrets.token_hex(6)
    raw = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    token = ServiceToken.objects.create(
        name=name,
        scope=scope,
        key_id=key_id,
        digest=_digest(raw),
        expires_at=expires_at,
        user=user,
    )
    return IssuedToken(token=token, secret=raw)


def service_token_authenticate(*, raw: str, now: dt.datetime | None = None) -> ServiceToken | None:
    """The live token this secret belongs to, or None (unknown, wrong, revoked or expired)."""
    parts = raw.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    token = ServiceToken.objects.select_related("user").filter(key_id=parts[1]).first()
    if token is None or not hmac.compare_digest(token.digest, _digest(raw.strip())):
        return None
    now = now or timezone.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    if token.user is not None and not token.user.is_active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ServiceToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def service_token_revoke(*, key_id: str, now: dt.datetime | None = None) -> ServiceToken:
    """Revoke a token for good (idempotent). Raises ServiceToken.DoesNotExist."""
    token = ServiceToken.objects.get(key_id=key_id)
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
    return token
