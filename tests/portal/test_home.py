"""The home page tells a partner its tier, why, what is missing, and takes its feedback."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from channeldesk.core.periods import PeriodKind, add_months, last_complete_period
from channeldesk.feedback.models import PolicyFeedback
from channeldesk.feedback.services import policy_publish_closing_feedback
from channeldesk.partners.models import Partner
from channeldesk.portal.standing import running_period
from channeldesk.tiers.calibration import tiers_calibrate
from channeldesk.tiers.models import AssignmentSource, TierAssignment, TierPolicy
from tests.factories import order_with_lines
from tests.portal.world import PortalWorld, gold_orders_in_the_second_half_of_2026, page_text
from tests.training.factories import record


def test_running_period_is_the_half_year_containing_today() -> None:
    period = running_period(today=dt.date(2026, 11, 27), kind="half_year")

    assert (period.start, period.end) == (dt.date(2026, 7, 1), dt.date(2027, 1, 1))


def test_home_shows_tier_discount_and_the_reasons_recorded(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A re-tiered by an evaluation that recorded its reasons,
    _retiered_today(portal_world, measured="1234.5")

    # when its user opens the home page in English,
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"
    response = client.get("/portal/")

    # then it sees its tier, discount and the criterion with measured value and threshold.
    text = response.content.decode()
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
    _bought_this_month(portal_world, portal_world.personas.partner_a, 200, "10000.00")

    # when its user opens the home page,
    text = page_text(client_for("partner_a_user"), "/portal/", language="en")

    # then the next tier is Gold and 15,000 € more revenue are missing.
    assert "Next tier: <strong>Gold Partner</strong>" in text
    assert "€15,000.00 more net revenue." in text
    assert "€10,000.00" in text


def test_the_best_tier_held_so_far_says_keep_it_up_in_german(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner B (Gold, which needs 25,000 € in 12 months) bought for 30,000 € this month,
    _bought_this_month(portal_world, portal_world.personas.partner_b, 600, "30000.00")

    # when its user opens the home page in German,
    text = page_text(client_for("partner_b_user"), "/portal/", language="de")

    # then it is praised for holding the best tier, and not told it would fall back.
    assert "Sie sind in der höchsten Stufe. Weiter so!" in text
    assert 'data-testid="falls-back"' not in text


def test_the_best_tier_falling_short_is_no_cause_for_praise_in_german(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner B is Gold but has bought nothing in the running period,
    period = running_period(today=timezone.localdate(), kind="half_year")

    # when its user opens the home page in German,
    text = page_text(client_for("partner_b_user"), "/portal/", language="de")

    # then it is not told "Weiter so!" but that it would drop to Silver, from when, and why.
    assert "höchsten Stufe" not in text
    assert "Weiter so" not in text
    assert (
        "Nach dem bisherigen Stand würden Sie Gold-Partner nicht halten: Die nächste "
        f"Neueinstufung, die diesen Zeitraum nach seinem Ende am {_german(period.last_day)} "
        f"misst, würde Sie frühestens ab {_german(period.end)} als Silber-Partner einstufen."
    ) in text
    assert "25.000,00\xa0€ mehr Nettoumsatz." in text


def test_all_next_tier_criteria_met_says_when_the_promotion_is_decided_in_german(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A (Silver) bought for 30,000 € this month, more than Gold's 25,000 €,
    _bought_this_month(portal_world, portal_world.personas.partner_a, 600, "30000.00")
    period = running_period(today=timezone.localdate(), kind="half_year")

    # when its user opens the home page,
    text = page_text(client_for("partner_a_user"), "/portal/", language="de")

    # then it learns that its tier changes only at the next re-tiering, when, and to what.
    assert (
        "Sie erfüllen bisher alle Kriterien von Gold-Partner. Ihre Stufe ändert sich nur bei "
        "einer Neueinstufung: Die nächste misst diesen Zeitraum nach seinem Ende am "
        f"{_german(period.last_day)}, und wenn Ihre Zahlen bis dahin halten, stuft sie Sie "
        f"frühestens ab {_german(period.end)} als Gold-Partner ein."
    ) in text


def test_two_revenue_figures_on_one_page_name_their_windows_in_german(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A re-tiered today with its revenue recorded (as measured over the 12
    # months before the last complete half-year ended), and 12,345.67 € bought this month,
    today = timezone.localdate()
    _retiered_today(portal_world, measured="1234.5")
    _bought_this_month(portal_world, portal_world.personas.partner_a, 200, "12345.67")
    running = running_period(today=today, kind="half_year")
    decided = last_complete_period(today, PeriodKind.HALF_YEAR)

    # when its user opens the home page,
    text = page_text(client_for("partner_a_user"), "/portal/", language="de")

    # then each revenue figure names the twelve months it was measured over.
    recorded = _row_with(text, "1.234,50")
    # (the draft under feedback measures the running period too, in a section of its own)
    outlook = text.split('id="next-heading"', 1)[1].split("</section>", 1)[0]
    so_far = _row_with(outlook, "12.345,67")
    assert "Nettoumsatz der letzten Monate" in recorded
    assert _window(decided.end) in recorded
    assert _window(running.end) in so_far
    assert _window(decided.end) != _window(running.end)


def test_a_carried_over_tier_shows_what_it_requires_in_german(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner B's Gold was carried over (no measurement recorded) and it bought for
    # 30,000 € this month,
    _bought_this_month(portal_world, portal_world.personas.partner_b, 600, "30000.00")

    # when its user opens the home page,
    text = page_text(client_for("partner_b_user"), "/portal/", language="de")

    # then "why" shows Gold's criterion as measured so far, not just "carried over".
    why = text.split('id="why-heading"', 1)[1].split("</section>", 1)[0]
    assert "Was Ihre Stufe verlangt, gemessen bisher im laufenden Zeitraum" in why
    assert "30.000,00\xa0€" in why
    assert "mindestens 25.000,00\xa0€" in why


GERMAN_MONTHS = [
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
]


def _german(day: dt.date) -> str:
    return f"{day.day}. {GERMAN_MONTHS[day.month - 1]} {day.year}"


def _window(end: dt.date) -> str:
    """The twelve months before `end` (a first of month), as the page writes them in German."""
    start = add_months(end, -12)
    last = end - dt.timedelta(days=1)
    year = f" {start.year}" if start.year != last.year else ""
    return f"{start.day}. {GERMAN_MONTHS[start.month - 1]}{year} – {_german(last)}"


def _row_with(text: str, figure: str) -> str:
    rows = [row for row in re.findall(r"<tr>(.*?)</tr>", text, flags=re.DOTALL) if figure in row]
    assert len(rows) == 1, rows
    return rows[0]


def _bought_this_month(world: PortalWorld, partner: Partner, quantity: int, amount: str) -> None:
    """One order of `partner` for `quantity` of the world's product, on the first of the month."""
    order_with_lines(
        partner, timezone.localdate().replace(day=1), [(world.product, quantity, Decimal(amount))]
    )


def _retiered_today(world: PortalWorld, *, measured: str) -> None:
    """Partner A re-tiered to Silver today by an evaluation that recorded its Gold revenue."""
    partner = world.personas.partner_a
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
                "measured": measured,
                "threshold": 25000,
                "comparison": "at_least",
                "holds": False,
            }
        ],
    )


def test_draft_open_for_feedback_shows_the_projected_tier_with_reasons(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A without orders,
    # when its user opens the home page,
    text = page_text(client_for("partner_a_user"), "/portal/", language="en")

    # then under the draft it lands in the entry tier, and the form asks for its stance.
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

    page = page_text(client, "/portal/")
    response = client.post("/portal/feedback/", {"stance": "agree"})

    assert 'name="stance"' not in page
    assert response.status_code == 302
    assert PolicyFeedback.objects.count() == 0


# On a fixed day: which panels have rows (renewals due, a published programme's coming tier)
# depends on the day. The limit does not grow with the partner's data; PostgreSQL adds the
# planner settings of the tier and training measures (SET LOCAL) and their savepoints.
@pytest.mark.today("2026-12-07")
@pytest.mark.parametrize("persona", ["partner_a_user", "partner_b_user"])
def test_home_costs_a_bounded_number_of_queries(
    persona: str,
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    client = client_for(persona)
    limit = 48 if connection.vendor == "postgresql" else 43
    with django_assert_max_num_queries(limit):
        assert client.get("/portal/").status_code == 200


@pytest.mark.today("2026-12-07")
def test_after_publishing_the_partner_sees_its_coming_tier_and_why_in_german(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A trained and ordering like a Gold partner in the running half-year, and
    # the draft published to take effect on 1 January 2027 (which closes the feedback round),
    record(portal_world.personas.partner_a, session_date=dt.date(2026, 9, 1))
    gold_orders_in_the_second_half_of_2026(portal_world)
    policy_publish_closing_feedback(policy=portal_world.draft, effective_from=dt.date(2027, 1, 1))

    # when the partner opens the portal,
    text = page_text(client_for("partner_a_user"), "/portal/", language="de")

    # then it reads its tier from that day and the criteria that decide it, and no form.
    assert "Ab 1. Januar 2027: Gold-Partner (35\xa0%)" in text
    assert 'data-testid="coming-tier"' in text
    assert "1. Juli – 31. Dezember 2026" in text
    assert 'name="stance"' not in text


def test_feedback_on_an_earlier_version_is_shown_on_the_calibrated_draft(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A's feedback on the draft, which was then calibrated into version 2,
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"
    client.post("/portal/feedback/", {"stance": "concerns", "comment": "Too strict."})
    tiers_calibrate(policy=portal_world.draft, as_of=dt.date(2026, 7, 1), targets={})

    # when the partner opens the portal,
    text = page_text(client, "/portal/")

    # then the form is about version 2, pre-filled with what it said on version 1, which keeps it.
    assert 'data-testid="earlier-feedback"' in text
    assert "Too strict." in text
    assert PolicyFeedback.objects.get().policy == portal_world.draft
