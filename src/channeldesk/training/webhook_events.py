"""The webhook event of training (docs/webhook-events.md): `training.completion_expiring`,
emitted by the expiry notice sweep in its transaction, all of a run in one call; keyed by the
enrollment and its expiry, so a completion is announced once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from channeldesk.training.models import Enrollment
from channeldesk.webhooks.emit import EventDraft, webhook_events_emit
from channeldesk.webhooks.wanted import webhook_type_wanted

COMPLETION_EXPIRING = "training.completion_expiring"


def completions_expiring_emit(*, enrollments: Sequence[Enrollment]) -> int:
    """`training.completion_expiring` for completions (loaded with partner, participant and
    course) whose expiry notice is sent now."""
    if not enrollments or not webhook_type_wanted(COMPLETION_EXPIRING):
        return 0
    drafts = [
        EventDraft(
            type=COMPLETION_EXPIRING,
            key=f"{COMPLETION_EXPIRING}:{enrollment.pk}:{enrollment.valid_until}",
            partner_id=enrollment.partner_id,
            data=_expiring(enrollment, valid_until=enrollment.valid_until),
        )
        for enrollment in enrollments
        if enrollment.valid_until is not None
    ]
    return webhook_events_emit(drafts)


def _expiring(enrollment: Enrollment, *, valid_until: dt.date) -> dict[str, object]:
    partner, course = enrollment.partner, enrollment.course
    return {
        "partner": {
            "id": partner.pk,
            "partner_number": partner.partner_number,
            "name": partner.name,
        },
        "enrollment_id": enrollment.pk,
        "participant": {"id": enrollment.participant_id, "name": enrollment.participant.name},
        "course": {
            "id": course.pk,
            "code": course.code,
            "name_de": course.name_de,
            "name_en": course.name_en,
        },
        "session_date": enrollment.session_date.isoformat(),
        "valid_until": valid_until.isoformat(),
        "last_valid_day": (valid_until - dt.timedelta(days=1)).isoformat(),
    }
