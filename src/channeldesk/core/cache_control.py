"""No cache keeps what a signed-in person or an API credential was shown.

Pages and downloads of the portal, the back office, the admin and the API carry partner data;
a shared proxy or the browser's disk cache must not store them. Every response to a request
of an authenticated user (by session, or by token once DRF has authenticated it: DRF sets the
user on the underlying request) or to a request that carries credentials (`Authorization`) is
marked `Cache-Control: no-store`, unless the view chose its caching itself.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        if _carries_credentials(request):
            patch_cache_control(response, no_store=True)
        return response


def _carries_credentials(request: HttpRequest) -> bool:
    if "HTTP_AUTHORIZATION" in request.META:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)
