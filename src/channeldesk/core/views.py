"""Views that belong to no business domain."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods
from django.views.i18n import LANGUAGE_QUERY_PARAMETER
from django.views.i18n import set_language as django_set_language

from channeldesk.core.models import UserPreference


@require_http_methods(["GET", "POST"])
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch, which also remembers the choice for a signed-in user.

    The cookie Django sets only follows one browser; the preference follows the user to every
    device, and `UserLanguageMiddleware` applies it on each request (it wins over the cookie).
    Anonymous visitors keep the cookie alone.
    """
    response = django_set_language(request)
    language = request.POST.get(LANGUAGE_QUERY_PARAMETER, "") if request.method == "POST" else ""
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):
        UserPreference.objects.update_or_create(user=request.user, defaults={"language": language})
    return response


# How long a client should wait before trying again while the database is away (seconds).
DATABASE_RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    """Every uncaught exception ends here (urls.handler500).

    A database that cannot be reached or is locked (PostgreSQL restarting, a failover, SQLite's
    write lock held past SQLITE_TIMEOUT) is an outage, not a bug: the answer is 503 with
    Retry-After, which clients, load balancers and alerts treat as "try again", instead of a
    500. Everything else keeps Django's own 500 page. Both pages are static (no database).
    """
    import sys  # noqa: PLC0415 - only on the error path

    from django.db import InterfaceError, OperationalError  # noqa: PLC0415
    from django.template import loader  # noqa: PLC0415
    from django.views.defaults import server_error as django_server_error  # noqa: PLC0415

    error = sys.exc_info()[1]
    if isinstance(error, OperationalError | InterfaceError):
        response = HttpResponse(loader.get_template("503.html").render(), status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
        return response
    return django_server_error(request)
