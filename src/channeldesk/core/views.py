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
