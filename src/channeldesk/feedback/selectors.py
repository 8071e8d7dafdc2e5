"""Reads of the feedback round: the draft open for comment, a partner's projection under it,
and what the partners said."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from django.db.models import QuerySet

from channeldesk.feedback.models import FeedbackStance, PolicyFeedback
from channeldesk.partners.models import Partner
from channeldesk.tiers.evaluation import TierDecision, tiers_evaluate
from channeldesk.tiers.models import PolicyStatus, TierPolicy
from channeldesk.tiers.selectors import CompiledTier


def policy_open_for_feedback() -> TierPolicy | None:
    """The draft staff opened for partner feedback (the newest, should there be several)."""
    return (
        TierPolicy.objects.filter(status=PolicyStatus.DRAFT, is_open_for_feedback=True)
        .order_by("-created_at", "-id")
        .first()
    )


@dataclass(frozen=True)
class Projection:
    """A partner's tier under a draft policy, with every criterion's verdict."""

    policy: TierPolicy
    decision: TierDecision
    tier: CompiledTier

    @property
    def tier_code(self) -> str:
        return self.decision.tier


def feedback_projection(*, policy: TierPolicy, partner: Partner, as_of: dt.date) -> Projection:
    """Evaluate one partner under the draft (nothing stored): the tier it would get and why."""
    evaluation = tiers_evaluate(policy=policy, as_of=as_of, partner_ids=[partner.pk])
    decision = next((d for d in evaluation.decisions if d.partner_id == partner.pk), None)
    if decision is None:
        raise LookupError(f"{partner.partner_number} is not in the programme (not authorised).")
    tier = evaluation.compiled.tier(decision.tier)
    assert tier is not None  # a decision always names a tier of its policy
    return Projection(policy=policy, decision=decision, tier=tier)


def feedback_on_programme(*, policy: TierPolicy, partner: Partner) -> PolicyFeedback | None:
    """The partner's latest feedback on this version of the programme or, failing that, on an
    earlier one (a draft since calibrated into `policy`): the round carries on across versions,
    each piece of feedback stays with the version it was given on. One query."""
    return (
        PolicyFeedback.objects.filter(
            policy__code=policy.code, policy__version__lte=policy.version, partner=partner
        )
        .select_related("policy")
        .order_by("-policy__version", "-updated_at")
        .first()
    )


def feedback_list(
    *, policy: TierPolicy | None = None, stance: str | None = None
) -> QuerySet[PolicyFeedback]:
    """Feedback, newest first, with policy, partner and author in the same query."""
    feedback = PolicyFeedback.objects.select_related("policy", "partner", "author").order_by(
        "-updated_at", "-id"
    )
    if policy is not None:
        feedback = feedback.filter(policy=policy)
    if stance:
        feedback = feedback.filter(stance=stance)
    return feedback


def feedback_of_partner(*, partner: Partner) -> QuerySet[PolicyFeedback]:
    return feedback_list().filter(partner=partner)


def feedback_summary(*, policy: TierPolicy) -> dict[str, int]:
    """How many partners took each stance on the policy (every stance present)."""
    counted = Counter(PolicyFeedback.objects.filter(policy=policy).values_list("stance", flat=True))
    return {stance: counted.get(stance, 0) for stance in FeedbackStance.values}
