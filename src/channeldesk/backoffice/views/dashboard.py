"""The programme dashboard: partners per tier now vs. a draft, targets, movers, discount cost;
simulate and calibrate (run in the background, progress polled), open a draft for feedback,
publish."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from channeldesk.backoffice.access import manager_view, staff_view
from channeldesk.backoffice.forms import ApplyForm, PublishConfirmForm, PublishForm, RunForm
from channeldesk.backoffice.models import ProgrammeRun, RunKind
from channeldesk.backoffice.runs import run_is_lost, run_latest, run_start
from channeldesk.backoffice.selectors import partner_names, tier_names_for
from channeldesk.backoffice.views.movers import MoverRow, mover_rows
from channeldesk.core.admin import action_refusals
from channeldesk.core.errors import DomainError, domain_error_message
from channeldesk.core.formatting import format_date, format_date_range
from channeldesk.feedback.models import FeedbackStance
from channeldesk.feedback.selectors import feedback_summary, policy_open_for_feedback
from channeldesk.feedback.services import (
    policy_feedback_close,
    policy_feedback_open,
    policy_publish_closing_feedback,
)
from channeldesk.partners.selectors import user_is_channel_manager
from channeldesk.tiers.models import PolicyStatus, TierPolicy
from channeldesk.tiers.selectors import evaluation_period, policy_in_force, tier_notices_due_count
from channeldesk.tiers.services import TierError, tiers_apply_check

STEP_LABELS = {
    "queued": gettext_lazy("waiting to start"),
    "measuring": gettext_lazy("measuring every partner's orders"),
    "costing": gettext_lazy("valuing the discount cost"),
    "calibrating": gettext_lazy("finding thresholds for the targets"),
    "recording": gettext_lazy("recording the new tiers"),
    "sending": gettext_lazy("sending the tier notices"),
    "done": gettext_lazy("done"),
    "failed": gettext_lazy("failed"),
}
MOVERS_SHOWN = 25


def _policy_choice(request: HttpRequest) -> TierPolicy | None:
    """The policy the page is about: the one asked for (a draft or a published one), else the
    draft open for feedback, else the newest draft, else the newest published policy."""
    reference = request.GET.get("policy") or request.POST.get("policy")
    if reference:
        return _policy_named(reference)
    return (
        policy_open_for_feedback()
        or TierPolicy.objects.filter(status=PolicyStatus.DRAFT)
        .order_by("-created_at", "-id")
        .first()
        or TierPolicy.objects.filter(status=PolicyStatus.PUBLISHED)
        .order_by("-effective_from", "-version")
        .first()
    )


def _policy_named(reference: str) -> TierPolicy:
    code, _sep, version = reference.partition("@")
    if not version.isdigit():
        raise Http404("Unknown policy.")
    found = TierPolicy.objects.filter(code=code, version=int(version)).first()
    if found is None:
        raise Http404("No such policy.")
    return found


def _draft_choice(request: HttpRequest) -> TierPolicy:
    """The draft a draft-only action (a run, the feedback round, publishing) is about."""
    policy = _policy_choice(request)
    if policy is None or policy.status != PolicyStatus.DRAFT:
        raise Http404("No such draft policy.")
    return policy


def _published_choice(request: HttpRequest) -> TierPolicy:
    """The published policy an application or a notice run is about."""
    policy = _policy_choice(request)
    if policy is None or policy.status != PolicyStatus.PUBLISHED:
        raise Http404("No such published policy.")
    return policy


def _language() -> str:
    return (translation.get_language() or "de")[:2]


def _in_words(day: dt.date) -> str:
    return format_date(day, language=_language())


def _range_in_words(start: dt.date, last_day: dt.date) -> str:
    """`1. Juli – 31. Dezember 2026` / `1 July – 31 December 2026`."""
    return format_date_range(start, last_day, language=_language())


def _named(policy: TierPolicy) -> str:
    """A policy by its name in the reader's language and its version, never `code@version`."""
    return policy.title_for(_language())


def _dashboard_url(policy: TierPolicy) -> str:
    return f"{reverse('backoffice:dashboard')}?policy={policy.reference}"


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


def _dashboard_context(
    request: HttpRequest, policy: TierPolicy | None, run_form: RunForm | None = None
) -> dict[str, Any]:
    today = timezone.localdate()
    context: dict[str, Any] = {
        "in_force": policy_in_force(on=today),
        "upcoming": list(
            TierPolicy.objects.filter(
                status=PolicyStatus.PUBLISHED, effective_from__gt=today
            ).order_by("effective_from", "version")
        ),
        "drafts": list(
            TierPolicy.objects.filter(status=PolicyStatus.DRAFT).order_by("code", "-version")
        ),
        "policy": policy,
        "section": "dashboard",
        "step_labels": STEP_LABELS,
    }
    if policy is None:
        return context
    if policy.status == PolicyStatus.PUBLISHED:
        context.update(_published_context(policy, today))
        return context
    simulation = run_latest(policy=policy, kind=RunKind.SIMULATE)
    calibration = run_latest(policy=policy, kind=RunKind.CALIBRATE)
    tier_codes = tuple(policy.tiers.values_list("code", flat=True))
    result = simulation.result if simulation is not None else None
    context.update(
        simulation=simulation,
        calibration=calibration,
        simulation_result=result,
        simulation_period=_period_in_words(result),
        movers=_first_movers(policy, (result or {}).get("movers", [])[:MOVERS_SHOWN]),
        chart=_chart_data(result),
        run_form=run_form or RunForm(tier_codes=tier_codes),
        publish_form=PublishForm(),
        feedback_counts=[
            (FeedbackStance(stance).label, count)
            for stance, count in feedback_summary(policy=policy).items()
        ],
    )
    return context


def _first_movers(policy: TierPolicy, movers: list[dict[str, Any]]) -> list[MoverRow]:
    """The first movers by name: partner, tiers and direction in the reader's language."""
    if not movers:
        return []
    numbers = [mover["partner_number"] for mover in movers]
    return list(
        mover_rows(
            movers,
            names=partner_names(numbers=numbers),
            tier_names=tier_names_for(policies=[policy]),
            german=(translation.get_language() or "").startswith("de"),
        )
    )


def _period_in_words(result: dict[str, Any] | None) -> dict[str, Any] | None:
    """The evaluation period a simulation measured, in words, and whether it was unfinished."""
    period = (result or {}).get("evaluation_period")
    if not isinstance(period, dict):
        return None
    return {
        "dates": _range_in_words(
            dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"])
        ),
        "partial": bool(period.get("partial")),
    }


def _published_context(policy: TierPolicy, today: dt.date) -> dict[str, Any]:
    """A published policy: its effective date, whether it can be applied yet, its runs."""
    assert policy.effective_from is not None
    try:
        tiers_apply_check(policy=policy, today=today)
        apply_refusal = ""
    except TierError as error:
        apply_refusal = _apply_refusal(policy, error)
    return {
        "apply_refusal": apply_refusal,
        "apply_form": ApplyForm(initial={"as_of": policy.effective_from}),
        "application": run_latest(policy=policy, kind=RunKind.APPLY),
        "notice_run": run_latest(policy=policy, kind=RunKind.NOTICES),
        "notices_due": tier_notices_due_count(today=today),
        "feedback_counts": [
            (FeedbackStance(stance).label, count)
            for stance, count in feedback_summary(policy=policy).items()
        ],
    }


def _apply_refusal(policy: TierPolicy, error: TierError, as_of: dt.date | None = None) -> str:
    """Why the policy cannot be applied, in the reader's language (dates in words)."""
    if error.code == "evaluation_period_not_ended" and error.available_from is not None:
        period = evaluation_period(
            policy=policy, as_of=as_of or policy.effective_from or timezone.localdate()
        )
        return _(
            "%(policy)s cannot be applied yet: it is decided on the evaluation period "
            "%(period)s, which has not ended. It can be applied from %(date)s; the daily run "
            "applies it on its effective date by itself."
        ) % {
            "policy": _named(policy),
            "period": _range_in_words(period.start, period.last_day),
            "date": _in_words(error.available_from),
        }
    if error.code == "before_effective_date" and policy.effective_from is not None:
        return _("%(policy)s takes effect on %(date)s; it cannot be applied before.") % {
            "policy": _named(policy),
            "date": _in_words(policy.effective_from),
        }
    return str(error)


@staff_view
@require_http_methods(["GET", "HEAD"])
def dashboard(request: HttpRequest) -> HttpResponse:
    """The programme for channel managers; the support desk lands on its own page."""
    if not user_is_channel_manager(user=request.user):
        return redirect("backoffice:support")
    return render(
        request, "backoffice/dashboard.html", _dashboard_context(request, _policy_choice(request))
    )


@manager_view
@require_POST
def run_create(request: HttpRequest, kind: str) -> HttpResponse:
    """Start a run; answer with its status panel (htmx) or the dashboard.

    A simulation or calibration is of a draft; an application or a notice run is of a published
    policy. A refused form or application shows why, in the panel (htmx answers 200, since htmx
    swaps no error answer into the page) or on the dashboard (400)."""
    if kind not in RunKind.values:
        raise Http404("Unknown run kind.")
    if kind in (RunKind.APPLY, RunKind.NOTICES):
        return _published_run_create(request, kind)
    policy = _draft_choice(request)
    form = RunForm(request.POST, tier_codes=tuple(policy.tiers.values_list("code", flat=True)))
    if not form.is_valid():
        return _refused(request, policy, form=form, run_form=form)
    run = run_start(
        kind=kind,
        policy=policy,
        as_of=form.cleaned_data["as_of"],
        targets=form.targets() if kind == RunKind.CALIBRATE else None,
        actor=request.user,
    )
    if request.headers.get("HX-Request") != "true":
        return redirect(_dashboard_url(policy))
    return _run_panel(request, run)


def _published_run_create(request: HttpRequest, kind: str) -> HttpResponse:
    policy = _published_choice(request)
    if kind == RunKind.NOTICES:
        as_of = timezone.localdate()
    else:
        form = ApplyForm(request.POST)
        if not form.is_valid():
            return _refused(request, policy, form=form)
        try:
            as_of = tiers_apply_check(policy=policy, as_of=form.cleaned_data["as_of"])
        except TierError as error:
            return _refused(
                request, policy, refusal=_apply_refusal(policy, error, form.cleaned_data["as_of"])
            )
    run = run_start(kind=kind, policy=policy, as_of=as_of, actor=request.user)
    if request.headers.get("HX-Request") != "true":
        return redirect(_dashboard_url(policy))
    return _run_panel(request, run)


def _errors_in_words(form: forms.Form) -> list[tuple[str, list[str]]]:
    """Each field's errors under its label (never the field's code), the form's own unlabelled."""
    return [
        (str(form[name].label) if name in form.fields else "", [str(error) for error in errors])
        for name, errors in form.errors.items()
    ]


def _refused(
    request: HttpRequest,
    policy: TierPolicy,
    *,
    form: forms.Form | None = None,
    refusal: str = "",
    run_form: RunForm | None = None,
) -> HttpResponse:
    """A refused run: the reasons in the run panel (htmx), else on the dashboard (400)."""
    form_errors = _errors_in_words(form) if form is not None else []
    context = {"form_errors": form_errors, "refusal": refusal, "policy": policy}
    if request.headers.get("HX-Request") == "true":
        return render(request, "backoffice/_run_errors.html", context)
    page = _dashboard_context(request, policy, run_form=run_form)
    page.update(refused=context)
    return render(request, "backoffice/dashboard.html", page, status=400)


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
    policy = _draft_choice(request)
    with action_refusals(request):
        if request.POST.get("open") == "1":
            policy_feedback_open(policy=policy)
            messages.success(
                request,
                _("%(policy)s is open for partner feedback.") % {"policy": _named(policy)},
            )
        else:
            policy_feedback_close(policy=policy)
            messages.success(
                request,
                _("The feedback round on %(policy)s is closed.") % {"policy": _named(policy)},
            )
    return redirect(_dashboard_url(policy))


@manager_view
@require_http_methods(["GET", "HEAD", "POST"])
def publish_confirm(request: HttpRequest) -> HttpResponse:
    """The step before publishing: what is published, from when, and what it closes."""
    policy = _draft_choice(request)
    form = PublishForm(request.GET if request.method != "POST" else request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the date the policy takes effect."))
        return redirect(_dashboard_url(policy))
    confirm = PublishConfirmForm(initial={"effective_from": form.cleaned_data["effective_from"]})
    return _confirm_page(request, policy, form.cleaned_data["effective_from"], confirm)


def _confirm_page(
    request: HttpRequest,
    policy: TierPolicy,
    effective_from: dt.date,
    form: PublishConfirmForm,
    status: int = 200,
) -> HttpResponse:
    context = {
        "policy": policy,
        "effective_from": effective_from,
        "effective_in_words": _in_words(effective_from),
        "form": form,
        "feedback_count": sum(feedback_summary(policy=policy).values()),
        "section": "dashboard",
    }
    return render(request, "backoffice/publish_confirm.html", context, status=status)


@manager_view
@require_POST
def policy_publish(request: HttpRequest) -> HttpResponse:
    """Publish the draft once the channel manager confirmed it (the confirmation page)."""
    policy = _draft_choice(request)
    form = PublishConfirmForm(request.POST)
    if not form.is_valid():
        effective_from = form.cleaned_data.get("effective_from")
        if effective_from is None:
            messages.error(request, _("Give the date the policy takes effect."))
            return redirect(_dashboard_url(policy))
        return _confirm_page(request, policy, effective_from, form, status=400)
    effective_from = form.cleaned_data["effective_from"]
    try:
        published = policy_publish_closing_feedback(policy=policy, effective_from=effective_from)
    except DomainError as error:
        messages.error(request, domain_error_message(error))
        return redirect(_dashboard_url(policy))
    # Applying waits for the evaluation period to end (tiers_apply_check): the daily run does it.
    messages.success(
        request,
        _(
            "%(policy)s is published and takes effect on %(date)s. The daily run applies it on "
            "that day, on the evaluation period that has ended by then."
        )
        % {"policy": _named(published), "date": _in_words(effective_from)},
    )
    return redirect(_dashboard_url(published))
