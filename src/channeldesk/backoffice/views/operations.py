"""Renewals pipeline, the reminder and e-mail outbox with their actions, and feedback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from channeldesk.backoffice.access import manager_view
from channeldesk.backoffice.forms import ComplianceListForm, DismissForm, OutboxSearchForm
from channeldesk.backoffice.selectors import (
    REMINDER_TABS,
    ComplianceFilters,
    compliance_list,
    compliance_list_rows,
    outbox_found,
    reminders_found,
    renewals_by_month,
    renewals_by_partner,
)
from channeldesk.contracts.models import CustomerSector, Reminder, ReminderStatus
from channeldesk.contracts.reminders.selectors import reminder_counts
from channeldesk.contracts.reminders.services import DISMISSABLE, RELEASABLE, REMINDER_REVIEW
from channeldesk.core.formatting import format_date
from channeldesk.core.periods import Period
from channeldesk.feedback.models import FeedbackStance
from channeldesk.feedback.selectors import feedback_list, feedback_summary
from channeldesk.licensing.selectors import compliance_report
from channeldesk.notifications.models import (
    DISMISSABLE_STATUSES,
    RELEASABLE_STATUSES,
    OutboxMessage,
    OutboxStatus,
)
from channeldesk.notifications.review import Reviewable
from channeldesk.notifications.selectors import outbox_counts
from channeldesk.notifications.services import OUTBOX_REVIEW
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.selectors import policy_in_force
from channeldesk.training.models import Course
from channeldesk.training.selectors import partners_blocked_by_training

PAGE_SIZE = 50
PIPELINE_PARTNER_DAYS = 90


@manager_view
@require_http_methods(["GET", "HEAD"])
def renewals(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    period = Period(start=today, end=today + dt.timedelta(days=PIPELINE_PARTNER_DAYS))
    months = renewals_by_month(user=request.user, today=today)
    context = {
        "months": months,
        "partners": renewals_by_partner(user=request.user, period=period),
        "period": period,
        "chart": {
            "labels": [month.month.isoformat()[:7] for month in months],
            "contracts": [month.contracts for month in months],
            "label": _("contracts ending"),
        },
        "section": "renewals",
    }
    return render(request, "backoffice/renewals.html", context)


OUTBOX_TABS = {
    "review": (OutboxStatus.REVIEW,),
    "failed": (OutboxStatus.FAILED,),
    "planned": (OutboxStatus.PENDING, OutboxStatus.RETRY, OutboxStatus.CLAIMED),
    "sent": (OutboxStatus.SENT,),
    "dismissed": (OutboxStatus.DISMISSED,),
}
# The review tab carries the state's own name ("Prüfung"): a tab name of its own was left
# untranslated and put the English word into the German page.
TAB_NAMES = {
    "review": OutboxStatus.REVIEW.label,
    "failed": gettext_lazy("failed"),
    "planned": gettext_lazy("planned"),
    "sent": gettext_lazy("sent"),
    "dismissed": gettext_lazy("dismissed"),
}


def _state_counts(
    counts: dict[str, int], choices: type[OutboxStatus] | type[ReminderStatus]
) -> list[tuple[str, int]]:
    """Counts per state by the state's name, in the choices' order."""
    return [(str(label), counts.get(value, 0)) for value, label in choices.choices]


def _tabs(emails: dict[str, int], reminders: dict[str, int]) -> list[tuple[str, str, int]]:
    """Each tab with its name and the number of e-mails and reminders in its states."""
    return [
        (
            name,
            str(TAB_NAMES[name]),
            sum(emails.get(status, 0) for status in OUTBOX_TABS[name])
            + sum(reminders.get(status, 0) for status in REMINDER_TABS[name]),
        )
        for name in OUTBOX_TABS
    ]


@manager_view
@require_http_methods(["GET", "HEAD"])
def outbox(request: HttpRequest) -> HttpResponse:
    """Reminders and e-mails by state, searched and paged in SQL (a fixed number of queries
    whatever the outbox's size); staff release or dismiss the doubtful ones."""
    tab = request.GET.get("tab", "review")
    if tab not in OUTBOX_TABS:
        raise Http404("Unknown tab.")
    form = OutboxSearchForm(request.GET or None)
    search = form.cleaned_data["q"].strip() if form.is_valid() else ""
    message_counts = outbox_counts()
    reminder_counts_now = reminder_counts()
    emails = outbox_found(statuses=OUTBOX_TABS[tab], search=search)
    reminders = reminders_found(
        statuses=REMINDER_TABS[tab], search=search, newest_first=tab in ("sent", "dismissed")
    )
    context = {
        "tab": tab,
        "tabs": _tabs(message_counts, reminder_counts_now),
        "form": form,
        "search": search,
        "page": Paginator(emails, PAGE_SIZE).get_page(request.GET.get("page")),
        "reminder_page": Paginator(reminders, PAGE_SIZE).get_page(request.GET.get("reminder_page")),
        "message_counts": _state_counts(message_counts, OutboxStatus),
        "reminder_counts": _state_counts(reminder_counts_now, ReminderStatus),
        "dismiss_form": DismissForm(),
        "message_review": _review_context(
            "backoffice:message-action", "m", RELEASABLE_STATUSES, DISMISSABLE_STATUSES
        ),
        "reminder_review": _review_context(
            "backoffice:reminder-action", "r", RELEASABLE, DISMISSABLE
        ),
        "section": "outbox",
    }
    return render(request, "backoffice/outbox.html", context)


def _review_context(
    url: str, prefix: str, releasable: Sequence[str], dismissable: Sequence[str]
) -> dict[str, object]:
    """What `backoffice/_review_actions.html` needs to offer a kind's review actions."""
    return {
        "url": url,
        "prefix": prefix,
        "releasable": [str(status) for status in releasable],
        "dismissable": [str(status) for status in dismissable],
    }


def _back(request: HttpRequest) -> HttpResponse:
    return redirect(f"{reverse('backoffice:outbox')}?tab={request.POST.get('tab', 'review')}")


@dataclass(frozen=True)
class ReviewedRows[T: Model]:
    """A delivery kind the outbox page reviews: its rows, how they are decided (`Reviewable`),
    and the error shown for a dismissal without a reason."""

    model: type[T]
    reviewable: Reviewable[T]
    reason_missing: Promise


OUTBOX_MESSAGES = ReviewedRows(
    OutboxMessage, OUTBOX_REVIEW, gettext_lazy("Say why the message is dismissed.")
)
REMINDERS = ReviewedRows(
    Reminder, REMINDER_REVIEW, gettext_lazy("Say why the reminder is dismissed.")
)


def review_action[T: Model](
    request: HttpRequest, *, rows: ReviewedRows[T], pk: int, action: str
) -> HttpResponse:
    """Release or dismiss one row of a delivery kind and go back to the tab; a refusal or a
    dismissal without a reason is shown as an error, nothing changes."""
    item = get_object_or_404(rows.model, pk=pk)
    if action not in ("release", "dismiss"):
        raise Http404("Unknown action.")
    text = "back office"
    if action == "dismiss":
        form = DismissForm(request.POST)
        if not form.is_valid():
            messages.error(request, str(rows.reason_missing))
            return _back(request)
        text = form.cleaned_data["reason"]
    try:
        rows.reviewable.decide(item, action=action, actor=request.user, text=text)
    except rows.reviewable.refusals as error:
        messages.error(request, str(error))
        return _back(request)
    messages.success(request, _("Done: %(key)s.") % {"key": rows.reviewable.name(item)})
    return _back(request)


@manager_view
@require_POST
def message_action(request: HttpRequest, message_id: int, action: str) -> HttpResponse:
    return review_action(request, rows=OUTBOX_MESSAGES, pk=message_id, action=action)


@manager_view
@require_POST
def reminder_action(request: HttpRequest, reminder_id: int, action: str) -> HttpResponse:
    return review_action(request, rows=REMINDERS, pk=reminder_id, action=action)


@manager_view
@require_http_methods(["GET", "HEAD"])
def feedback(request: HttpRequest) -> HttpResponse:
    policies = list(
        TierPolicy.objects.filter(feedback__isnull=False).distinct().order_by("-created_at")
    )
    reference = request.GET.get("policy", "")
    policy = next((p for p in policies if p.reference == reference), None)
    if policy is None and policies:
        policy = policies[0]
    stance = request.GET.get("stance", "")
    if stance and stance not in FeedbackStance.values:
        stance = ""
    entries = list(feedback_list(policy=policy, stance=stance or None)[:500]) if policy else []
    context = {
        "policies": policies,
        "policy": policy,
        "stance": stance,
        "stances": FeedbackStance.choices,
        "summary": feedback_summary(policy=policy) if policy else {},
        "entries": entries,
        "section": "feedback",
    }
    return render(request, "backoffice/feedback.html", context)


@manager_view
@require_http_methods(["GET", "HEAD"])
def training(request: HttpRequest) -> HttpResponse:
    """Partners held out of a better tier only by a missing course, per course (R7), under the
    policy in force or a chosen draft. It evaluates every partner, so it runs on request."""
    policies = list(TierPolicy.objects.order_by("-created_at"))
    reference = request.GET.get("policy", "")
    today = timezone.localdate()
    policy = next((p for p in policies if p.reference == reference), None)
    if policy is None:
        policy = policy_in_force(on=today) or (policies[0] if policies else None)
    blocked = partners_blocked_by_training(policy=policy, as_of=today) if policy else {}
    courses = {course.code: course for course in Course.objects.filter(code__in=blocked)}
    context = {
        "policies": policies,
        "policy": policy,
        "groups": [
            (courses.get(code), code, sorted(entries, key=lambda entry: entry.partner_number))
            for code, entries in sorted(blocked.items())
        ],
        "section": "training",
    }
    return render(request, "backoffice/training.html", context)


def compliance_filters(request: HttpRequest) -> tuple[ComplianceListForm, ComplianceFilters]:
    """The list's form and the filters it validated (unfiltered when the input is invalid)."""
    form = ComplianceListForm(request.GET or None)
    if not form.is_valid():
        return form, ComplianceFilters()
    data = form.cleaned_data
    return form, ComplianceFilters(
        sector=data["sector"],
        partner_number=(data["partner"] or "").strip(),
        state=data["state"],
    )


def _sector_name(code: str) -> str:
    return str(CustomerSector(code).label) if code in CustomerSector.values else code


@manager_view
@require_http_methods(["GET", "HEAD"])
def compliance(request: HttpRequest) -> HttpResponse:
    """The under-licensing report of the latest scan (`licensing.selectors`), with charts, and
    its contracts filtered by sector, partner and state, paged in SQL (a fixed number of
    queries whatever the number of contracts)."""
    report = compliance_report()
    form, filters = compliance_filters(request)
    page = None
    rows = []
    if report.day is not None:
        page = Paginator(compliance_list(day=report.day, filters=filters), PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        rows = compliance_list_rows(page.object_list)
    sectors = [(_sector_name(group.key), group) for group in report.by_sector]
    language = translation.get_language() or "en"
    context = {
        "report": report,
        "form": form,
        "page": page,
        "rows": rows,
        "sectors": sectors,
        "chart": {
            "labels": [name for name, _group in sectors],
            "shares": [str(group.share_percent) for group in report.by_sector],
            "label": _("under-licensed customers, %"),
            "trend_labels": [
                format_date(dt.date.fromisoformat(point["day"]), language=language)
                for point in report.trend
            ],
            "trend": [point["share_percent"] for point in report.trend],
        },
        "section": "compliance",
    }
    return render(request, "backoffice/compliance.html", context)
