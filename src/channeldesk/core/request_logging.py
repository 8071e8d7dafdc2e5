"""The request's part of the logs (core/logging.py): its id, its one `request_finished` line
from django-structlog, and the partner of the user.

1. `RequestIdMiddleware` (near the top of MIDDLEWARE) settles the request id: the proxy's
   `X-Request-ID` when it is short and plain, else a new UUID; the response carries it back.
2. `RequestLogMiddleware` (django-structlog's, after authentication) binds the id and the user
   to every line of the request and logs `request_finished` with the status. The request is
   written as method and path: no query string (search terms, `next=`), and the secret of an
   invitation or password-reset link redacted.
3. `LogContextMiddleware` (right after it) adds the partner number of a partner user.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import structlog
from django.http import HttpRequest, HttpResponse
from django_structlog.middlewares import RequestMiddleware

from channeldesk.core.logging import path_redacted, structlog_configure

# A request id from the proxy is used only when it is short and plain (a UUID, a hex or base64
# token, the ids nginx and load balancers generate); anything else gets a new id, so a client
# cannot write arbitrary text into every line of its request.
REQUEST_ID = re.compile(r"[A-Za-z0-9._:+/=-]{1,128}")
REQUEST_ID_META = "HTTP_X_REQUEST_ID"


def request_id_accept(request: HttpRequest) -> str:
    """The request's id (step 1), written back into the request for django-structlog."""
    offered = request.META.get(REQUEST_ID_META, "")
    request_id = offered if REQUEST_ID.fullmatch(offered) else str(uuid.uuid4())
    request.META[REQUEST_ID_META] = request_id
    return request_id


class RequestIdMiddleware:
    """Step 1 of the module docstring."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        structlog_configure()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_accept(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class RequestLogMiddleware(RequestMiddleware):
    """Step 2: django-structlog's middleware, writing the request without its secrets."""

    @staticmethod
    def format_request(request: HttpRequest) -> str:
        return f"{request.method} {path_redacted(request.path)}"


def _loaded(instance: Any, name: str) -> Any:
    """A relation of a model instance when it is already loaded, else None (never a query)."""
    state = getattr(instance, "_state", None)
    return state.fields_cache.get(name) if state is not None else None


def partner_number_of(user: Any) -> str | None:
    """The partner number of a partner user whose membership this request already loaded.

    Every page and API call of a partner user loads it to scope the data (`partners.selectors`),
    so it is there when it matters; reading it here would cost queries on every request of
    everyone else, and `core` may not import `partners`."""
    membership = _loaded(user, "partner_membership")
    partner = _loaded(membership, "partner") if membership is not None else None
    return getattr(partner, "partner_number", None)


class LogContextMiddleware:
    """Step 3: after the view, the partner number joins the lines still to come (among them
    `request_finished`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            partner = partner_number_of(getattr(user, "_wrapped", user))
            if partner:
                structlog.contextvars.bind_contextvars(partner=partner)
        return response
