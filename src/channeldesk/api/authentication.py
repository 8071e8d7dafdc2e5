"""Authentication of other systems by service token (`channeldesk.core.tokens`).

Endpoints for machines list `ServiceTokenAuthentication` first and check the scope with
`HasServiceScope`. A service token authenticates no user: `request.user` stays anonymous and
`request.auth` is the `ServiceToken`, so every user-based permission refuses it.

    authentication_classes = [ServiceTokenAuthentication, SessionAuthentication]
    permission_classes = [HasServiceScope.for_scope(TokenScope.USAGE) | IsVendorStaff]
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from channeldesk.core.models import ServiceToken, TokenScope
from channeldesk.core.tokens import PREFIX, service_token_authenticate


class ServiceTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer cdk_…`. Other headers are left to the next authenticator."""

    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[AnonymousUser, ServiceToken] | None:
        header = get_authorization_header(request).split()
        if len(header) != 2 or header[0].decode().lower() != self.keyword.lower():
            return None
        raw = header[1].decode(errors="replace")
        if not raw.startswith(f"{PREFIX}_"):
            return None
        token = service_token_authenticate(raw=raw)
        if token is None:
            raise AuthenticationFailed(_("Unknown, revoked or expired service token."))
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def service_token_of(request: Request) -> ServiceToken | None:
    """The service token the request came with, if any."""
    return request.auth if isinstance(request.auth, ServiceToken) else None


class HasServiceScope(BasePermission):
    """A service token of one scope. Build it with `HasServiceScope.for_scope(scope)`."""

    scope: TokenScope
    message = _("This service token may not use this endpoint.")

    @classmethod
    def for_scope(cls, scope: TokenScope) -> type[HasServiceScope]:
        return type(f"HasServiceScope_{scope.value}", (cls,), {"scope": scope})

    def has_permission(self, request: Request, view: Any) -> bool:
        token = service_token_of(request)
        return token is not None and token.scope == self.scope


class ServiceTokenScheme(OpenApiAuthenticationExtension):
    """Documents the service tokens (`Authorization: Bearer cdk_…`) in the OpenAPI schema."""

    target_class = "channeldesk.api.authentication.ServiceTokenAuthentication"
    name = "serviceToken"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A service token of one scope (training, support, usage): cdk_…",
        }
