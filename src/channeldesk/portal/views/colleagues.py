"""Colleagues: a partner admin sees the partner's logins, invites and removes colleagues; an
invited colleague takes the invitation up by choosing a password."""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.contrib import messages
from django.db import IntegrityError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from channeldesk.partners.models import PartnerMembership
from channeldesk.portal.access import partner_admin_view
from channeldesk.portal.accounts import (
    ColleagueError,
    colleague_invite,
    colleague_remove,
    colleagues_of,
    invitation_read,
)
from channeldesk.portal.accounts import (
    invitation_accept as accept_invitation,
)
from channeldesk.portal.forms import InvitationPasswordForm, InviteForm


@partner_admin_view
@require_http_methods(["GET", "HEAD", "POST"])
def colleague_list(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not _invitation_allowed(request, form):
            form.add_error(None, _("Too many invitations: please try again in an hour."))
        elif _invite(request, form, membership):
            return redirect("portal:colleagues")
    context = {
        "form": form,
        "colleagues": colleagues_of(partner=membership.partner),
        "membership": membership,
        "section": "colleagues",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/colleagues.html", context, status=status)


def _invite(request: HttpRequest, form: InviteForm, membership: PartnerMembership) -> bool:
    """Queue the invitation; False (with the reason on the form) when it is refused."""
    try:
        colleague_invite(
            partner=membership.partner,
            email=form.cleaned_data["email"],
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
            role=form.cleaned_data["role"],
            invited_by=request.user,
            site_url=request.build_absolute_uri("/"),
        )
    except ColleagueError as error:
        form.add_error(None, str(error))
        return False
    messages.success(
        request,
        _("%(email)s has been invited and gets an e-mail to choose a password.")
        % {"email": form.cleaned_data["email"]},
    )
    return True


def _invitation_allowed(request: HttpRequest, form: InviteForm) -> bool:
    """allauth's rate limit `portal_invitation`: per inviting admin and per invited address,
    so nobody floods an address with invitations (settings.ACCOUNT_RATE_LIMITS)."""
    address = form.cleaned_data["email"].lower()
    return ratelimit.consume(request, action="portal_invitation", key=address)


@partner_admin_view
@require_POST
def colleague_delete(
    request: HttpRequest, membership: PartnerMembership, user_id: int
) -> HttpResponse:
    try:
        colleague_remove(partner=membership.partner, user_id=user_id, removed_by=request.user)
    except PartnerMembership.DoesNotExist:
        raise Http404("No such colleague.") from None
    except ColleagueError as error:
        messages.error(request, str(error))
        return redirect("portal:colleagues")
    messages.success(request, _("The colleague's login has been removed."))
    return redirect("portal:colleagues")


# What the invitation page says for each refusal of `portal.accounts.invitation_read`.
INVITATION_PROBLEMS = {
    "invalid_link": gettext_lazy(
        "This invitation link is invalid or has expired: ask your colleague for a new one."
    ),
    "used": gettext_lazy("This address already has a login: sign in with it."),
    "withdrawn": gettext_lazy("This invitation has been withdrawn."),
}


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: choose a password, and the login exists (then sign in).

    Open to anyone holding the link, which is the secret; an invalid, expired, used or
    withdrawn link says so on the page (status 400) and creates nothing.
    """
    try:
        invitation = invitation_read(token=token)
    except ColleagueError as error:
        context: dict[str, Any] = {"problem": INVITATION_PROBLEMS[error.code]}
        return render(request, "account/invitation_accept.html", context, status=400)
    form = InvitationPasswordForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        try:
            accept_invitation(token=token, password=form.cleaned_data["password1"])
        except (ColleagueError, IntegrityError):
            # Another use of the same link (or another login for the address) came first.
            context = {"problem": INVITATION_PROBLEMS["used"]}
            return render(request, "account/invitation_accept.html", context, status=400)
        messages.success(request, _("Your login is ready: sign in with your e-mail address."))
        return redirect("account_login")
    context = {"form": form, "invitation": invitation}
    status = 400 if request.method == "POST" else 200
    return render(request, "account/invitation_accept.html", context, status=status)
