"""Who may open a portal page: signed-in partner users, each for its own partner only.

The partner comes from the login's membership (`partners.selectors.membership_for_user`), never
from the URL; rows are scoped through the contracts and partners selectors, so an id of another
partner's object finds nothing and answers 404.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_http_methods

from channeldesk.partners.models import MembershipRole, PartnerMembership
from channeldesk.partners.selectors import membership_for_user

# A portal view takes the request and the login's membership (and the URL's arguments).
type PortalView = Callable[..., HttpResponseBase]


def partner_view(view: PortalView) -> Callable[..., HttpResponseBase]:
    """Anonymous visitors go to the sign-in page; logins that belong to no partner (vendor
    staff included: they have the back office) get 403; partner users get the page, with
    their membership as the second argument."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        membership = membership_for_user(user=request.user)
        if membership is None:
            raise PermissionDenied("This login belongs to no partner.")
        return view(request, membership, *args, **kwargs)

    return wrapped


def partner_page(view: PortalView) -> Callable[..., HttpResponseBase]:
    """A page or download a partner user reads (`partner_view`); GET and HEAD only."""
    return partner_view(require_http_methods(["GET", "HEAD"])(view))


def partner_admin_view(view: PortalView) -> Callable[..., HttpResponseBase]:
    """Like `partner_view`, for the partner's admins only (others get 403)."""

    @wraps(view)
    def admin_only(
        request: HttpRequest, membership: PartnerMembership, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        if membership.role != MembershipRole.ADMIN:
            raise PermissionDenied("Only the partner's admins manage its colleagues.")
        return view(request, membership, *args, **kwargs)

    return partner_view(admin_only)
