"""The one way every API list pages: `?limit=` and `?offset=`, checked, with a ceiling.

`limit` is a whole number from 1 to `API_MAX_PAGE_SIZE` (default `PAGE_SIZE`), `offset` a whole
number from 0; anything else answers 400 in the API's error format and runs no query. A ceiling
matters: one `?limit=100000` used to hold a worker until it was killed.

Lists that are not querysets (the evaluation's partners) use `page_window()` with the same rules;
a view set's list answers with `paginated()`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Model, QuerySet
from django.utils.translation import gettext as _
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from channeldesk.api.errors import ApiError

if TYPE_CHECKING:
    # DRF imports this module (DEFAULT_PAGINATION_CLASS) while it imports its view sets.
    from rest_framework.viewsets import GenericViewSet

# Large enough for any real offset, small enough that SQL OFFSET and Python slicing never
# overflow (SQLite's integers are 64 bits).
MAX_OFFSET = 2**31 - 1


def _whole_number(request: Request, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 10 else None
    if value is None or not low <= value <= high:
        message = _("%(name)s: a whole number from %(low)d to %(high)d.") % {
            "name": name,
            "low": low,
            "high": high,
        }
        raise ApiError(
            message, code="invalid", details=[{"field": name, "message": message, "code": "range"}]
        )
    return value


def page_window(request: Request, *, default_limit: int | None = None) -> tuple[int, int]:
    """The checked (limit, offset) of a request; 400 for a value out of range."""
    limit = _whole_number(
        request,
        "limit",
        default=default_limit or api_settings.PAGE_SIZE or 100,
        low=1,
        high=settings.API_MAX_PAGE_SIZE,
    )
    offset = _whole_number(request, "offset", default=0, low=0, high=MAX_OFFSET)
    return limit, offset


class ApiPagination(LimitOffsetPagination):
    """DRF's limit/offset pages, with the limits above and both bounds in the schema."""

    def get_limit(self, request: Request) -> int:
        return page_window(request)[0]

    def get_offset(self, request: Request) -> int:
        return page_window(request)[1]

    @property
    def max_limit(self) -> int:  # type: ignore[override]
        return int(settings.API_MAX_PAGE_SIZE)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        bounds = {
            "limit": {"minimum": 1, "maximum": settings.API_MAX_PAGE_SIZE},
            "offset": {"minimum": 0, "maximum": MAX_OFFSET},
        }
        for parameter in parameters:
            parameter["schema"] = {**parameter["schema"], **bounds[parameter["name"]]}
        return parameters


def paginated[M: Model](*, view: GenericViewSet[M], rows: QuerySet[M]) -> Response:
    """One page of `rows` in the view's serializer, as every list of the API answers."""
    page = view.paginate_queryset(rows)
    return view.get_paginated_response(view.get_serializer(page, many=True).data)
