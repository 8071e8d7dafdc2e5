"""Reads of the training domain, for the portal, the back office and the API (R7).

- `partner_training(partner=, on=)`: the partner's people, their records and expiry.
- `training_requirements(partner=, on=, policy=)`: what each tier of a policy asks of the
  partner in training, and whether it holds — the portal shows it for the policy in force and
  for the next one.
- `training_needs(partner=, on=)`: the same per tier, with the tier's name, for every programme
  the partner reads in the portal (the one in force, a published one still to come, a draft
  open for feedback) — also for a partner without any record yet.
- `partners_blocked_by_training(policy=, as_of=)`: per course, the partners whose performance
  qualifies for a better tier but who lack the training (the back office's list).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Subquery

from channeldesk.partners.models import Partner
from channeldesk.tiers.evaluation import tiers_evaluate
from channeldesk.tiers.models import PolicyStatus, TierCriterion, TierPolicy
from channeldesk.tiers.notices import held_back_by
from channeldesk.training.criteria import KIND_CODE, TrainingBatch, grace_days_of
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
class TierTraining:
    """What one tier of a programme asks in training, and how much of it the partner has."""

    policy: TierPolicy
    tier_name_de: str
    tier_name_en: str
    requirement: Requirement

    @property
    def people_missing(self) -> int:
        return max(self.requirement.people_required - self.requirement.people_counted, 0)

    def tier_name_for(self, language: str) -> str:
        return self.tier_name_de if language.startswith("de") else self.tier_name_en

    def course_name_for(self, language: str) -> str:
        german = language.startswith("de")
        return self.requirement.course_name_de if german else self.requirement.course_name_en


def training_needs(*, partner: Partner, on: dt.date) -> list[TierTraining]:
    """Each training requirement of the programmes the partner reads in the portal, best tier
    first per programme: the programme in force, then published ones still to come, then drafts
    open for feedback.

    1. The programmes' training criteria with their tiers and programmes (one query).
    2. Every criterion measured for this partner as the evaluation measures it
       (`TrainingBatch`: one grouped query for all), without evaluating the whole programme.
    """
    criteria = _programme_criteria(on=on)
    if not criteria:
        return []
    courses = {course.code: course for course in Course.objects.all()}
    batch = TrainingBatch(
        on=on, courses=[(c.pk, c.code, c.qualifying_tiers) for c in courses.values()]
    )
    metrics = [
        batch.add(
            course_code=str(criterion.parameters.get("course", "")),
            tier_code=criterion.tier.code,
            grace_days=grace_days_of(criterion.parameters),
        )
        for criterion in criteria
    ]
    # The same partner list for every metric: the batch's one query answers all of them.
    partner_ids = [partner.pk]
    people = {metric: batch.measure(metric, partner_ids) for metric in dict.fromkeys(metrics)}
    needs = [
        _tier_training(
            criterion=criterion,
            course=courses.get(str(criterion.parameters.get("course", ""))),
            counted=int(people[metric].get(partner.pk, 0)),
        )
        for criterion, metric in zip(criteria, metrics, strict=True)
    ]
    return sorted(needs, key=lambda need: _programme_order(need.policy, on=on))


def _tier_training(
    *, criterion: TierCriterion, course: Course | None, counted: int
) -> TierTraining:
    code = str(criterion.parameters.get("course", ""))
    required = int(criterion.threshold or 1)
    tier = criterion.tier
    return TierTraining(
        policy=tier.policy,
        tier_name_de=tier.name_de,
        tier_name_en=tier.name_en,
        requirement=Requirement(
            tier=tier.code,
            course_code=code,
            course_name_de=course.name_de if course else code,
            course_name_en=course.name_en if course else code,
            people_required=required,
            people_counted=counted,
            holds=counted >= required,
        ),
    )


def _programme_criteria(*, on: dt.date) -> list[TierCriterion]:
    """The training criteria of the programmes shown, best tier first, in one query: the
    programme in force (as `policy_in_force` picks it), published ones still to come, drafts
    open for feedback."""
    in_force = (
        TierPolicy.objects.filter(status=PolicyStatus.PUBLISHED, effective_from__lte=on)
        .order_by("-effective_from", "-version")
        .values("pk")[:1]
    )
    shown = (
        Q(tier__policy=Subquery(in_force))
        | Q(tier__policy__status=PolicyStatus.PUBLISHED, tier__policy__effective_from__gt=on)
        | Q(tier__policy__status=PolicyStatus.DRAFT, tier__policy__is_open_for_feedback=True)
    )
    return list(
        TierCriterion.objects.filter(shown, kind=KIND_CODE)
        .select_related("tier__policy")
        .order_by("-tier__rank", "position")
    )


def _programme_order(policy: TierPolicy, *, on: dt.date) -> tuple[object, ...]:
    """In force first, then the coming programmes by date, then the drafts."""
    if policy.status == PolicyStatus.DRAFT:
        return (2, policy.code, -policy.version)
    if policy.effective_from is not None and policy.effective_from > on:
        return (1, policy.effective_from, policy.version)
    return (0,)


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
