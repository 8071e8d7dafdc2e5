"""Couples each request to the audit entries written while it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from auditlog.middleware import AuditlogMiddleware
from django.http import HttpRequest, HttpResponse

from channeldesk.audit.context import audit_origin, remote_address


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware (actor, address and correlation id for its entries) with
    two changes:

    - the client's address is REMOTE_ADDR unless trusted proxies are configured
      (`remote_address`); auditlog's own believes any X-Forwarded-For header;
    - the request is kept as the origin (`web`, or `api` under /api/), so an entry written
      after DRF signed a token in still names the token's person (auditlog fixes the actor
      when the request starts, before DRF authenticates).
    """

    get_response: Callable[[HttpRequest], HttpResponse]

    @staticmethod
    def _get_remote_addr(request: HttpRequest) -> str | None:
        return remote_address(request)

    def __call__(self, request: HttpRequest) -> Any:
        via = "api" if request.path.startswith("/api/") else "web"
        with audit_origin(via=via, request=request):
            return super().__call__(request)
