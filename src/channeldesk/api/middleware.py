"""Every answer under /api/ that refuses comes in the API's JSON error format.

DRF's exception handler (`channeldesk.api.errors`) formats what the API views raise. Some refusals
happen before a view runs or outside DRF: Django's 404 for a path no URL matches (`/api/nope`),
its 400 for a body over `DATA_UPLOAD_MAX_MEMORY_SIZE` or too many fields, a CSRF refusal of the
middleware, a 500 page. This middleware, outermost but for the security middleware, turns any
such non-JSON error answer under /api/ into `{"error": {"code", "message", "details"}}` with the
same status, so a client never has to parse an HTML page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

API_PATH_PREFIX = "/api/"


def _reasons() -> dict[int, tuple[str, str]]:
    return {
        400: ("bad_request", _("The request is not valid.")),
        401: ("not_authenticated", _("Authentication credentials were not provided.")),
        403: ("permission_denied", _("You may not do this.")),
        404: ("not_found", _("Not found.")),
        405: ("method_not_allowed", _("This method is not allowed here.")),
        413: ("request_too_large", _("The request body is too large.")),
        415: ("unsupported_media_type", _("This content type is not supported here.")),
        429: ("throttled", _("Too many requests; try again later.")),
        500: ("server_error", _("Internal error.")),
        503: ("unavailable", _("The service is briefly unavailable; try again shortly.")),
    }


def api_error_body(status: int) -> dict[str, dict[str, object]]:
    """The error body for a refusal with this status that carries no reason of its own."""
    code, message = _reasons().get(
        status, ("server_error", _("Internal error.")) if status >= 500 else ("error", "")
    )
    return {"error": {"code": code, "message": message or str(status), "details": []}}


class ApiErrorFormatMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PATH_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            answer = JsonResponse(api_error_body(response.status_code), status=response.status_code)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    answer[header] = response[header]
            return answer
        return response
