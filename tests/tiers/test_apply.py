import datetime as dt
from decimal import Decimal

import pytest

from channeldesk.catalog.models import Product
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import AssignmentSource, PolicyStatus, TierAssignment, TierPolicy
from channeldesk.tiers.selectors import policy_get, policy_in_force, tier_current
from channeldesk.tiers.services import (
    TierError,
    tier_override_create,
    tier_override_revoke,
    tier_policy_draft_from,
    tier_policy_publish,
    tiers_apply,
    tiers_overrides_settle,
)
from tests.factories import PartnerFactory
from tests.tiers.factories import AS_OF, buy, previous_tier

pytestmark = pytest.mark.django_db


@pytest.fixture
def published() -> TierPolicy:
    return tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)


def snapshot() -> list[tuple]:
    return list(
        TierAssignment.objects.order_by("id").values_list(
            "id", "partner_id", "tier__code", "valid_from", "valid_to", "source"
        )
    )


def test_apply_records_new_tiers_and_closes_the_old_ones(
    published: TierPolicy, enterprise: Product
) -> None:
    gold, dropped = PartnerFactory(), PartnerFactory()
    old_gold = previous_tier(gold, "gold")
    old_silver = previous_tier(dropped, "silver")
    buy(gold, enterprise, times=5, amount=Decimal("12000.00"))

    result = tiers_apply(policy=published)

    assert (result.created, result.unchanged, result.corrected) == (2, 0, 0)
    old_gold.refresh_from_db()
    old_silver.refresh_from_db()
    assert old_gold.valid_to == AS_OF
    assert old_silver.valid_to == AS_OF
    assert tier_current(partner=gold, on=AS_OF).tier_code == "gold"
    assert tier_current(partner=gold, on=AS_OF).discount_percent == Decimal("35.00")
    assert tier_current(partner=dropped, on=AS_OF).tier_code == "authorized"
    assert tier_current(partner=dropped, on=AS_OF - dt.timedelta(days=1)).tier_code == "silver"
    assert {m.partner_number for m in result.movers} == {dropped.partner_number}


def test_assignment_stores_the_reasons(published: TierPolicy, enterprise: Product) -> None:
    partner = PartnerFactory()
    buy(partner, enterprise, times=3, amount=Decimal("5000.00"))

    tiers_apply(policy=published)

    reasons = TierAssignment.objects.get(partner=partner).reasons
    assert {"tier", "criterion", "measured", "threshold", "comparison", "holds"} <= set(reasons[0])
    assert any(r["criterion"] == "revenue" and r["measured"] == 15000 for r in reasons)


def test_applying_the_same_run_twice_changes_nothing(
    published: TierPolicy, enterprise: Product
) -> None:
    for times in (1, 3, 5):
        partner = PartnerFactory()
        previous_tier(partner, "silver")
        buy(partner, enterprise, times=times, amount=Decimal("12000.00"))
    tiers_apply(policy=published)
    before = snapshot()

    again = tiers_apply(policy=published)

    assert (again.created, again.corrected, again.unchanged) == (0, 0, 3)
    assert snapshot() == before


def test_rerun_on_the_same_day_after_new_orders_corrects_in_place(
    published: TierPolicy, enterprise: Product
) -> None:
    partner = PartnerFactory()
    buy(partner, enterprise, times=3, amount=Decimal("5000.00"))
    tiers_apply(policy=published)
    buy(partner, enterprise, times=2, amount=Decimal("40000.00"), start=dt.date(2026, 5, 1))

    result = tiers_apply(policy=published)

    assert (result.created, result.corrected) == (0, 1)
    assert list(TierAssignment.objects.filter(partner=partner).values_list("tier__code")) == [
        ("gold",)
    ]


def test_a_draft_cannot_be_applied() -> None:
    draft = policy_get(reference="default")

    with pytest.raises(TierError, match="draft"):
        tiers_apply(policy=draft, as_of=AS_OF)
    assert TierAssignment.objects.count() == 0


def test_a_policy_cannot_be_applied_before_it_takes_effect(published: TierPolicy) -> None:
    with pytest.raises(TierError, match="takes effect"):
        tiers_apply(policy=published, as_of=AS_OF - dt.timedelta(days=1))


def test_published_policy_is_in_force_from_its_date(published: TierPolicy) -> None:
    assert policy_in_force(on=AS_OF - dt.timedelta(days=1)).code == "previous"
    assert policy_in_force(on=AS_OF) == published


def test_publishing_twice_is_refused(published: TierPolicy) -> None:
    with pytest.raises(TierError, match="already published"):
        tier_policy_publish(policy=published, effective_from=AS_OF)


def test_a_policy_cannot_be_published_before_one_already_scheduled(
    published: TierPolicy,
) -> None:
    draft = tier_policy_draft_from(policy=published)

    with pytest.raises(TierError, match="takes effect later"):
        tier_policy_publish(policy=draft, effective_from=AS_OF - dt.timedelta(days=30))
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT


def test_entry_tier_with_criteria_cannot_be_published() -> None:
    draft = policy_get(reference="default")
    entry = draft.tiers.get(code="authorized")
    entry.criteria.create(kind="orders", threshold=Decimal(1))

    with pytest.raises(TierError, match="entry tier"):
        tier_policy_publish(policy=draft, effective_from=AS_OF)
    draft.refresh_from_db()
    assert draft.status == PolicyStatus.DRAFT


def test_draft_from_copies_tiers_with_new_thresholds(published: TierPolicy) -> None:
    revenue = published.tiers.get(code="gold").criteria.get(kind="revenue")

    draft = tier_policy_draft_from(
        policy=published, thresholds={revenue.pk: Decimal("61000")}, targets={"gold": (60, 75)}
    )

    assert (draft.code, draft.version, draft.status) == ("default", 2, "draft")
    gold = draft.tiers.get(code="gold")
    assert gold.criteria.get(kind="revenue").threshold == Decimal("61000")
    assert (gold.target_min, gold.target_max) == (60, 75)
    assert draft.tiers.count() == 3
    assert published.tiers.get(code="gold").criteria.get(kind="revenue").threshold == Decimal(50000)


def test_override_takes_effect_and_settles_back_when_it_ends(
    published: TierPolicy, enterprise: Product
) -> None:
    partner = PartnerFactory()
    buy(partner, enterprise, times=3, amount=Decimal("5000.00"))
    tiers_apply(policy=published)
    start, end = dt.date(2026, 8, 1), dt.date(2026, 10, 1)

    tier_override_create(
        partner=partner, tier_code="gold", reason="Pilot", valid_from=start, valid_until=end
    )

    assert tier_current(partner=partner, on=start).tier_code == "gold"
    assert tier_current(partner=partner, on=start).source == AssignmentSource.OVERRIDE
    assert tiers_overrides_settle(on=dt.date(2026, 9, 1)) == 0
    assert tiers_overrides_settle(on=end) == 1
    assert tier_current(partner=partner, on=end).tier_code == "silver"
    assert tiers_overrides_settle(on=end) == 0
    assert tier_current(partner=partner, on=dt.date(2026, 7, 15)).tier_code == "silver"


def test_revoked_override_returns_the_partner_to_its_evaluated_tier(
    published: TierPolicy,
) -> None:
    partner = PartnerFactory()
    tiers_apply(policy=published)
    override = tier_override_create(
        partner=partner, tier_code="silver", reason="Goodwill", valid_from=dt.date(2026, 8, 1)
    )

    tier_override_revoke(override=override, on=dt.date(2026, 8, 15))

    assert tier_current(partner=partner, on=dt.date(2026, 8, 15)).tier_code == "authorized"


def test_override_to_unknown_tier_is_refused(published: TierPolicy) -> None:
    partner = PartnerFactory()
    tiers_apply(policy=published)
    before = snapshot()

    with pytest.raises(TierError, match="no tier 'platinum'"):
        tier_override_create(partner=partner, tier_code="platinum", reason="x", valid_from=AS_OF)
    assert snapshot() == before


def test_override_needs_a_reason(published: TierPolicy) -> None:
    with pytest.raises(TierError, match="reason"):
        tier_override_create(
            partner=PartnerFactory(), tier_code="gold", reason="  ", valid_from=AS_OF
        )


def test_sweep_applies_a_policy_on_its_day_and_tiers_new_partners(enterprise: Product) -> None:
    from channeldesk.tiers.services import tiers_sweep

    old = PartnerFactory()
    previous_tier(old, "gold")
    policy = tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)

    before = tiers_sweep(today=AS_OF - dt.timedelta(days=1))
    first = tiers_sweep(today=AS_OF)
    newcomer = PartnerFactory()
    second = tiers_sweep(today=AS_OF + dt.timedelta(days=3))
    third = tiers_sweep(today=AS_OF + dt.timedelta(days=3))

    assert (before.policy, before.applied_policy) == ("previous@1", False)
    assert (first.policy, first.applied_policy) == (policy.reference, True)
    assert tier_current(partner=old, on=AS_OF).tier_code == "authorized"
    assert (second.applied_policy, second.new_partners) == (False, 1)
    assert tier_current(partner=newcomer, on=AS_OF + dt.timedelta(days=3)).tier_code == "authorized"
    assert (third.applied_policy, third.new_partners, third.settled_overrides) == (False, 0, 0)


# --- Applying only periods that have ended -----------------------------------------------------

NEW_YEAR = dt.date(2027, 1, 1)


def _silver_buying_for_gold_with_the_draft_published(
    enterprise: Product,
) -> tuple[Partner, TierPolicy]:
    """A Silver partner that bought enough for Gold from July 2026 only, and the draft
    `default` published to take effect on 1 January 2027."""
    partner = PartnerFactory()
    previous_tier(partner, "silver")
    buy(partner, enterprise, times=5, amount=Decimal("12000.00"), start=dt.date(2026, 7, 10))
    policy = tier_policy_publish(policy=policy_get(reference="default"), effective_from=NEW_YEAR)
    return partner, policy


def _notices_and_assignments() -> tuple[list[tuple], int]:
    from channeldesk.tiers.models import TierNotice

    return snapshot(), TierNotice.objects.count()


@pytest.mark.today("2026-12-07")
def test_applying_before_the_evaluation_period_has_ended_is_refused_with_the_day_it_can_run(
    enterprise: Product,
) -> None:
    # Given a policy published on 7 December to take effect on 1 January, whose evaluation
    # half-year (July – December 2026) is still running
    _, policy = _silver_buying_for_gold_with_the_draft_published(enterprise)
    before = _notices_and_assignments()

    # When it is applied now
    with pytest.raises(TierError) as refusal:
        tiers_apply(policy=policy)

    # Then it is refused, naming the period and the day from which it can be applied
    assert refusal.value.code == "evaluation_period_not_ended"
    assert refusal.value.available_from == NEW_YEAR
    assert str(refusal.value) == (
        f"{policy.reference} as of 2027-01-01 is decided on the evaluation period 2026-07-01 – "
        "2026-12-31, which has not ended yet; it can be applied from 2027-01-01 (the daily run "
        "applies a policy on its effective date)."
    )
    assert _notices_and_assignments() == before


@pytest.mark.today("2027-01-01")
def test_on_its_effective_date_a_policy_is_applied_on_the_half_year_that_has_just_ended(
    enterprise: Product,
) -> None:
    # Given a partner that bought enough for Gold only in the second half of 2026
    partner, policy = _silver_buying_for_gold_with_the_draft_published(enterprise)

    # When the policy is applied on its effective date
    result = tiers_apply(policy=policy)

    # Then it measured July – December 2026, a complete period, and the partner is Gold
    assert (result.evaluation.period.start, result.evaluation.period.last_day) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 12, 31),
    )
    assert result.evaluation.period_is_partial is False
    assert tier_current(partner=partner, on=NEW_YEAR).tier_code == "gold"


def test_the_daily_sweep_applies_a_policy_published_ahead_on_its_effective_date(
    enterprise: Product,
) -> None:
    from channeldesk.tiers.services import tiers_sweep

    # Given a policy published in December to take effect on 1 January
    partner, policy = _silver_buying_for_gold_with_the_draft_published(enterprise)

    # When the daily sweep runs in December and then on 1 January
    december = tiers_sweep(today=dt.date(2026, 12, 7))
    new_year = tiers_sweep(today=NEW_YEAR)

    # Then it applies the policy only on its day, on the half-year that ended the day before
    assert (december.policy, december.applied_policy) == ("previous@1", False)
    assert (new_year.policy, new_year.applied_policy) == (policy.reference, True)
    assignment = TierAssignment.objects.get(partner=partner, valid_to__isnull=True)
    assert (assignment.policy_id, assignment.valid_from) == (policy.pk, NEW_YEAR)
    assert assignment.tier.code == "gold"


@pytest.mark.today("2027-01-01")
def test_an_override_made_before_the_sweep_does_not_keep_the_policy_from_the_other_partners(
    enterprise: Product,
) -> None:
    from channeldesk.tiers.services import tiers_sweep

    # Given the new policy's first assignment, an override made on its effective date
    overridden, other = PartnerFactory(), PartnerFactory()
    previous_tier(overridden, "silver")
    previous_tier(other, "gold")
    policy = tier_policy_publish(policy=policy_get(reference="default"), effective_from=NEW_YEAR)
    tier_override_create(partner=overridden, tier_code="gold", reason="Pilot", valid_from=NEW_YEAR)

    # When the daily sweep runs that day, and again
    first = tiers_sweep(today=NEW_YEAR)
    second = tiers_sweep(today=NEW_YEAR)

    # Then the other partner is moved to the new policy too, once
    assert first.applied_policy is True
    assert second.applied_policy is False
    current = TierAssignment.objects.get(partner=other, valid_to__isnull=True)
    assert (current.policy_id, current.tier.code, current.valid_from) == (
        policy.pk,
        "authorized",
        NEW_YEAR,
    )
    assert tier_current(partner=overridden, on=NEW_YEAR).tier_code == "gold"
