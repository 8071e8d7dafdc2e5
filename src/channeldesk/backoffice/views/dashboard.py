"""The programme dashboard: partners per tier now vs. a draft, targets, movers, discount cost;
simulate and calibrate (run in the background, progress polled), open a draft for feedback,
publish."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from channeldesk.backoffice.access import manager_view
from channeldesk.backoffice.forms import PublishForm, RunForm
from channeldesk.backoffice.models import ProgrammeRun, RunKind
from channeldesk.backoffice.runs import run_is_lost, run_latest, run_start
from channeldesk.feedback.models import FeedbackStance
from channeldesk.feedback.selectors import feedback_summary, policy_open_for_feedback
from channeldesk.feedback.services import (
    FeedbackError,
    policy_feedback_close,
    policy_feedback_open,
    policy_publish_closing_feedback,
)
from channeldesk.tiers.models import PolicyStatus, TierPolicy
from channeldesk.tiers.selectors import policy_in_force
from channeldesk.tiers.services import TierError

STEP_LABELS = {
    "queued": gettext_lazy("waiting to start"),
    "measuring": gettext_lazy("measuring every partner's orders"),
    "costing": gettext_lazy("valuing the discount cost"),
    "calibrating": gettext_lazy("finding thresholds for the targets"),
    "done": gettext_lazy("done"),
    "failed": gettext_lazy("failed"),
}
MOVERS_SHOWN = 25


def _policy_choice(request: HttpRequest) -> TierPolicy | None:
    """The draft the page is about: the one asked for, else the one open for feedback, else
    the newest draft."""
    reference = request.GET.get("policy") or request.POST.get("policy")
    drafts = TierPolicy.objects.filter(status=PolicyStatus.DRAFT)
    if reference:
        code, _sep, version = reference.partition("@")
        if not version.isdigit():
            raise Http404("Unknown policy.")
        found = drafts.filter(code=code, version=int(version)).first()
        if found is None:
            raise Http404("No such draft policy.")
        return found
    return policy_open_for_feedback() or drafts.order_by("-created_at", "-id").first()


def _chart_data(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """What the chart script needs from a simulation document."""
    if not result or "tiers" not in result:
        return None
    tiers = list(reversed(result["tiers"]))  # entry tier first, best last
    return {
        "labels": [tier["code"] for tier in tiers],
        "current": [tier["current"] for tier in tiers],
        "projected": [tier["projected"] for tier in tiers],
        "targets": [
            [tier["target"]["min"] or 0, tier["target"]["max"] or tier["projected"]]
            if tier.get("target")
            else None
            for tier in tiers
        ],
        "series": {"current": _("now"), "projected": _("draft"), "target": _("target range")},
    }


def _dashboard_context(request: HttpRequest, policy: TierPolicy | None) -> dict[str, Any]:
    today = timezone.localdate()
    context: dict[str, Any] = {
        "in_force": policy_in_force(on=today),
        "drafts": list(
            TierPolicy.objects.filter(status=PolicyStatus.DRAFT).order_by("code", "-version")
        ),
        "policy": policy,
        "section": "dashboard",
        "step_labels": STEP_LABELS,
    }
    if policy is None:
        return context
    simulation = run_latest(policy=policy, kind=RunKind.SIMULATE)
    calibration = run_latest(policy=policy, kind=RunKind.CALIBRATE)
    tier_codes = tuple(policy.tiers.values_list("code", flat=True))
    result = simulation.result if simulation is not None else None
    context.update(
        simulation=simulation,
        calibration=calibration,
        simulation_result=result,
        movers=(result or {}).get("movers", [])[:MOVERS_SHOWN],
        chart=_chart_data(result),
        run_form=RunForm(tier_codes=tier_codes),
        publish_form=PublishForm(),
        feedback_counts=[
            (FeedbackStance(stance).label, count)
            for stance, count in feedback_summary(policy=policy).items()
        ],
    )
    return context


@manager_view
@require_http_methods(["GET", "HEAD"])
def dashboard(request: HttpRequest) -> HttpResponse:
    return render(
        request, "backoffice/dashboard.html", _dashboard_context(request, _policy_choice(request))
    )


@manager_view
@require_POST
def run_create(request: HttpRequest, kind: str) -> HttpResponse:
    """Start a simulation or calibration of the chosen draft; answer with its status panel."""
    if kind not in RunKind.values:
        raise Http404("Unknown run kind.")
    policy = _policy_choice(request)
    if policy is None:
        raise Http404("No draft policy.")
    form = RunForm(request.POST, tier_codes=tuple(policy.tiers.values_list("code", flat=True)))
    if not form.is_valid():
        context = {"form_errors": form.errors, "policy": policy}
        return render(request, "backoffice/_run_errors.html", context, status=400)
    run = run_start(
        kind=kind,
        policy=policy,
        as_of=form.cleaned_data["as_of"],
        targets=form.targets() if kind == RunKind.CALIBRATE else None,
        user=request.user,
    )
    if request.headers.get("HX-Request") != "true":
        return redirect(f"{reverse('backoffice:dashboard')}?policy={policy.reference}")
    return _run_panel(request, run)


def _run_panel(request: HttpRequest, run: ProgrammeRun) -> HttpResponse:
    context = {"run": run, "lost": run_is_lost(run=run), "step_labels": STEP_LABELS}
    response = render(request, "backoffice/_run_status.html", context)
    if run.is_finished:
        # The page reloads its figures once the run is done.
        response["HX-Trigger"] = "run-finished"
    return response


@manager_view
@require_http_methods(["GET", "HEAD"])
def run_status(request: HttpRequest, run_id: int) -> HttpResponse:
    return _run_panel(
        request,
        get_object_or_404(ProgrammeRun.objects.select_related("policy", "draft"), pk=run_id),
    )


@manager_view
@require_POST
def feedback_toggle(request: HttpRequest) -> HttpResponse:
    policy = _policy_choice(request)
    if policy is None:
        raise Http404("No draft policy.")
    try:
        if request.POST.get("open") == "1":
            policy_feedback_open(policy=policy)
            messages.success(
                request,
                _("%(policy)s is open for partner feedback.") % {"policy": policy.reference},
            )
        else:
            policy_feedback_close(policy=policy)
            messages.success(
                request,
                _("The feedback round on %(policy)s is closed.") % {"policy": policy.reference},
            )
    except FeedbackError as error:
        messages.error(request, str(error))
    return redirect(f"{reverse('backoffice:dashboard')}?policy={policy.reference}")


@manager_view
@require_POST
def policy_publish(request: HttpRequest) -> HttpResponse:
    policy = _policy_choice(request)
    if policy is None:
        raise Http404("No draft policy.")
    form = PublishForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the policy takes effect."))
        return redirect(f"{reverse('backoffice:dashboard')}?policy={policy.reference}")
    try:
        policy_publish_closing_feedback(
            policy=policy, effective_from=form.cleaned_data["effective_from"]
        )
    except TierError as error:
        messages.error(request, str(error))
        return redirect(f"{reverse('backoffice:dashboard')}?policy={policy.reference}")
    messages.success(
        request,
        _("%(policy)s is published and takes effect on %(date)s.")
        % {"policy": policy.reference, "date": form.cleaned_data["effective_from"]},
    )
    return redirect("backoffice:dashboard")
