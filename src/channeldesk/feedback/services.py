"""Writes of the feedback round: staff open a draft for comment, partners give their word (R3)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction

from channeldesk.core.errors import Conflict
from channeldesk.feedback.models import FeedbackStance, PolicyFeedback
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import PolicyStatus, TierPolicy
from channeldesk.tiers.services import tier_policy_publish

COMMENT_MAX_LENGTH = 4000


class FeedbackError(Conflict):
    """A feedback step the state does not allow; `code` names it for machines."""


@dataclass(frozen=True)
class FeedbackResult:
    feedback: PolicyFeedback
    created: bool


@transaction.atomic
def policy_feedback_open(*, policy: TierPolicy) -> TierPolicy:
    """Open a draft for partner feedback; any other draft open before is closed.

    Partners see one draft under consultation at a time: two would leave them guessing which
    programme their comment is about.
    """
    locked = TierPolicy.objects.select_for_update().get(pk=policy.pk)
    if locked.status != PolicyStatus.DRAFT:
        raise FeedbackError(
            f"{locked.reference} is published; only a draft can be opened for feedback.",
            code="not_a_draft",
        )
    TierPolicy.objects.filter(is_open_for_feedback=True).exclude(pk=locked.pk).update(
        is_open_for_feedback=False
    )
    if not locked.is_open_for_feedback:
        locked.is_open_for_feedback = True
        locked.save(update_fields=["is_open_for_feedback"])
    return locked


@transaction.atomic
def policy_feedback_close(*, policy: TierPolicy) -> TierPolicy:
    """Close the feedback round of a policy; the feedback given so far is kept."""
    locked = TierPolicy.objects.select_for_update().get(pk=policy.pk)
    if locked.is_open_for_feedback:
        locked.is_open_for_feedback = False
        locked.save(update_fields=["is_open_for_feedback"])
    return locked


@transaction.atomic
def feedback_give(
    *,
    policy: TierPolicy,
    partner: Partner,
    author: Any,
    stance: str,
    comment: str,
    current_tier: str,
    projected_tier: str,
) -> FeedbackResult:
    """Store a partner's feedback on a draft open for comment; a second call replaces it.

    Refuses (nothing written) when the policy is not an open draft or the stance is unknown.
    The policy row is locked, so feedback cannot slip in while staff close the round.
    """
    locked = TierPolicy.objects.select_for_update().get(pk=policy.pk)
    if locked.status != PolicyStatus.DRAFT or not locked.is_open_for_feedback:
        raise FeedbackError(
            f"{locked.reference} is not open for feedback.", code="not_open_for_feedback"
        )
    if stance not in FeedbackStance.values:
        raise FeedbackError(f"Unknown stance '{stance}'.", code="unknown_stance")
    if len(comment) > COMMENT_MAX_LENGTH:
        raise FeedbackError(
            f"The comment is longer than {COMMENT_MAX_LENGTH} characters.", code="too_long"
        )
    feedback, created = PolicyFeedback.objects.update_or_create(
        policy=locked,
        partner=partner,
        defaults={
            "author": author if getattr(author, "pk", None) else None,
            "stance": stance,
            "comment": comment.strip(),
            "current_tier": current_tier,
            "projected_tier": projected_tier,
        },
    )
    return FeedbackResult(feedback=feedback, created=created)


@transaction.atomic
def policy_publish_closing_feedback(*, policy: TierPolicy, effective_from: dt.date) -> TierPolicy:
    """Publish a draft (`tiers.services.tier_policy_publish`, which checks it) and close its
    feedback round in the same transaction: a published policy takes no more comments."""
    published = tier_policy_publish(policy=policy, effective_from=effective_from)
    if published.is_open_for_feedback:
        published.is_open_for_feedback = False
        published.save(update_fields=["is_open_for_feedback"])
    return published
