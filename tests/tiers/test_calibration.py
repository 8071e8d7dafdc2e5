from decimal import Decimal

import pytest

from channeldesk.catalog.models import Product
from channeldesk.core.errors import DomainError
from channeldesk.tiers.calibration import choose_cut, nice_between, tiers_calibrate
from channeldesk.tiers.evaluation import tiers_evaluate
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.selectors import policy_get
from tests.factories import PartnerFactory
from tests.tiers.factories import AS_OF, buy, gold_override

pytestmark = pytest.mark.django_db


def regular_buyers(enterprise: Product, revenues: list[int], times: int = 4) -> list:
    partners = []
    for revenue in revenues:
        partner = PartnerFactory()
        buy(partner, enterprise, times=times, amount=Decimal(revenue) / times)
        partners.append(partner)
    return partners


def test_calibration_lands_each_tier_inside_its_target(enterprise: Product) -> None:
    # 30 regular buyers with revenues 1,000 … 30,000 EUR, 10 occasional buyers.
    regular_buyers(enterprise, [1000 * n for n in range(1, 31)])
    for _ in range(10):
        buy(PartnerFactory(), enterprise, times=1, amount=Decimal(90000))
    policy = policy_get(reference="default")

    calibration = tiers_calibrate(
        policy=policy, as_of=AS_OF, targets={"gold": (4, 6), "silver": (10, 12)}
    )

    assert calibration.is_met
    assert calibration.counts == {"gold": 5, "silver": 11, "authorized": 24}
    gold, silver = calibration.tiers
    # Gold: the 5 best (26k … 30k); the roundest threshold above 25,000 and up to 26,000.
    assert (gold.threshold, gold.count) == (Decimal("26000.00"), 5)
    assert (silver.threshold, silver.count) == (Decimal("15000.00"), 11)
    assert [p.side for p in gold.nearest] == ["in", "in", "in", "out", "out", "out"]
    assert [p.value for p in gold.nearest] == [
        Decimal(28000),
        Decimal(27000),
        Decimal(26000),
        Decimal(25000),
        Decimal(24000),
        Decimal(23000),
    ]


def test_calibration_saves_a_draft_that_evaluates_to_the_same_counts(
    enterprise: Product,
) -> None:
    regular_buyers(enterprise, [1000 * n for n in range(1, 31)])
    policy = policy_get(reference="default")

    calibration = tiers_calibrate(
        policy=policy, as_of=AS_OF, targets={"gold": (4, 6), "silver": (10, 12)}
    )

    draft = calibration.draft
    assert draft is not None
    assert (draft.version, draft.status, draft.based_on) == (2, "draft", policy)
    assert "Calibrated as of 2026-07-01" in draft.notes
    assert tiers_evaluate(policy=draft, as_of=AS_OF).counts() == calibration.counts
    assert (draft.tiers.get(code="gold").target_min, draft.tiers.get(code="gold").target_max) == (
        4,
        6,
    )
    assert policy_get(reference="default") == draft


def test_calibration_without_save_writes_nothing(enterprise: Product) -> None:
    regular_buyers(enterprise, [1000 * n for n in range(1, 11)])

    calibration = tiers_calibrate(
        policy=policy_get(reference="default"), as_of=AS_OF, targets={"gold": (2, 3)}, save=False
    )

    assert calibration.draft is None
    assert TierPolicy.objects.filter(code="default").count() == 1


def test_ties_at_the_boundary_are_reported_with_the_closest_result(enterprise: Product) -> None:
    regular_buyers(enterprise, [20000] * 8 + [5000] * 4)

    calibration = tiers_calibrate(
        policy=policy_get(reference="default"),
        as_of=AS_OF,
        targets={"gold": (3, 5), "silver": (1, 20)},
        save=False,
    )

    gold = calibration.tiers[0]
    assert not gold.is_met
    assert gold.count == 8
    assert "tie at 20,000" in gold.message
    assert not calibration.is_met


def test_too_few_candidates_is_explained(enterprise: Product) -> None:
    regular_buyers(enterprise, [30000, 40000])

    calibration = tiers_calibrate(
        policy=policy_get(reference="default"), as_of=AS_OF, targets={"gold": (5, 8)}, save=False
    )

    gold = calibration.tiers[0]
    assert gold.count == 2
    assert "Only 2 partners meet the other criteria of gold" in gold.message


def test_overridden_partners_count_towards_the_target(enterprise: Product) -> None:
    partners = regular_buyers(enterprise, [1000 * n for n in range(1, 11)])
    gold_override(partners[0], reason="Strategic")

    calibration = tiers_calibrate(
        policy=policy_get(reference="default"), as_of=AS_OF, targets={"gold": (3, 3)}, save=False
    )

    assert calibration.counts["gold"] == 3
    assert calibration.tiers[0].threshold == Decimal("9000.00")


def test_unknown_target_tier_is_refused() -> None:
    with pytest.raises(DomainError, match="platinum") as refusal:
        tiers_calibrate(
            policy=policy_get(reference="default"), as_of=AS_OF, targets={"platinum": (1, 2)}
        )
    assert (refusal.value.code, refusal.value.status_code) == ("invalid_target", 400)


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        ("25000", "26000", "26000.00"),
        ("48123.55", "51234.10", "50000.00"),
        ("3", "4", "4.00"),
        ("100.10", "100.20", "100.20"),
        ("9000", "9999", "9500.00"),
    ],
)
def test_threshold_is_the_roundest_number_in_the_gap(low: str, high: str, expected: str) -> None:
    assert nice_between(Decimal(low), Decimal(high)) == Decimal(expected)


def test_cut_prefers_the_middle_of_the_range() -> None:
    values = [Decimal(v) for v in range(100, 0, -1)]
    assert choose_cut(values, 60, 75, "gold", 100)[0] == 67


def test_calibration_reuses_an_evaluation_without_querying(
    enterprise: Product,
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    regular_buyers(enterprise, [1000 * n for n in range(1, 31)])
    policy = policy_get(reference="default")
    evaluation = tiers_evaluate(policy=policy, as_of=AS_OF)

    with django_assert_max_num_queries(0):
        calibration = tiers_calibrate(
            policy=policy, as_of=AS_OF, targets={"gold": (4, 6)}, save=False, evaluation=evaluation
        )

    assert calibration.counts["gold"] == 5


def test_a_calibrated_draft_takes_over_the_feedback_round_of_its_source(
    enterprise: Product,
) -> None:
    # Given the draft open for partner feedback,
    regular_buyers(enterprise, [1000 * n for n in range(1, 31)])
    policy = policy_get(reference="default")
    TierPolicy.objects.filter(pk=policy.pk).update(is_open_for_feedback=True)

    # when it is calibrated into a new draft,
    draft = tiers_calibrate(
        policy=policy, as_of=AS_OF, targets={"gold": (4, 6), "silver": (10, 12)}
    ).draft

    # then the round carries on with the new version, and only with it.
    assert draft is not None
    assert list(
        TierPolicy.objects.filter(is_open_for_feedback=True).values_list("version", flat=True)
    ) == [2]


def test_a_draft_calibrated_from_a_closed_draft_is_not_opened_for_feedback(
    enterprise: Product,
) -> None:
    regular_buyers(enterprise, [1000 * n for n in range(1, 31)])
    policy = policy_get(reference="default")

    tiers_calibrate(policy=policy, as_of=AS_OF, targets={"gold": (4, 6), "silver": (10, 12)})

    assert not TierPolicy.objects.filter(is_open_for_feedback=True).exists()
