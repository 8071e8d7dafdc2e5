"""The OpenAPI schema and the API docs page, for signed-in callers only.

- Vendor staff get the whole schema.
- Anyone else with a login (a partner user, a personal token, a service token) gets only the
  operations whose permission check lets them through (drf-spectacular's non-public schema asks
  each view's `check_permissions` with the caller's request): a partner sees the partner
  endpoints, a usage token the usage events, and so on. Nobody learns the shape of what they may
  not call.
- Without a login: 401 for the schema; the docs page sends a browser to the sign-in page.

The docs page is Swagger UI from drf-spectacular-sidecar, served from the project's static files,
with its start script at its own URL (`?script`), so no inline script is needed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpResponseRedirect
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response

from channeldesk.api.authentication import (
    ApiSessionAuthentication,
    ServiceTokenAuthentication,
    service_token_of,
)
from channeldesk.partners.selectors import user_is_vendor_staff


def _has_login(request: Request) -> bool:
    return bool(request.user and request.user.is_authenticated) or (
        service_token_of(request) is not None
    )


class HasAnyLogin(BasePermission):
    """A signed-in person or any live token, of whatever scope."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return _has_login(request)


class ScopedSchemaView(SpectacularAPIView):
    authentication_classes = [ServiceTokenAuthentication, ApiSessionAuthentication]
    permission_classes = [HasAnyLogin]

    def _get_schema_response(self, request: Request) -> Response:
        # Per request, not per class: the answer depends on who asks.
        self.serve_public = user_is_vendor_staff(user=request.user)
        return super()._get_schema_response(request)  # type: ignore[no-any-return]


class ScopedDocsView(SpectacularSwaggerSplitView):
    authentication_classes = [ServiceTokenAuthentication, ApiSessionAuthentication]
    template_name = "api/swagger_ui.html"
    permission_classes: list[type[BasePermission]] = []

    @extend_schema(exclude=True)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Any:
        if not _has_login(request):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{settings.LOGIN_URL}?{query}")
        return super().get(request, *args, **kwargs)


_ERROR_ANSWERS = {
    "400": "The request is not valid (a parameter or the body); nothing was written.",
    "401": "No, an unknown, a revoked or an expired login or token.",
    "403": "The login or token may not use this endpoint.",
    "404": "No such object, or it belongs to another partner.",
    "413": "The request body is larger than this endpoint takes.",
}


def document_error_answers(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """drf-spectacular post-processing hook: every operation documents the refusals the API's
    shared machinery gives it, in the one error format, where the view did not say more.

    400 where it takes parameters or a body, 401 and 403 where it needs a login, 404 where its
    path names an object, 413 where it takes a body. An operation's own descriptions win.
    """
    reference = {"$ref": "#/components/schemas/ApiError"}
    for path, item in result.get("paths", {}).items():
        for operation in item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            codes = []
            if operation.get("parameters") or operation.get("requestBody"):
                codes.append("400")
            if any(requirement for requirement in operation.get("security", [])):
                codes += ["401", "403"]
            if "{" in path:
                codes.append("404")
            if operation.get("requestBody"):
                codes.append("413")
            for code in codes:
                answer = operation["responses"].setdefault(code, {"description": ""})
                answer["description"] = answer.get("description") or _ERROR_ANSWERS[code]
                answer.setdefault("content", {"application/json": {"schema": reference}})
    return result
