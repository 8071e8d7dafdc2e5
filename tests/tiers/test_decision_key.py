"""Deciding by decision key (where each figure lies among the thresholds) gives exactly the
tier a criterion-by-criterion check gives, whatever the figures, thresholds and comparisons."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from channeldesk.core.periods import Period
from channeldesk.tiers.criteria import KINDS, criterion_holds
from channeldesk.tiers.evaluation import decide, decide_all
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.selectors import CompiledCriterion, CompiledPolicy, CompiledTier

METRICS = {"orders": "orders", "revenue_12m": "revenue", "non_retail_lines": "beyond_retail"}
figure = st.one_of(
    st.integers(min_value=0, max_value=12),
    st.decimals(min_value=-50, max_value=50, places=2),
)
criterion = st.tuples(
    st.sampled_from(sorted(METRICS)),
    st.one_of(st.none(), st.integers(min_value=0, max_value=10).map(Decimal)),
    st.sampled_from(["at_least", "at_most"]),
)


def _policy(tiers: list[list[tuple[str, Decimal | None, str]]]) -> CompiledPolicy:
    compiled = []
    for rank, criteria in enumerate(tiers):
        compiled.append(
            CompiledTier(
                id=rank,
                code=f"t{rank}",
                rank=len(tiers) - rank,
                name_de="",
                name_en="",
                discount_percent=Decimal(rank),
                target_min=None,
                target_max=None,
                criteria=tuple(
                    CompiledCriterion(
                        id=index,
                        tier_code=f"t{rank}",
                        kind=KINDS[METRICS[metric]],
                        metric=metric,
                        threshold=threshold,
                        comparison=comparison,
                        months=None,
                        is_calibrated=False,
                    )
                    for index, (metric, threshold, comparison) in enumerate(criteria)
                ),
            )
        )
    # The entry tier has no criteria.
    compiled.append(
        CompiledTier(len(tiers), "entry", 0, "", "", Decimal(0), None, None, criteria=())
    )
    return CompiledPolicy(
        policy=TierPolicy(code="p", version=1),
        period=Period(dt.date(2026, 1, 1), dt.date(2026, 7, 1)),
        tiers=tuple(compiled),
        aggregates={},
        measured_since=dt.date(2025, 7, 1),
    )


def _checked(compiled: CompiledPolicy, figures: dict[str, Any]) -> str:
    for tier in compiled.tiers:
        if all(
            criterion_holds(c.kind, figures.get(c.metric, 0), c.threshold, c.comparison)
            for c in tier.criteria
        ):
            return tier.code
    return compiled.entry_tier.code


@settings(max_examples=300, deadline=None)
@given(
    tiers=st.lists(st.lists(criterion, max_size=4), min_size=1, max_size=3),
    partners=st.lists(
        st.dictionaries(st.sampled_from(sorted(METRICS)), figure), min_size=1, max_size=40
    ),
)
def test_keyed_decisions_equal_criterion_by_criterion_checks(
    tiers: list[list[tuple[str, Decimal | None, str]]], partners: list[dict[str, Any]]
) -> None:
    compiled = _policy(tiers)
    expected = [_checked(compiled, figures) for figures in partners]

    # One by one (calibration's way), and as a whole evaluation (columns of keys), sharing
    # one cache: every partner after the first few is decided from the cache.
    one_by_one = [decide(compiled, figures).code for figures in partners]
    rows = [(index, f"P{index}", None) for index in range(len(partners))]
    metrics = {index: figures for index, figures in enumerate(partners) if figures}
    evaluated = [d.tier for d in decide_all(compiled, partners=rows, metrics=metrics, overrides={})]

    assert one_by_one == expected
    assert evaluated == expected


def test_partners_between_the_same_thresholds_share_one_cached_decision() -> None:
    compiled = _policy(
        [[("orders", Decimal(3), "at_least"), ("revenue_12m", Decimal(5), "at_least")]]
    )
    revenues = [Decimal("5.00"), Decimal("7.13"), Decimal("9999.99"), Decimal("4.99")]

    tiers = [decide(compiled, {"orders": 4, "revenue_12m": r}).code for r in revenues]

    assert tiers == ["t0", "t0", "t0", "entry"]
    assert len(compiled.decisions_cache) == 2  # at least 5, below 5
