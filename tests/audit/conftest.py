"""Fixtures of the audit-trail tests: a request as the middleware sees it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from channeldesk.audit.middleware import AuditMiddleware


@pytest.fixture
def through_request() -> Callable[..., Any]:
    """Run `action(request)` inside a request of `user` from `address` through the audit
    middleware (as a view would), and return what it returned."""

    def run(
        action: Callable[[HttpRequest], Any],
        *,
        user: Any,
        address: str = "203.0.113.7",
        path: str = "/backoffice/",
        headers: dict[str, str] | None = None,
    ) -> Any:
        request = RequestFactory().post(path, REMOTE_ADDR=address, headers=headers or {})
        request.user = user
        result: dict[str, Any] = {}

        def view(request: HttpRequest) -> HttpResponse:
            result["value"] = action(request)
            return HttpResponse("ok")

        AuditMiddleware(view)(request)
        return result["value"]

    return run
