"""Request middleware: the signed-in user's language, and the second-factor rule."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from channeldesk.core.second_factor import Standing, session_standing

# What vendor staff without a second factor may still reach: the security page, which offers
# both, setting TOTP up or adding a passkey, confirming the password they ask for first,
# signing out, and the language switch. (Adding a passkey needs nothing else: its script is a
# static file and the page posts to itself.)
ENROLMENT_URL_NAMES = (
    "mfa_index",
    "mfa_activate_totp",
    "mfa_add_webauthn",
    "account_reauthenticate",
    # A login made by single sign-on has no password: it confirms by a code sent by e-mail.
    "account_request_reauthentication_code",
    "account_confirm_reauthentication_code",
    "account_logout",
    "set_language",
)


class UserLanguageMiddleware:
    """Activates the signed-in user's chosen language (after LocaleMiddleware's guess)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = None
        if user is not None and user.is_authenticated:
            preference = getattr(user, "preference", None)
            language = preference.language if preference is not None else None
        if language:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


class SecondFactorMiddleware:
    """Applies `core.second_factor`'s rule to every request with a signed-in session.

    A session that skipped the second factor of its login is signed out before any view runs;
    vendor staff without a second factor are sent to the TOTP setup, which offers a passkey
    instead (an API request by session gets 403 in the API's error format), and reach nothing
    else. Requests with a service or API token carry no session user and are not concerned.
    Runs after the authentication and the messages middleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated:
            standing = session_standing(request, user)
            if standing is Standing.SIGNED_OUT:
                logout(request)
            elif standing is Standing.MUST_ENROL and not _enrolment_path(request):
                return _to_enrolment(request)
        return self.get_response(request)


def _enrolment_path(request: HttpRequest) -> bool:
    return request.path_info in {reverse(name) for name in ENROLMENT_URL_NAMES}


def _to_enrolment(request: HttpRequest) -> HttpResponse:
    message = _(
        "Vendor staff need a second factor: set up an authenticator app or a passkey first."
    )
    if request.path_info.startswith("/api/"):
        error = {"code": "second_factor_required", "message": message, "details": []}
        return JsonResponse({"error": error}, status=403)
    messages.info(request, message, fail_silently=True)
    return redirect("mfa_activate_totp")
