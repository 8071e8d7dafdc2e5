"""The `training` criterion kind: at least N people of the partner hold a valid completion of
the required course on the evaluation date (R7).

Registered into the tier criteria registry from `TrainingConfig.ready()`; the tiers never import
this module. Parameters of a criterion: `course` (the course code to book), optionally
`grace_days` (default `TRAINING_GRACE_DAYS`); its threshold is the number of people (1 when
empty).

What counts, per partner, is the number of distinct participants with

- a completion of the required course, or of any course that qualifies for the criterion's
  tier, whose session date is on or before the evaluation date and that is still valid on it
  (`valid_until` is exclusive); or
- under the grace period, a booking of such a course in the `grace_days` from the evaluation
  date, when the partner holds the criterion's tier on that date (an existing Gold partner keeps
  Gold while the booked course is pending).

All training criteria of a policy are measured for all partners in one grouped query
(`TrainingBatch`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from channeldesk.core.database import transaction_settings
from channeldesk.tiers.criteria import CriterionKind, Figure, MeasureContext, SetMeasure
from channeldesk.tiers.models import TierAssignment
from channeldesk.training.models import Course, Enrollment, EnrollmentStatus

KIND_CODE = "training"


def grace_days_of(parameters: dict[str, Any]) -> int:
    """The criterion's own `grace_days`, else `settings.TRAINING_GRACE_DAYS`."""
    return int(parameters.get("grace_days", settings.TRAINING_GRACE_DAYS))


def qualifying_course_ids(*, course_code: str, tier_code: str) -> list[int]:
    """The required course and every course that qualifies for the tier (a small table, read
    whole: JSON containment is not portable to SQLite)."""
    return _qualifying(_courses(), course_code=course_code, tier_code=tier_code)


def _courses() -> list[tuple[int, str, list[str]]]:
    return list(Course.objects.values_list("id", "code", "qualifying_tiers"))


def _qualifying(
    courses: list[tuple[int, str, list[str]]], *, course_code: str, tier_code: str
) -> list[int]:
    return [
        course_id
        for course_id, code, tiers in courses
        if code == course_code or tier_code in (tiers or [])
    ]


def _valid_on(on: dt.date) -> Q:
    """A completion whose session was on or before `on` and that is still valid on it."""
    return Q(status=EnrollmentStatus.COMPLETED, session_date__lte=on, valid_until__gt=on)


def _booked_within(on: dt.date, grace_days: int) -> Q:
    """A booking of a session in the `grace_days` from `on`."""
    return Q(
        status=EnrollmentStatus.BOOKED,
        session_date__gte=on,
        session_date__lt=on + dt.timedelta(days=grace_days),
    )


def _counted(*, course_ids: list[int], tier_code: str, on: dt.date, grace_days: int) -> Q:
    """The records that count for one criterion (see the module docstring)."""
    counted = _valid_on(on)
    if grace_days > 0:
        # A correlated EXISTS, last in its AND: PostgreSQL looks up the holder only for the
        # few bookings inside the grace window, instead of hashing every holder of the tier.
        holds = TierAssignment.objects.filter(
            partner_id=OuterRef("partner_id"), valid_from__lte=on, tier__code=tier_code
        ).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        counted |= _booked_within(on, grace_days) & Q(Exists(holds))
    return Q(course_id__in=course_ids) & counted


def _candidates(*, course_ids: list[int], on: dt.date, grace_days: int) -> Q:
    """What any criterion of a batch may count (a cheap superset for the WHERE clause)."""
    candidate = _valid_on(on)
    if grace_days > 0:
        candidate |= _booked_within(on, grace_days)
    return Q(course_id__in=course_ids) & candidate


def training_people_measure(
    *,
    course_code: str,
    tier_code: str,
    on: dt.date,
    grace_days: int,
    partner_ids: Collection[int] | None = None,
) -> dict[int, Figure]:
    """Partner id → people counted for one criterion on `on` (see the module docstring)."""
    batch = TrainingBatch(on=on, courses=_courses())
    metric = batch.add(course_code=course_code, tier_code=tier_code, grace_days=grace_days)
    return batch.measure(metric, partner_ids)


class TrainingBatch:
    """All training criteria of one compiled policy, measured together in ONE grouped query:
    a `COUNT(DISTINCT participant) FILTER (…)` column per criterion. The first criterion asked
    runs the query; the others read its result (the tiers pass the same partner set to each)."""

    def __init__(self, *, on: dt.date, courses: list[tuple[int, str, list[str]]]) -> None:
        self.on = on
        self.courses = courses
        self.filters: dict[str, Q] = {}
        self.course_ids: set[int] = set()
        self.grace_days = 0
        self._partner_ids: Collection[int] | None = None
        self._result: dict[str, dict[int, Figure]] | None = None
        self._read: set[str] = set()

    def add(self, *, course_code: str, tier_code: str, grace_days: int) -> str:
        metric = f"training_{course_code}_{tier_code}_{grace_days}"
        course_ids = _qualifying(self.courses, course_code=course_code, tier_code=tier_code)
        self.filters[metric] = _counted(
            course_ids=course_ids, tier_code=tier_code, on=self.on, grace_days=grace_days
        )
        self.course_ids.update(course_ids)
        self.grace_days = max(self.grace_days, grace_days)
        self._result = None
        return metric

    def measure(self, metric: str, partner_ids: Collection[int] | None) -> dict[int, Figure]:
        """One criterion's figures; the query runs once per round of the policy's criteria (a
        later round, or another partner set, measures afresh)."""
        if self._result is None or partner_ids is not self._partner_ids or metric in self._read:
            self._partner_ids, self._result = partner_ids, self._query(partner_ids)
            self._read = set()
        self._read.add(metric)
        return self._result[metric]

    def _query(self, partner_ids: Collection[int] | None) -> dict[str, dict[int, Figure]]:
        metrics = list(self.filters)
        result: dict[str, dict[int, Figure]] = {metric: {} for metric in metrics}
        if not metrics:
            return result
        enrollments = Enrollment.objects.filter(
            _candidates(course_ids=sorted(self.course_ids), on=self.on, grace_days=self.grace_days)
        )
        if partner_ids is not None:
            enrollments = enrollments.filter(partner_id__in=list(partner_ids))
        columns = {
            f"people_{index}": Count("participant_id", distinct=True, filter=self.filters[metric])
            for index, metric in enumerate(metrics)
        }
        rows = (
            enrollments.values("partner_id")
            .annotate(**columns)
            .order_by()
            .values_list("partner_id", *columns)
        )
        with transaction.atomic():
            # The grace EXISTS makes PostgreSQL's estimate big enough to JIT-compile a query
            # that runs in tens of milliseconds; compiling it would take ten times that.
            transaction_settings(jit="off")
            fetched = list(rows)
        for partner_id, *people in fetched:
            for metric, count in zip(metrics, people, strict=True):
                if count:
                    result[metric][partner_id] = count
        return result


def _measure(parameters: dict[str, Any], context: MeasureContext) -> tuple[str, SetMeasure]:
    on = context.as_of or context.period.end
    batch = context.shared.get(KIND_CODE)
    if batch is None:
        batch = context.shared[KIND_CODE] = TrainingBatch(on=on, courses=_courses())
    metric = batch.add(
        course_code=str(parameters.get("course", "")),
        tier_code=context.tier_code,
        grace_days=grace_days_of(parameters),
    )

    def measure(partner_ids: Collection[int] | None) -> dict[int, Figure]:
        return batch.measure(metric, partner_ids)

    return metric, measure


def _details(parameters: dict[str, Any]) -> dict[str, Any]:
    return {"course": str(parameters.get("course", ""))}


def _describe(parameters: dict[str, Any], threshold: Decimal | None, language: str) -> str:
    from channeldesk.core.formatting import format_number  # noqa: PLC0415 - Babel: not at every start

    code = str(parameters.get("course", ""))
    course = Course.objects.filter(code=code).first()
    name = course.name_for(language) if course else code
    people = int(threshold) if threshold else 1
    count = format_number(people, language=language)
    if language.startswith("de"):
        persons = "Person" if people == 1 else "Personen"
        return f"die Schulung „{name}“ (Kurs {code}) für mindestens {count} {persons}"
    persons = "person" if people == 1 else "people"
    return f"the course “{name}” (course {code}) for at least {count} {persons}"


def _check(parameters: dict[str, Any]) -> list[str]:
    code = parameters.get("course")
    if not code:
        return ["a training criterion needs the course code in its parameters ('course')."]
    if not Course.objects.filter(code=code).exists():
        return [f"the training criterion names course '{code}', which does not exist."]
    return []


TRAINING_KIND = CriterionKind(
    code=KIND_CODE,
    label=_("people with a valid completion of the required course"),
    unit="people",
    is_numeric=True,
    measure=_measure,
    is_requirement=True,
    details=_details,
    describe=_describe,
    check=_check,
)
