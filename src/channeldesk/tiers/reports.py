"""Machine-readable documents of evaluations, simulations and calibrations.

The CLI's `--format json` and the API answer with exactly these documents, so scripts and the
phone desk see the same thing wherever they ask.
"""

from __future__ import annotations

from typing import Any

from channeldesk.core.json_numbers import json_number
from channeldesk.core.periods import Period
from channeldesk.tiers.calibration import Calibration
from channeldesk.tiers.evaluation import Evaluation, TierDecision
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.services import ApplyResult
from channeldesk.tiers.simulation import Simulation

# The API's and the CLI's tier views still call it by this name (until they import
# `json_number` themselves).
number = json_number


def policy_document(policy: TierPolicy) -> dict[str, Any]:
    return {
        "policy": policy.reference,
        "code": policy.code,
        "version": policy.version,
        "name": policy.name,
        "status": policy.status,
        "effective_from": policy.effective_from.isoformat() if policy.effective_from else None,
        "evaluation_period": policy.evaluation_period,
        "open_for_feedback": policy.is_open_for_feedback,
        "tiers": [
            {
                "code": tier.code,
                "rank": tier.rank,
                "name_de": tier.name_de,
                "name_en": tier.name_en,
                "discount_percent": json_number(tier.discount_percent),
                "target": _target(tier.target_min, tier.target_max),
                "criteria": [
                    {
                        "kind": criterion.kind,
                        "threshold": json_number(criterion.threshold),
                        "parameters": criterion.parameters,
                        "calibrated": criterion.is_calibrated,
                    }
                    for criterion in tier.criteria.all()
                ],
            }
            for tier in policy.tiers.prefetch_related("criteria").order_by("-rank")
        ],
    }


def _target(low: int | None, high: int | None) -> dict[str, int | None] | None:
    return None if low is None and high is None else {"min": low, "max": high}


def period_document(period: Period, *, partial: bool) -> dict[str, Any]:
    """An evaluation period: its first and last day, and whether it was still running when
    measured (`partial`: the figures stop at the day of measuring; such a period can be
    previewed but not applied)."""
    return {
        "start": period.start.isoformat(),
        "end": period.last_day.isoformat(),
        "partial": partial,
    }


def mover_document(evaluation: Evaluation, decision: TierDecision) -> dict[str, Any]:
    return {
        "partner_number": decision.partner_number,
        "from": decision.previous_tier,
        "to": decision.tier,
        "direction": evaluation.direction(decision),
    }


def evaluation_document(evaluation: Evaluation, *, with_partners: bool = False) -> dict[str, Any]:
    document: dict[str, Any] = {
        "policy": evaluation.policy.reference,
        "as_of": evaluation.as_of.isoformat(),
        "evaluation_period": period_document(
            evaluation.period, partial=evaluation.period_is_partial
        ),
        "counts": evaluation.counts(),
        "previous_counts": evaluation.previous_counts(),
        "directions": evaluation.direction_counts(),
        "thresholds": thresholds_document(evaluation),
        "movers": [mover_document(evaluation, d) for d in evaluation.movers()],
    }
    if with_partners:
        document["partners"] = [decision.as_dict() for decision in evaluation.decisions]
    return document


def thresholds_document(evaluation: Evaluation) -> dict[str, list[dict[str, Any]]]:
    return {
        tier.code: [
            {
                "criterion": criterion.kind.code,
                "threshold": json_number(criterion.threshold),
                "comparison": criterion.comparison if criterion.kind.is_numeric else "yes",
                "months": criterion.months,
            }
            for criterion in tier.criteria
        ]
        for tier in evaluation.compiled.tiers
    }


def simulation_document(simulation: Simulation) -> dict[str, Any]:
    document = evaluation_document(simulation.evaluation)
    document["cost_window"] = {
        "start": simulation.cost_window.start.isoformat(),
        "end": simulation.cost_window.last_day.isoformat(),
    }
    document["tiers"] = [
        {
            "code": tier.code,
            "name_de": tier.name_de,
            "name_en": tier.name_en,
            "discount_percent": json_number(tier.discount_percent),
            "current": tier.current,
            "projected": tier.projected,
            "target": _target(tier.target_min, tier.target_max),
            "within_target": tier.within_target,
            "discount_cost_current": str(tier.discount_cost_current),
            "discount_cost_projected": str(tier.discount_cost_projected),
        }
        for tier in simulation.tiers
    ]
    document["discount_cost"] = {
        "current": str(simulation.discount_cost_current),
        "projected": str(simulation.discount_cost_projected),
        "change": str(simulation.discount_cost_change),
        "currency": "EUR",
    }
    return document


def calibration_document(calibration: Calibration) -> dict[str, Any]:
    return {
        "policy": calibration.policy.reference,
        "as_of": calibration.as_of.isoformat(),
        "evaluation_period": period_document(
            calibration.period, partial=calibration.period_is_partial
        ),
        "met": calibration.is_met,
        "counts": calibration.counts,
        "draft": calibration.draft.reference if calibration.draft else None,
        "tiers": [
            {
                "tier": tier.tier,
                "criterion": tier.criterion,
                "threshold_before": json_number(tier.threshold_before),
                "threshold": json_number(tier.threshold),
                "target": {"min": tier.target[0], "max": tier.target[1]} if tier.target else None,
                "count": tier.count,
                "met": tier.is_met,
                "message": tier.message,
                "nearest": [
                    {
                        "partner_number": p.partner_number,
                        "value": json_number(p.value),
                        "side": p.side,
                    }
                    for p in tier.nearest
                ],
            }
            for tier in calibration.tiers
        ],
    }


def apply_document(result: ApplyResult) -> dict[str, Any]:
    """What `tiers_apply` recorded, with every mover."""
    return {
        "policy": result.evaluation.policy.reference,
        "valid_from": result.valid_from.isoformat(),
        "created": result.created,
        "corrected": result.corrected,
        "unchanged": result.unchanged,
        "movers": [mover_document(result.evaluation, d) for d in result.movers],
    }
