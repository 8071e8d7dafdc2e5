"""The home page tells a partner its tier, why, what is missing, and takes its feedback."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from channeldesk.feedback.models import PolicyFeedback
from channeldesk.portal.standing import running_period
from channeldesk.tiers.models import AssignmentSource, TierAssignment, TierPolicy
from tests.factories import order_with_lines
from tests.portal.world import PortalWorld


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_running_period_is_the_half_year_containing_today() -> None:
    period = running_period(today=dt.date(2026, 11, 27), kind="half_year")

    assert (period.start, period.end) == (dt.date(2026, 7, 1), dt.date(2027, 1, 1))


def test_home_shows_tier_discount_and_the_reasons_recorded(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A re-tiered by an evaluation that recorded its reasons,
    partner = portal_world.personas.partner_a
    policy = TierPolicy.objects.get(code="previous")
    TierAssignment.objects.filter(partner=partner).update(valid_to=timezone.localdate())
    TierAssignment.objects.create(
        partner=partner,
        policy=policy,
        tier=policy.tiers.get(code="silver"),
        valid_from=timezone.localdate(),
        source=AssignmentSource.EVALUATION,
        reasons=[
            {
                "tier": "gold",
                "criterion": "revenue",
                "measured": "1234.5",
                "threshold": 25000,
                "comparison": "at_least",
                "holds": False,
            }
        ],
    )

    # when its user opens the home page in English,
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"
    response = client.get("/portal/")

    # then it sees its tier, discount and the criterion with measured value and threshold.
    text = _text(response)
    assert response.status_code == 200
    assert 'data-testid="tier">Silver Partner<' in text
    assert 'data-testid="discount">25%<' in text
    assert "€1,234.50" in text
    assert "at least €25,000.00" in text


def test_home_says_what_is_missing_for_the_next_tier(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A (Silver under `previous`, where Gold needs 25,000 € in 12 months) that
    # bought for 10,000 € this month,
    order_with_lines(
        portal_world.personas.partner_a,
        timezone.localdate().replace(day=1),
        [(portal_world.product, 200, Decimal("10000.00"))],
    )
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"

    # when its user opens the home page,
    text = _text(client.get("/portal/"))

    # then the next tier is Gold and 15,000 € more revenue are missing.
    assert "Next tier: <strong>Gold Partner</strong>" in text
    assert "€15,000.00 more net revenue." in text
    assert "€10,000.00" in text


def test_the_best_tier_has_nothing_missing(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_b_user")
    client.cookies["django_language"] = "en"

    text = _text(client.get("/portal/"))

    assert "You are in the best tier." in text


def test_draft_open_for_feedback_shows_the_projected_tier_with_reasons(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"

    text = _text(client.get("/portal/"))

    # Partner A has no orders: under the draft it lands in the entry tier.
    assert "Under the draft you would be <strong>Authorised Partner</strong>" in text
    assert "How the draft decides your tier" in text
    assert "orders in the evaluation period" in text
    assert 'name="stance"' in text


def test_feedback_is_stored_per_partner_and_replaced_when_given_again(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")

    first = client.post("/portal/feedback/", {"stance": "disagree", "comment": "Too strict."})
    second = client_for("partner_a_admin").post(
        "/portal/feedback/", {"stance": "concerns", "comment": "Better with 3 orders."}
    )

    assert first.status_code == second.status_code == 302
    feedback = PolicyFeedback.objects.get()
    assert feedback.partner == portal_world.personas.partner_a
    assert feedback.policy == portal_world.draft
    assert (feedback.stance, feedback.comment) == ("concerns", "Better with 3 orders.")
    assert feedback.author == portal_world.personas.partner_a_admin
    assert feedback.current_tier == "silver"
    assert feedback.projected_tier == "authorized"


def test_invalid_feedback_is_refused_and_nothing_is_stored(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    response = client_for("partner_a_user").post(
        "/portal/feedback/", {"stance": "maybe", "comment": "x"}
    )

    assert response.status_code == 400
    assert PolicyFeedback.objects.count() == 0


def test_without_an_open_draft_no_feedback_is_taken(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    TierPolicy.objects.update(is_open_for_feedback=False)
    client = client_for("partner_a_user")

    page = _text(client.get("/portal/"))
    response = client.post("/portal/feedback/", {"stance": "agree"})

    assert 'name="stance"' not in page
    assert response.status_code == 302
    assert PolicyFeedback.objects.count() == 0


@pytest.mark.parametrize("persona", ["partner_a_user", "partner_b_user"])
def test_home_costs_a_bounded_number_of_queries(
    persona: str,
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(persona)
    with django_assert_max_num_queries(40):
        assert client.get("/portal/").status_code == 200
