"""The site's URLs plus two that fail the way an outage and a bug do (tests/core/test_outage.py)."""

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from channeldesk.urls import handler500, urlpatterns


def database_away(request: HttpRequest) -> HttpResponse:
    raise OperationalError("connection to server at 127.0.0.1, port 5432 failed")


def bug(request: HttpRequest) -> HttpResponse:
    raise ZeroDivisionError("a bug")


urlpatterns = [
    path("outage/", database_away),
    path("api/v1/outage/", database_away),
    path("bug/", bug),
    *urlpatterns,
]
__all__ = ["handler500", "urlpatterns"]
