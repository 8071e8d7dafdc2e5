"""Writes of the training domain: corrections, re-tiering after a training change, and the
daily sweep that tells partners about expiring completions (R7).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from channeldesk.core.errors import DomainError
from channeldesk.core.formatting import format_date
from channeldesk.notifications.services import MessageDraft, outbox_enqueue_many
from channeldesk.tiers.services import tiers_reevaluate
from channeldesk.training.criteria import KIND_CODE
from channeldesk.training.models import Enrollment, EnrollmentStatus
from channeldesk.training.validity import valid_until
from channeldesk.training.webhook_events import completions_expiring_emit

# Partners whose completion expired or whose booked session passed within this many days are
# re-evaluated by the daily sweep, so a missed or late run still catches up.
CATCH_UP_DAYS = 7


class TrainingError(DomainError):
    """A training operation that cannot be done as asked; the message says why."""

    code = "training_refused"


def training_changed(*, partner_ids: Collection[int], on: dt.date | None = None) -> int:
    """Re-tier partners whose training changed, as of `on` (today), when the policy in force
    asks for a training; returns how many assignments were written."""
    result = tiers_reevaluate(
        partner_ids=list(partner_ids), on=on or timezone.localdate(), kind=KIND_CODE
    )
    return 0 if result is None else result.created + result.corrected


@transaction.atomic
def enrollment_correct(*, record_id: str, status: str, on: dt.date | None = None) -> Enrollment:
    """Correct one record by hand (a no-show the training company reported by phone, say) and
    re-tier its partner. Setting the status it already has changes nothing."""
    if status not in EnrollmentStatus.values:
        raise TrainingError(f"'{status}' is not a status ({', '.join(EnrollmentStatus.values)}).")
    enrollment = (
        Enrollment.objects.select_for_update()
        .select_related("course")
        .filter(record_id=record_id)
        .first()
    )
    if enrollment is None:
        raise TrainingError(f"There is no training record '{record_id}'.")
    if enrollment.status == status:
        return enrollment
    today = on or timezone.localdate()
    if status == EnrollmentStatus.COMPLETED and enrollment.session_date > today:
        raise TrainingError("A session in the future cannot be completed yet.")
    enrollment.status = status
    enrollment.valid_until = valid_until(
        session_date=enrollment.session_date, status=status, course=enrollment.course
    )
    enrollment.save(update_fields=["status", "valid_until", "updated_at"])
    training_changed(partner_ids=[enrollment.partner_id], on=today)
    return enrollment


@dataclass(frozen=True)
class TrainingSweepResult:
    expiry_notices: int
    without_email: int
    retiered: int


def training_sweep(*, today: dt.date) -> TrainingSweepResult:
    """The daily training job; any number of runs on a day change nothing more.

    1. Completions expiring within `TRAINING_EXPIRY_NOTICE_DAYS` that were not renewed (no later
       completion of the same course by the same person) and not yet announced: one e-mail per
       completion to the partner, through the outbox under `training-expiry:<id>`, and the
       completion marked, in one transaction.
    2. Partners whose completion expired, or whose booked session passed, in the last
       `CATCH_UP_DAYS` days are re-tiered (a no-op when nothing changes).
    """
    notices, without_email = _expiry_notices_send(today=today)
    since = today - dt.timedelta(days=CATCH_UP_DAYS)
    changed = (
        Enrollment.objects.filter(
            Q(status=EnrollmentStatus.COMPLETED, valid_until__gt=since, valid_until__lte=today)
            | Q(status=EnrollmentStatus.BOOKED, session_date__gte=since, session_date__lt=today)
        )
        .values_list("partner_id", flat=True)
        .distinct()
    )
    retiered = training_changed(partner_ids=set(changed), on=today)
    return TrainingSweepResult(
        expiry_notices=notices, without_email=without_email, retiered=retiered
    )


def expiring_completions(*, today: dt.date) -> list[Enrollment]:
    """Completions expiring within the notice days, not renewed, not yet announced."""
    days = settings.TRAINING_EXPIRY_NOTICE_DAYS
    renewed = Enrollment.objects.filter(
        participant_id=OuterRef("participant_id"),
        course_id=OuterRef("course_id"),
        status=EnrollmentStatus.COMPLETED,
        valid_until__gt=OuterRef("valid_until"),
    )
    return list(
        Enrollment.objects.filter(
            status=EnrollmentStatus.COMPLETED,
            valid_until__gt=today,
            valid_until__lte=today + dt.timedelta(days=days),
            expiry_notified_on__isnull=True,
        )
        .exclude(Exists(renewed))
        .select_related("partner", "participant", "course")
        .order_by("id")
    )


@transaction.atomic
def _expiry_notices_send(*, today: dt.date) -> tuple[int, int]:
    expiring = expiring_completions(today=today)
    drafts = [_expiry_draft(enrollment) for enrollment in expiring if enrollment.partner.email]
    outbox_enqueue_many(drafts=drafts)
    Enrollment.objects.filter(id__in=[enrollment.id for enrollment in expiring]).update(
        expiry_notified_on=today
    )
    completions_expiring_emit(enrollments=expiring)
    return len(drafts), len(expiring) - len(drafts)


def _expiry_draft(enrollment: Enrollment) -> MessageDraft:
    partner = enrollment.partner
    language = "de" if (partner.language or "de").startswith("de") else "en"
    assert enrollment.valid_until is not None  # only completions are announced
    context = {
        "partner_name": partner.name,
        "participant_name": enrollment.participant.name,
        "course_name": enrollment.course.name_for(language),
        "course_code": enrollment.course.code,
        "session_date": format_date(enrollment.session_date, language=language),
        "valid_until": format_date(enrollment.valid_until, language=language),
        "last_valid_day": format_date(
            enrollment.valid_until - dt.timedelta(days=1), language=language
        ),
        "provider": enrollment.course.provider,
    }
    with translation.override(language):
        subject = " ".join(render_to_string("training/expiry_subject.txt", context).split())
        text = render_to_string("training/expiry_body.txt", context)
    return MessageDraft(
        key=f"training-expiry:{enrollment.pk}",
        to=[partner.email],
        subject=subject,
        text=text,
        language=language,
        category="training_expiry",
    )
