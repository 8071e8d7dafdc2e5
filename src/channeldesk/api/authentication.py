"""How the API knows who calls: tokens (`channeldesk.core.tokens`) and sessions.

Every endpoint takes the two authenticators of `REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"]`
(an endpoint without a login sets none):

- `ServiceTokenAuthentication`: `Authorization: Bearer cdk_…`. A machine token (scope training,
  support or usage) authenticates no user: `request.user` stays anonymous and `request.auth` is
  the `ServiceToken`, so every user-based permission refuses it and only `HasServiceScope` of its
  scope lets it in. A personal token (scope `personal`) authenticates its user, who then has the
  same rights as with a session, and no service scope.
- `ApiSessionAuthentication`: the browser session of a signed-in person, with Django's CSRF
  check on writes, made without parsing the body (see the class).

    permission_classes = [HasServiceScope.for_scope(TokenScope.USAGE) | IsVendorStaff]
"""

from __future__ import annotations

import copy
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, QueryDict
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import (
    BaseAuthentication,
    CSRFCheck,
    SessionAuthentication,
    get_authorization_header,
)
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from channeldesk.core.models import ServiceToken, TokenScope
from channeldesk.core.tokens import PREFIX, service_token_authenticate


class ServiceTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer cdk_…`. Other headers are left to the next authenticator."""

    keyword = "Bearer"

    def authenticate(
        self, request: Request
    ) -> tuple[AbstractBaseUser | AnonymousUser, ServiceToken] | None:
        header = get_authorization_header(request).split()
        if len(header) != 2 or header[0].decode(errors="replace").lower() != self.keyword.lower():
            return None
        raw = header[1].decode(errors="replace")
        if not raw.startswith(f"{PREFIX}_"):
            return None
        token = service_token_authenticate(raw=raw)
        if token is None:
            raise AuthenticationFailed(_("Unknown, revoked or expired token."))
        if token.user is not None:
            return token.user, token
        return AnonymousUser(), token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def _never_called(request: HttpRequest) -> HttpResponse:  # pragma: no cover
    """The view and the next step the CSRF check is built with; it only checks."""
    raise AssertionError("The CSRF check calls no view.")


class ApiSessionAuthentication(SessionAuthentication):
    """DRF's session login with Django's CSRF check on writes, made without reading the body.

    DRF's own check hands Django the API request, whose `POST` parses the body: a partner's
    session POST to a staff-only endpoint was parsed (415, 400, or a large upload spooled) before
    the permission said 403. Here the check sees a copy of the request with an empty form, so the
    CSRF token must come in the `X-CSRFToken` header (as the API docs page sends it), and the
    body is read only by the view, after the permission check.
    """

    def enforce_csrf(self, request: Request) -> None:
        unread = copy.copy(request._request)
        unread._post = QueryDict()  # type: ignore[attr-defined]
        unread._files = MultiValueDict()  # type: ignore[attr-defined]
        check = CSRFCheck(_never_called)
        check.process_request(unread)
        reason = check.process_view(unread, _never_called, (), {})
        if reason:
            raise PermissionDenied(f"CSRF Failed: {reason}")


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
            "description": (
                "A token, cdk_…: a service token of one scope (training, support, usage), or a "
                "personal token that acts as its user."
            ),
        }


class ApiSessionScheme(OpenApiAuthenticationExtension):
    """Documents the session login (the cookie of a signed-in person) in the OpenAPI schema."""

    target_class = "channeldesk.api.authentication.ApiSessionAuthentication"
    name = "cookieAuth"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {"type": "apiKey", "in": "cookie", "name": settings.SESSION_COOKIE_NAME}
