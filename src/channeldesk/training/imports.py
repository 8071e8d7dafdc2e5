"""The `training` import: the training company's records of bookings, attendances and no-shows.

One row per participant and course session, keyed by the training company's `record_id`:

    record_id;partner_number;course_code;participant_name;participant_email;session_date;status
    NA-2026-0001;P100042;CD-GOLD-2D;Erika Muster;erika@alpha.example;12.03.2026;completed

Like the other imports (`channeldesk.core.importing`) the file is taken whole or not at all,
with every problem by line and column. The same record sent again changes nothing; a record sent
again with other values corrects it (a no-show reported after an attendance, a moved date).
Participants are matched within their partner by e-mail address and created when new.

After writing, the partners whose records changed are re-tiered as of today when the policy in
force asks for a training (`tiers.services.tiers_reevaluate`): a completion can lift a partner,
a no-show correction can drop it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any

from django.utils import timezone
from pydantic import BeforeValidator, Field

from channeldesk.core.importing import (
    WRITE_BATCH,
    CaseInsensitive,
    CsvDate,
    EmailAddress,
    Importer,
    ImportRow,
    NotBlank,
    ProblemLog,
    SourceRow,
    UpsertPlan,
    report_duplicates,
    select_in,
)
from channeldesk.partners.models import Partner
from channeldesk.training.models import Course, Enrollment, EnrollmentStatus, Participant
from channeldesk.training.validity import valid_until

# What the training company writes for an attendance.
_STATUS_ALIASES = {"attended": "completed", "passed": "completed", "no-show": "no_show"}


def _status(value: object) -> object:
    if isinstance(value, str):
        cleaned = value.strip().lower().replace(" ", "_")
        return _STATUS_ALIASES.get(cleaned, cleaned)
    return value


class EnrollmentRow(ImportRow):
    """One participant in one course session, as the training company reports it."""

    record_id: Annotated[str, Field(max_length=64), NotBlank]
    partner_number: Annotated[str, Field(max_length=32), NotBlank]
    course_code: Annotated[str, Field(max_length=32), NotBlank]
    participant_name: Annotated[str, Field(max_length=200), NotBlank]
    participant_email: EmailAddress
    session_date: CsvDate
    status: Annotated[EnrollmentStatus, CaseInsensitive, BeforeValidator(_status)]


# What a correction may change in a stored enrollment.
_UPDATE_FIELDS = [
    "partner",
    "participant",
    "course",
    "session_date",
    "status",
    "valid_until",
    "updated_at",
]


@dataclass(kw_only=True)
class EnrollmentsPlan(UpsertPlan[Enrollment]):
    """Participants to create, enrollments to create and to correct, partners to re-tier."""

    rows: Sequence[SourceRow[EnrollmentRow]]
    partner_ids: dict[str, int]
    courses: dict[str, Course]
    participants: dict[tuple[int, str], int]
    existing: dict[str, Enrollment]
    new_participants: dict[tuple[int, str], str] = field(default_factory=dict)
    touched_partners: set[int] = field(default_factory=set)
    retiered: int = 0

    def apply(self) -> None:
        """Participants first (their ids are needed), then the enrollments, then re-tiering."""
        # The tiers' services come with re-tiering; `channeldesk import --help` needs none.
        from channeldesk.training.services import training_changed  # noqa: PLC0415

        Participant.objects.bulk_create(
            [
                Participant(partner_id=partner_id, email=email, name=name)
                for (partner_id, email), name in self.new_participants.items()
            ],
            batch_size=WRITE_BATCH,
        )
        self.participants.update(_participant_ids(self.new_participants.keys()))
        for enrollment in (*self.to_create, *self.to_update):
            key = getattr(enrollment, "_participant_key")  # noqa: B009 - set by _plan_row
            enrollment.participant_id = self.participants[key]
        super().apply()
        self.retiered = training_changed(partner_ids=self.touched_partners)


def _participant_ids(keys: Any) -> dict[tuple[int, str], int]:
    keys = list(keys)
    if not keys:
        return {}
    partner_ids = {partner_id for partner_id, _email in keys}
    wanted = set(keys)
    return {
        (partner_id, email): pk
        for pk, partner_id, email in Participant.objects.filter(
            partner_id__in=partner_ids
        ).values_list("id", "partner_id", "email")
        if (partner_id, email) in wanted
    }


def enrollments_import_plan(
    *, rows: Sequence[SourceRow[EnrollmentRow]], problems: ProblemLog
) -> EnrollmentsPlan:
    """Check the rows against the register and plan the writes (one query per lookup)."""
    report_duplicates(
        rows=rows, key=lambda row: row.record_id, column="record_id", problems=problems
    )
    partner_numbers = {row.data.partner_number for row in rows}
    partner_ids = dict(
        select_in(
            queryset=Partner.objects.values_list("partner_number", "id"),
            field="partner_number",
            keys=partner_numbers,
        )
    )
    plan = EnrollmentsPlan(
        model=Enrollment,
        to_create=[],
        to_update=[],
        update_fields=_UPDATE_FIELDS,
        unchanged=0,
        rows=rows,
        partner_ids=partner_ids,
        courses={course.code: course for course in Course.objects.all()},
        participants=_participant_ids(
            (partner_ids[row.data.partner_number], row.data.participant_email.lower())
            for row in rows
            if row.data.partner_number in partner_ids
        ),
        existing={
            enrollment.record_id: enrollment
            for enrollment in select_in(
                queryset=Enrollment.objects.all(),
                field="record_id",
                keys={row.data.record_id for row in rows},
            )
        },
    )
    today = timezone.localdate()
    for row in rows:
        _plan_row(plan, row, problems, today)
    return plan


def _plan_row(
    plan: EnrollmentsPlan, row: SourceRow[EnrollmentRow], problems: ProblemLog, today: dt.date
) -> None:
    data = row.data
    partner_id = plan.partner_ids.get(data.partner_number)
    course = plan.courses.get(data.course_code)
    if partner_id is None:
        reason = f"unknown partner number {data.partner_number}"
        problems.add(row=row.line, column="partner_number", reason=reason)
    if course is None:
        known = ", ".join(sorted(plan.courses))
        reason = f"unknown course {data.course_code} (known: {known})"
        problems.add(row=row.line, column="course_code", reason=reason)
    if data.status == EnrollmentStatus.COMPLETED and data.session_date > today:
        reason = f"a completion cannot lie in the future ({data.session_date.isoformat()})"
        problems.add(row=row.line, column="session_date", reason=reason)
    if partner_id is None or course is None:
        return
    key = (partner_id, data.participant_email.lower())
    if key not in plan.participants:
        plan.new_participants.setdefault(key, data.participant_name)
    values = {
        "partner_id": partner_id,
        "course_id": course.pk,
        "session_date": data.session_date,
        "status": data.status.value,
        "valid_until": valid_until(
            session_date=data.session_date, status=data.status, course=course
        ),
    }
    _upsert(plan, data.record_id, key, values)


def _upsert(
    plan: EnrollmentsPlan, record_id: str, key: tuple[int, str], values: dict[str, Any]
) -> None:
    stored = plan.existing.get(record_id)
    if stored is None:
        enrollment = Enrollment(record_id=record_id, **values)
        enrollment._participant_key = key  # type: ignore[attr-defined]
        plan.to_create.append(enrollment)
        plan.touched_partners.add(values["partner_id"])
        return
    same_participant = plan.participants.get(key) == stored.participant_id
    changed = [name for name, value in values.items() if getattr(stored, name) != value]
    if not changed and same_participant:
        plan.unchanged += 1
        return
    plan.touched_partners.update({stored.partner_id, values["partner_id"]})
    for name, value in values.items():
        setattr(stored, name, value)
    stored.updated_at = timezone.now()
    stored._participant_key = key  # type: ignore[attr-defined]
    plan.to_update.append(stored)


TRAINING_IMPORTER = Importer(
    name="training", row_model=EnrollmentRow, plan=enrollments_import_plan, model=Enrollment
)
