"""The feedback round: staff open a draft, partners give one piece of feedback each (R3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from channeldesk.feedback.models import PolicyFeedback
from channeldesk.feedback.selectors import (
    feedback_on_programme,
    feedback_projection,
    feedback_summary,
    policy_open_for_feedback,
)
from channeldesk.feedback.services import (
    FeedbackError,
    feedback_give,
    policy_feedback_close,
    policy_feedback_open,
    policy_publish_closing_feedback,
)
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.services import tier_policy_draft_from
from tests.personas import Personas


def _draft() -> TierPolicy:
    return TierPolicy.objects.get(code="default")


def _give(
    personas: Personas, policy: TierPolicy, stance: str = "agree", comment: str = ""
) -> PolicyFeedback:
    return feedback_give(
        policy=policy,
        partner=personas.partner_a,
        author=personas.partner_a_user,
        stance=stance,
        comment=comment,
        current_tier="silver",
        projected_tier="gold",
    ).feedback


def test_opening_a_draft_closes_the_one_open_before(personas: Personas) -> None:
    first = policy_feedback_open(policy=_draft())
    second = policy_feedback_open(policy=tier_policy_draft_from(policy=first))

    first.refresh_from_db()
    assert not first.is_open_for_feedback
    assert second.is_open_for_feedback
    assert policy_open_for_feedback() == second


def test_a_published_policy_cannot_be_opened(personas: Personas) -> None:
    published = TierPolicy.objects.get(code="previous")

    with pytest.raises(FeedbackError) as refused:
        policy_feedback_open(policy=published)

    assert refused.value.code == "not_a_draft"
    published.refresh_from_db()
    assert not published.is_open_for_feedback


def test_feedback_is_refused_when_the_round_is_closed(personas: Personas) -> None:
    policy = policy_feedback_close(policy=policy_feedback_open(policy=_draft()))

    with pytest.raises(FeedbackError) as refused:
        _give(personas, policy)

    assert refused.value.code == "not_open_for_feedback"
    assert PolicyFeedback.objects.count() == 0


def test_an_unknown_stance_is_refused(personas: Personas) -> None:
    policy = policy_feedback_open(policy=_draft())

    with pytest.raises(FeedbackError):
        _give(personas, policy, stance="maybe")

    assert PolicyFeedback.objects.count() == 0


def test_giving_again_replaces_the_partners_feedback(personas: Personas) -> None:
    policy = policy_feedback_open(policy=_draft())

    _give(personas, policy, "disagree", "no")
    _give(personas, policy, "agree", "  fine after all  ")

    feedback = PolicyFeedback.objects.get()
    assert (feedback.stance, feedback.comment) == ("agree", "fine after all")
    assert feedback_summary(policy=policy) == {"agree": 1, "concerns": 0, "disagree": 0}


def test_the_database_keeps_one_feedback_per_partner_and_policy(personas: Personas) -> None:
    policy = policy_feedback_open(policy=_draft())
    _give(personas, policy)

    with pytest.raises(IntegrityError), transaction.atomic():
        PolicyFeedback.objects.create(
            policy=policy, partner=personas.partner_a, stance="agree", projected_tier="gold"
        )


def test_publishing_closes_the_round(personas: Personas) -> None:
    policy = policy_feedback_open(policy=_draft())

    published = policy_publish_closing_feedback(policy=policy, effective_from=dt.date(2027, 1, 1))

    assert published.is_published
    assert not published.is_open_for_feedback
    assert policy_open_for_feedback() is None


def test_projection_evaluates_the_partner_under_the_draft(personas: Personas) -> None:
    projection = feedback_projection(
        policy=_draft(), partner=personas.partner_a, as_of=dt.date(2026, 7, 1)
    )

    assert projection.tier_code == "authorized"
    assert {reason.tier for reason in projection.decision.reasons} == {"gold", "silver"}


def test_feedback_on_the_programme_is_the_versions_own_else_the_latest_earlier_one(
    personas: Personas,
) -> None:
    # Given feedback on version 1, then the round moved on to version 2 and version 3,
    first = policy_feedback_open(policy=_draft())
    on_first = _give(personas, first, stance="concerns")
    second = policy_feedback_open(policy=tier_policy_draft_from(policy=first))
    on_second = _give(personas, second, stance="agree")
    third = policy_feedback_open(policy=tier_policy_draft_from(policy=second))

    # then each version answers with its own feedback, a later one with the latest before it,
    assert feedback_on_programme(policy=first, partner=personas.partner_a) == on_first
    assert feedback_on_programme(policy=second, partner=personas.partner_a) == on_second
    assert feedback_on_programme(policy=third, partner=personas.partner_a) == on_second
    # and another partner's feedback is never taken for it.
    assert feedback_on_programme(policy=third, partner=personas.partner_b) is None
