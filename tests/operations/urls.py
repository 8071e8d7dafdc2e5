"""The site's URLs plus a page that fails, for the tests of what a server error leaves in the log
and in Sentry (tests/operations/test_logging.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from channeldesk.urls import urlpatterns as site_patterns


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the page failed on purpose")


urlpatterns = [*site_patterns, path("test-failure", fails, name="test-failure")]
