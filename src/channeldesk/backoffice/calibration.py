"""A finished calibration run's result, line by line, in the reader's language.

The run stores the calibration document the CLI and the API give (`tiers.reports`): tier and
criterion codes, plain numbers and an English message per tier. The page shows none of those
as stored: tiers by their names, criteria by their labels, thresholds as amounts or counts in
the reader's convention, and a note written here from the figures, so a German reader gets
one German line per tier instead of German words around English sentences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from channeldesk.backoffice.models import ProgrammeRun
from channeldesk.core.formatting import format_figure, format_number
from channeldesk.tiers.criteria import KINDS


@dataclass(frozen=True)
class CalibrationLine:
    """One tier of a calibration: where its threshold was and is now, and how many partners
    it holds against its target."""

    tier_name: str
    criterion: str
    threshold_before: str
    threshold: str
    count: str
    target: str
    is_met: bool
    note: str


def calibration_lines(*, run: ProgrammeRun, language: str) -> list[CalibrationLine]:
    """The lines of a finished calibration run (none for other runs or without a result)."""
    result = run.result if isinstance(run.result, dict) else {}
    tiers = result.get("tiers") or []
    if not tiers:
        return []
    names = {tier.code: tier.name_for(language) for tier in run.policy.tiers.all()}
    return [_line(tier, names=names, language=language) for tier in tiers]


def _line(tier: dict[str, Any], *, names: dict[str, str], language: str) -> CalibrationLine:
    kind = KINDS.get(str(tier.get("criterion") or ""))
    unit = kind.unit if kind is not None else ""
    target = tier.get("target")
    return CalibrationLine(
        tier_name=names.get(tier["tier"], tier["tier"]),
        criterion=str(kind.label) if kind is not None else "",
        threshold_before=format_figure(tier.get("threshold_before"), unit=unit, language=language),
        threshold=format_figure(tier.get("threshold"), unit=unit, language=language),
        count=format_number(int(tier.get("count") or 0), language=language),
        target=(
            f"{format_number(target['min'], language=language)}–"
            f"{format_number(target['max'], language=language)}"
            if target
            else ""
        ),
        is_met=bool(tier.get("met")),
        note=_note(tier, kind_known=kind is not None),
    )


def _note(tier: dict[str, Any], *, kind_known: bool) -> str:
    """Why the thresholds stayed or the target was missed; nothing when the target is met."""
    if not tier.get("target"):
        return gettext("No target set: the thresholds are kept.")
    if not kind_known:
        return gettext("No numeric criterion to calibrate: the thresholds are kept.")
    if tier.get("met"):
        return ""
    return gettext(
        "No threshold gives a number within the target (too few partners qualify, or "
        "partners tie at the boundary): this is the closest result."
    )
