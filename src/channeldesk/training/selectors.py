"""Reads of the training domain, for the portal, the back office and the API (R7).

- `partner_training(partner=, on=)`: the partner's people, their records and expiry.
- `training_requirements(partner=, on=, policy=)`: what each tier of a policy asks of the
  partner in training, and whether it holds — the portal shows it for the policy in force and
  for the next one.
- `partners_blocked_by_training(policy=, as_of=)`: per course, the partners whose performance
  qualifies for a better tier but who lack the training (the back office's list).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from channeldesk.partners.models import Partner
from channeldesk.tiers.evaluation import tiers_evaluate
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.notices import held_back_by
from channeldesk.training.criteria import KIND_CODE
from channeldesk.training.models import Course, Enrollment, EnrollmentStatus


@dataclass(frozen=True)
class CompletionRow:
    record_id: str
    participant_name: str
    participant_email: str
    course_code: str
    course_name_de: str
    course_name_en: str
    session_date: dt.date
    status: str
    valid_until: dt.date | None
    is_valid: bool


def partner_training(*, partner: Partner, on: dt.date) -> list[CompletionRow]:
    """Every record of the partner's people, newest session first."""
    rows = (
        Enrollment.objects.filter(partner=partner)
        .select_related("participant", "course")
        .order_by("-session_date", "participant__name")
    )
    return [
        CompletionRow(
            record_id=row.record_id,
            participant_name=row.participant.name,
            participant_email=row.participant.email,
            course_code=row.course.code,
            course_name_de=row.course.name_de,
            course_name_en=row.course.name_en,
            session_date=row.session_date,
            status=row.status,
            valid_until=row.valid_until,
            is_valid=row.status == EnrollmentStatus.COMPLETED
            and row.session_date <= on
            and row.valid_until is not None
            and row.valid_until > on,
        )
        for row in rows
    ]


@dataclass(frozen=True)
class Requirement:
    """One training criterion of a tier, checked for one partner."""

    tier: str
    course_code: str
    course_name_de: str
    course_name_en: str
    people_required: int
    people_counted: int
    holds: bool


def training_requirements(
    *, partner: Partner, on: dt.date, policy: TierPolicy
) -> list[Requirement]:
    """The policy's training criteria, best tier first, measured for the partner on `on`."""
    evaluation = tiers_evaluate(policy=policy, as_of=on, partner_ids=[partner.pk])
    if not evaluation.decisions:
        return []
    decision = evaluation.decisions[0]
    courses = {course.code: course for course in Course.objects.all()}
    requirements = []
    for reason in decision.reasons:
        if reason.kind != KIND_CODE:
            continue
        code = (reason.details or {}).get("course", "")
        course = courses.get(code)
        requirements.append(
            Requirement(
                tier=reason.tier,
                course_code=code,
                course_name_de=course.name_de if course else code,
                course_name_en=course.name_en if course else code,
                people_required=int(reason.threshold or 1),
                people_counted=int(reason.measured),
                holds=reason.holds,
            )
        )
    return requirements


@dataclass(frozen=True)
class BlockedPartner:
    partner_number: str
    tier: str  # the tier it gets
    blocked_from: str  # the better tier its performance qualifies for
    people_counted: int
    people_required: int


def partners_blocked_by_training(
    *, policy: TierPolicy, as_of: dt.date
) -> dict[str, list[BlockedPartner]]:
    """Course code → partners held back from the next better tier only by that course."""
    evaluation = tiers_evaluate(policy=policy, as_of=as_of)
    blocked: dict[str, list[BlockedPartner]] = defaultdict(list)
    for decision in evaluation.decisions:
        if decision.override_reason is not None:
            continue
        for entry in held_back_by(decision):
            if entry["criterion"] != KIND_CODE:
                continue
            blocked[entry["course"]].append(
                BlockedPartner(
                    partner_number=decision.partner_number,
                    tier=decision.tier,
                    blocked_from=entry["tier"],
                    people_counted=int(Decimal(entry["measured"])),
                    people_required=int(Decimal(entry["threshold"] or 1)),
                )
            )
    return dict(blocked)
