"""One error format for the whole API, and the checked input that answers in it.

Every error answer has the body `{"error": {"code": ..., "message": ..., "details": [...]}}`,
where `details` lists field- or row-level problems as objects (`field`, `row`, `message`, ...).

A service's refusal (`core.errors.DomainError`) is mapped here, once, to its status and code:
views call services without catching anything. Anything else a service raises (a `ValueError`
from a bug included) stays a 500.

The schema side lives here too: `ApiErrorSerializer` documents the body, `error_response` one
documented error answer, and `READ_ERRORS`, `LIST_ERRORS`, `DETAIL_ERRORS` the answers every
read endpoint shares (`write_errors` those of one that writes); `validated` checks a request's
input with a serializer (400 before any work is done).
"""

from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
)
from django.db import IntegrityError
from django.http import Http404, HttpRequest, JsonResponse
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from channeldesk.core.errors import DomainError


class ApiError(exceptions.APIException):
    """A 4xx answer with a machine-readable code and optional details."""

    status_code: int = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"

    def __init__(
        self,
        message: str,
        *,
        code: str = "invalid",
        details: list[dict[str, Any]] | None = None,
        status_code: int = status.HTTP_400_BAD_REQUEST,
    ) -> None:
        super().__init__(detail=message, code=code)
        self.error_code = code
        self.details = details or []
        self.status_code = status_code


class ApiErrorBodySerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Machine-readable reason, e.g. `not_found`.")
    message = serializers.CharField(help_text="A sentence for people.")
    details = serializers.ListField(
        child=serializers.DictField(),
        help_text="Field- or row-level problems: objects with `field` or `row`, and `message`.",
    )


class ApiErrorSerializer(serializers.Serializer[Any]):
    """The body of every error answer (documentation of the schema)."""

    error = ApiErrorBodySerializer()


def error_response(description: str) -> OpenApiResponse:
    """One documented error answer: the error body, and when it is given."""
    return OpenApiResponse(response=ApiErrorSerializer, description=description)


READ_ERRORS = {
    401: error_response("No or an invalid token or session."),
    403: error_response("The login belongs to no partner and is not vendor staff."),
}
LIST_ERRORS = {400: error_response("A query parameter is not valid."), **READ_ERRORS}
DETAIL_ERRORS = {
    **READ_ERRORS,
    404: error_response("No such object, or it belongs to another partner."),
}


def write_errors(*, forbidden: str, not_found: str, conflict: str) -> dict[int, OpenApiResponse]:
    """The documented refusals of an endpoint that writes the register: a bad request, no login,
    who is `forbidden`, what is `not_found` and the `conflict` of states, none writing anything."""
    return {
        400: error_response("The request is not valid; nothing was written."),
        401: READ_ERRORS[401],
        403: error_response(forbidden),
        404: error_response(not_found),
        409: error_response(conflict),
    }


def validated(
    serializer_class: type[serializers.Serializer[Any]], data: Any, **context: Any
) -> Any:
    """The input checked by a serializer (`context` for the checks that need one): a bad value
    answers 400 in the error format before anything is read or written."""
    serializer = serializer_class(data=data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _flatten(detail: Any, field: str | None = None) -> list[dict[str, Any]]:
    """DRF validation details (nested dicts/lists) as a flat list of {field, message, code}."""
    if isinstance(detail, dict):
        items: list[dict[str, Any]] = []
        for key, value in detail.items():
            if key == "non_field_errors":
                name = field
            else:
                name = key if field is None else f"{field}.{key}"
            items.extend(_flatten(value, name))
        return items
    if isinstance(detail, list):
        return [item for value in detail for item in _flatten(value, field)]
    return [{"field": field, "message": str(detail), "code": getattr(detail, "code", "invalid")}]


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        # A business rule refused: its own status and code, the same body as every error.
        exc = ApiError(
            str(exc.message), code=exc.code, details=exc.details, status_code=exc.status_code
        )
    if isinstance(exc, IntegrityError):
        # Two requests raced for the same key; the loser wrote nothing and may simply retry.
        exc = ApiError(
            "A concurrent change to the same records won; nothing was written. Retry.",
            code="conflict",
            status_code=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, RequestDataTooBig):
        # Django's limit for the bodies of endpoints that are not ingest endpoints.
        exc = ApiError(
            "The request body is too large for this endpoint.",
            code="request_too_large",
            status_code=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, TooManyFieldsSent | SuspiciousOperation):
        exc = ApiError("The request is not valid.", code="bad_request")
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, ApiError):
        body = {"code": exc.error_code, "message": str(exc.detail), "details": exc.details}
    elif isinstance(exc, exceptions.ValidationError):
        body = {
            "code": "invalid",
            "message": "The request is not valid.",
            "details": _flatten(exc.detail),
        }
    else:
        detail = getattr(exc, "detail", str(exc))
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = {
            "code": codes if isinstance(codes, str) else "error",
            "message": str(detail),
            "details": [],
        }
    response.data = {"error": body}
    return response


def not_found(
    request: HttpRequest, exception: Exception | None = None, path: str = ""
) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": "not_found", "message": "Not found.", "details": []}}, status=404
    )


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {"error": {"code": "server_error", "message": "Internal error.", "details": []}},
        status=500,
    )
