"""A reason of a tier decision as stored with the assignment (`as_dict`) and read back
(`from_dict`), and the one rule for numbers in JSON documents (`core.json_numbers`)."""

from __future__ import annotations

from decimal import Decimal

from channeldesk.core.json_numbers import json_number
from channeldesk.tiers.evaluation import CriterionResult


def test_a_stored_reason_reads_back_as_the_same_result() -> None:
    reason = CriterionResult(
        tier="gold",
        kind="training",
        measured=2,
        threshold=Decimal(1),
        comparison="at_least",
        holds=True,
        details={"course": "G2D"},
    )

    document = reason.as_dict()

    assert document == {
        "tier": "gold",
        "criterion": "training",
        "measured": 2,
        "threshold": 1,
        "comparison": "at_least",
        "holds": True,
        "course": "G2D",
    }
    assert CriterionResult.from_dict(document) == reason


def test_amounts_with_cents_are_stored_as_exact_text_and_read_back_as_decimal() -> None:
    reason = CriterionResult(
        tier="silver",
        kind="revenue",
        measured=Decimal("128063.16"),
        threshold=Decimal("25000.00"),
        comparison="at_least",
        holds=True,
    )

    document = reason.as_dict()

    assert (document["measured"], document["threshold"]) == ("128063.16", 25000)
    assert CriterionResult.from_dict(document) == reason


def test_a_reason_in_another_shape_is_not_read() -> None:
    # Assignments recorded before the evaluation's shape settled say `kind`, `value`, `held`.
    assert CriterionResult.from_dict({"kind": "revenue", "value": 10, "held": True}) is None
    assert CriterionResult.from_dict({"tier": "gold", "criterion": "x", "measured": "n/a"}) is None


def test_json_numbers_are_whole_numbers_or_exact_text() -> None:
    assert json_number(Decimal("35.00")) == 35
    assert json_number(7) == 7
    assert json_number(Decimal("0.5")) == "0.5"
    assert json_number(None) is None
