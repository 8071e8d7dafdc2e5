"""The site root and the portal's home page: tier, discount, why, and the feedback round."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from channeldesk.core.errors import DomainError, domain_error_message
from channeldesk.feedback.selectors import (
    Projection,
    feedback_on_programme,
    feedback_projection,
    policy_open_for_feedback,
)
from channeldesk.feedback.services import feedback_give
from channeldesk.partners.models import PartnerMembership
from channeldesk.partners.selectors import (
    membership_for_user,
    user_is_channel_manager,
    user_is_vendor_staff,
)
from channeldesk.portal.access import partner_page, partner_view
from channeldesk.portal.forms import FeedbackForm
from channeldesk.portal.panels import home_panels
from channeldesk.portal.selectors import portal_home_counts
from channeldesk.portal.standing import (
    CriterionLine,
    criterion_line,
    criterion_windows,
    partner_standing,
    running_period,
    tier_names,
)
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.selectors import tier_current


@require_http_methods(["GET", "HEAD"])
def site_root(request: HttpRequest) -> HttpResponse:
    """Partner users go to the portal, channel managers to the programme, the support desk to
    its partner search; others sign in. The sign-in lands here (`LOGIN_REDIRECT_URL`)."""
    if not request.user.is_authenticated:
        return redirect_to_login("/")
    if user_is_channel_manager(user=request.user):
        return redirect("backoffice:dashboard")
    if user_is_vendor_staff(user=request.user):
        return redirect("backoffice:support")
    if membership_for_user(user=request.user) is not None:
        return redirect("portal:home")
    raise PermissionDenied("This login belongs to no partner and is not vendor staff.")


def _language() -> str:
    return (translation.get_language() or "de")[:2]


def _projection_lines(projection: Projection) -> list[CriterionLine]:
    compiled = projection.decision.compiled
    names = tier_names(compiled.tiers, language=_language())
    windows = criterion_windows(compiled.tiers, period=compiled.period, language=_language())
    return [
        criterion_line(reason, language=_language(), names=names, windows=windows)
        for reason in projection.decision.reasons
    ]


def _next_retiering(policy: TierPolicy, today: dt.date) -> dt.date:
    """The day the next re-tiering can take effect: the end of the running evaluation period.

    A draft is projected as of that day, over the period running now (as the partner's outlook
    and its coming tier under a published programme are), so the page tells one story."""
    return running_period(today=today, kind=policy.evaluation_period).end


@partner_page
def home(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    return render(request, "portal/home.html", _home_context(request, membership, None))


def _home_context(
    request: HttpRequest, membership: PartnerMembership, form: FeedbackForm | None
) -> dict[str, object]:
    partner = membership.partner
    today = timezone.localdate()
    context: dict[str, object] = {
        "partner": partner,
        "membership": membership,
        "standing": partner_standing(partner=partner, today=today, language=_language()),
        "counts": portal_home_counts(user=request.user, today=today),
        "panels": home_panels(user=request.user, partner=partner, today=today),
        "section": "home",
    }
    draft = policy_open_for_feedback()
    if draft is not None:
        try:
            projection = feedback_projection(
                policy=draft, partner=partner, as_of=_next_retiering(draft, today)
            )
        except LookupError:
            projection = None
        known = feedback_on_programme(policy=draft, partner=partner)
        given = known if known is not None and known.policy_id == draft.pk else None
        earlier = known if given is None else None
        context.update(
            earlier_feedback=earlier,
            draft=draft,
            projection=projection,
            projection_lines=_projection_lines(projection) if projection else [],
            feedback=given,
            feedback_form=form
            or FeedbackForm(
                initial={"stance": known.stance, "comment": known.comment} if known else None
            ),
        )
    return context


@partner_view
@require_POST
def feedback_submit(request: HttpRequest, membership: PartnerMembership) -> HttpResponse:
    """Store the partner's feedback on the draft open for comment (R3)."""
    draft = policy_open_for_feedback()
    if draft is None:
        messages.error(request, _("No programme draft is open for feedback at the moment."))
        return redirect("portal:home")
    form = FeedbackForm(request.POST)
    if not form.is_valid():
        context = _home_context(request, membership, form)
        return render(request, "portal/home.html", context, status=400)
    partner = membership.partner
    today = timezone.localdate()
    projection = feedback_projection(
        policy=draft, partner=partner, as_of=_next_retiering(draft, today)
    )
    current = tier_current(partner=partner, on=today)
    try:
        feedback_give(
            policy=draft,
            partner=partner,
            author=request.user,
            stance=form.cleaned_data["stance"],
            comment=form.cleaned_data["comment"],
            current_tier=current.tier_code if current else "",
            projected_tier=projection.tier_code,
        )
    except DomainError as error:
        messages.error(request, domain_error_message(error))
        return redirect("portal:home")
    messages.success(request, _("Thank you: your feedback has been passed on to the vendor."))
    return redirect("portal:home")
