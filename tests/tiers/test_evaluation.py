import datetime as dt
from decimal import Decimal

import pytest

from channeldesk.catalog.models import Product
from channeldesk.partners.models import PartnerStatus
from channeldesk.tiers.evaluation import tiers_evaluate
from channeldesk.tiers.models import TierPolicy
from tests.factories import PartnerFactory, order_with_lines
from tests.tiers.factories import AS_OF, buy, gold_override, previous_tier

pytestmark = pytest.mark.django_db


def default_policy() -> TierPolicy:
    return TierPolicy.objects.get(code="default")


def decision_for(evaluation, partner):  # type: ignore[no-untyped-def]
    return next(d for d in evaluation.decisions if d.partner_id == partner.pk)


def evaluated(partner):  # type: ignore[no-untyped-def]
    """The partner's decision in an evaluation of the `default` policy as of AS_OF."""
    return decision_for(tiers_evaluate(policy=default_policy(), as_of=AS_OF), partner)


def reason(decision, tier: str, criterion: str) -> dict:  # type: ignore[no-untyped-def]
    return next(
        r for r in decision.reasons_as_dicts() if r["tier"] == tier and r["criterion"] == criterion
    )


def test_big_regular_buyer_of_enterprise_products_is_gold(enterprise: Product) -> None:
    partner = PartnerFactory()
    buy(partner, enterprise, times=5, amount=Decimal("12000.00"))

    decision = evaluated(partner)

    assert decision.tier == "gold"
    assert reason(decision, "gold", "revenue") == {
        "tier": "gold",
        "criterion": "revenue",
        "measured": 60000,
        "threshold": 50000,
        "comparison": "at_least",
        "holds": True,
    }
    assert reason(decision, "gold", "orders")["measured"] == 5


def test_regular_buyer_below_gold_revenue_is_silver(enterprise: Product) -> None:
    partner = PartnerFactory()
    buy(partner, enterprise, times=3, amount=Decimal("5000.00"))

    decision = evaluated(partner)

    assert decision.tier == "silver"
    assert reason(decision, "gold", "revenue")["holds"] is False
    assert reason(decision, "gold", "orders") == {
        "tier": "gold",
        "criterion": "orders",
        "measured": 3,
        "threshold": 4,
        "comparison": "at_least",
        "holds": False,
    }


def test_who_orders_at_most_once_a_half_year_gets_the_entry_tier(enterprise: Product) -> None:
    partner = PartnerFactory()
    buy(partner, enterprise, times=1, amount=Decimal("250000.00"))

    decision = evaluated(partner)

    assert decision.tier == "authorized"
    assert reason(decision, "silver", "orders")["measured"] == 1
    assert reason(decision, "silver", "orders")["holds"] is False


def test_retail_only_buyer_gets_the_entry_tier(retail: Product) -> None:
    partner = PartnerFactory()
    buy(partner, retail, times=6, amount=Decimal("20000.00"))

    decision = evaluated(partner)

    assert decision.tier == "authorized"
    assert reason(decision, "silver", "beyond_retail")["holds"] is False
    assert reason(decision, "silver", "revenue")["holds"] is True


def test_partner_without_orders_still_gets_the_entry_tier() -> None:
    partner = PartnerFactory()

    decision = evaluated(partner)

    assert decision.tier == "authorized"
    assert all(r["measured"] == 0 for r in decision.reasons_as_dicts())


def test_suspended_partners_are_not_tiered(enterprise: Product) -> None:
    suspended = PartnerFactory(status=PartnerStatus.SUSPENDED)
    buy(suspended, enterprise, times=5, amount=Decimal("20000.00"))

    evaluation = tiers_evaluate(policy=default_policy(), as_of=AS_OF)

    assert suspended.pk not in {d.partner_id for d in evaluation.decisions}


def test_credit_note_is_not_an_order_but_reduces_revenue(enterprise: Product) -> None:
    partner = PartnerFactory()
    order_with_lines(partner, dt.date(2026, 2, 1), [(enterprise, 100, Decimal("20000.00"))])
    order_with_lines(partner, dt.date(2026, 3, 1), [(enterprise, -20, Decimal("-4000.00"))])

    decision = evaluated(partner)

    assert reason(decision, "silver", "orders")["measured"] == 1
    assert reason(decision, "silver", "revenue")["measured"] == 16000


def test_half_year_boundaries_are_calendar_dates(enterprise: Product) -> None:
    partner = PartnerFactory()
    order_with_lines(partner, dt.date(2026, 6, 30), [(enterprise, 1, Decimal("100.00"))])
    order_with_lines(partner, dt.date(2026, 7, 1), [(enterprise, 1, Decimal("100.00"))])
    order_with_lines(partner, dt.date(2025, 12, 31), [(enterprise, 1, Decimal("100.00"))])

    decision = evaluated(partner)

    # Only 30 June lies in H1 2026; 31 December counts for the 12-month revenue only.
    assert reason(decision, "silver", "orders")["measured"] == 1
    assert reason(decision, "silver", "revenue")["measured"] == 200


def test_override_in_force_wins_over_the_evaluation(enterprise: Product) -> None:
    partner = PartnerFactory()
    gold_override(
        partner, reason="Strategic partner for public authorities", valid_until=dt.date(2027, 1, 1)
    )

    decision = evaluated(partner)

    assert decision.tier == "gold"
    assert {"override": "Strategic partner for public authorities"} in decision.reasons_as_dicts()


def test_expired_override_no_longer_counts() -> None:
    partner = PartnerFactory()
    gold_override(partner, reason="Trade fair deal", valid_until=dt.date(2026, 7, 1))

    decision = evaluated(partner)

    assert decision.tier == "authorized"
    assert decision.override_reason is None


def test_previous_tier_and_direction_are_reported(enterprise: Product) -> None:
    climber = PartnerFactory()
    faller = PartnerFactory()
    previous_tier(climber, "silver")
    previous_tier(faller, "gold")
    buy(climber, enterprise, times=5, amount=Decimal("12000.00"))

    evaluation = tiers_evaluate(policy=default_policy(), as_of=AS_OF)

    up, down = decision_for(evaluation, climber), decision_for(evaluation, faller)
    assert (up.previous_tier, up.tier, evaluation.direction(up)) == ("silver", "gold", "up")
    assert (down.previous_tier, down.tier, evaluation.direction(down)) == (
        "gold",
        "authorized",
        "down",
    )
    assert evaluation.direction_counts() == {"up": 1, "down": 1, "unchanged": 0, "new": 0}


def test_evaluation_is_set_based(
    enterprise: Product,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    for index in range(40):
        partner = PartnerFactory()
        previous_tier(partner, "silver")
        buy(partner, enterprise, times=1 + index % 5, amount=Decimal(1000 + index))
    policy = default_policy()

    # A fixed number whatever the partner count: policy, tiers and criteria, the aggregate (with
    # its savepoint and work_mem setting on PostgreSQL), partners with tiers, tiers, overrides.
    with django_assert_max_num_queries(10):
        evaluation = tiers_evaluate(policy=policy, as_of=AS_OF)

    assert len(evaluation.decisions) == 40


def test_evaluation_can_be_limited_to_some_partners(enterprise: Product) -> None:
    wanted, other = PartnerFactory(), PartnerFactory()
    buy(wanted, enterprise, times=5, amount=Decimal("12000.00"))
    buy(other, enterprise, times=5, amount=Decimal("12000.00"))

    evaluation = tiers_evaluate(policy=default_policy(), as_of=AS_OF, partner_ids=[wanted.pk])

    assert [d.partner_number for d in evaluation.decisions] == [wanted.partner_number]


def test_revenue_is_exact_to_the_cent(enterprise: Product) -> None:
    partner = PartnerFactory()
    for amount in ("0.10", "0.20", "1234.56", "-0.03"):
        order_with_lines(partner, dt.date(2026, 2, 1), [(enterprise, 1, Decimal(amount))])

    decision = evaluated(partner)

    measured = next(r.measured for r in decision.reasons if r.kind == "revenue")
    assert measured == Decimal("1234.83")
    assert str(measured) == "1234.83"
