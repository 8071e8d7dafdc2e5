"""Colleagues: a partner admin sees the partner's logins, invites and removes colleagues."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from channeldesk.partners.models import PartnerMembership
from channeldesk.portal.access import partner_admin_view
from channeldesk.portal.accounts import (
    ColleagueError,
    colleague_invite,
    colleague_remove,
    colleagues_of,
)
from channeldesk.portal.forms import InviteForm


@partner_admin_view
@require_http_methods(["GET", "HEAD", "POST"])
def colleague_list(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
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
        else:
            messages.success(
                request,
                _("%(email)s has been invited and gets an e-mail to choose a password.")
                % {"email": form.cleaned_data["email"]},
            )
            return redirect("portal:colleagues")
    context = {
        "form": form,
        "colleagues": colleagues_of(partner=membership.partner),
        "membership": membership,
        "section": "colleagues",
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "portal/colleagues.html", context, status=status)


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
