"""Who may open a back-office page: vendor staff only.

- Channel managers (and superusers) may open every page and act.
- The support desk may look partners up and read a partner's page, nothing else (403).
- Partner users and other logins get 403; anonymous visitors go to the sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from channeldesk.partners.selectors import user_is_channel_manager, user_is_vendor_staff

# A view's answer may be streamed (the CSV exports), so any response will do.
type View = Callable[..., HttpResponseBase]


def _guard(view: View, *, allowed: Callable[..., bool]) -> View:
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not allowed(user=request.user):
            raise PermissionDenied("The back office is not open to this login.")
        return view(request, *args, **kwargs)

    return wrapped


def staff_view(view: View) -> View:
    """Vendor staff, the support desk included (read-only pages)."""
    return _guard(view, allowed=user_is_vendor_staff)


def manager_view(view: View) -> View:
    """Channel managers only (the programme, renewals, the outbox, feedback)."""
    return _guard(view, allowed=user_is_channel_manager)
