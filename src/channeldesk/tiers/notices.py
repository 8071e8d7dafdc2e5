"""Tier-change notices: planned with the change, sent later as a letter and an e-mail.

When an assignment takes effect (a published policy applied, an override, a training change),
`tiers_apply` calls `tier_notices_plan` in its own transaction:

1. For each partner whose assignment changed, the tier before is the one closed on the
   effective date (for a same-day correction: the row that ended on that date).
2. A notice is due when the partner had a tier before and the tier or its discount changed, or
   when the partner was *held back*: the next better tier failed only on requirements (the
   training). Down and held-back notices keep the criteria that did not hold ("what would
   bring it back up").
3. It is sent `TIER_NOTICE_DAYS_BEFORE` days before the effective date, or at once when the
   change was recorded later than that. One notice per partner, effective date and new tier
   (`tier_notice_once_per_change`): applying the same change twice plans nothing new. A planned
   notice whose change was corrected to another tier the same day is cancelled.

`tier_notices_send` (a job, and `channeldesk tiers notices`) sends the due ones, each in its own
transaction: the letter is stored once per notice key, the e-mail enqueued once per key, the
notice marked sent — a repeated or raced run sends nothing twice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from channeldesk.tiers.criteria import criterion_holds
from channeldesk.tiers.evaluation import TierDecision, move_direction
from channeldesk.tiers.models import (
    NoticeDirection,
    NoticeStatus,
    Tier,
    TierAssignment,
    TierNotice,
)
from channeldesk.tiers.notice_texts import notice_send
from channeldesk.tiers.selectors import (
    CompiledCriterion,
    CompiledPolicy,
    CompiledTier,
    PreviousTier,
)


@dataclass(frozen=True)
class Change:
    """One assignment written by `tiers_apply`: the decision, the row, and the tier before (None
    for a same-day correction, whose tier before is looked up)."""

    decision: TierDecision
    assignment: TierAssignment
    previous_tier_id: int | None
    corrected: bool


def notice_days_before() -> int:
    return int(getattr(settings, "TIER_NOTICE_DAYS_BEFORE", 30))


def tier_notices_plan(*, changes: Sequence[Change], effective_from: dt.date) -> int:
    """Plan the notices of the changes just written (see the module docstring); returns how many
    new notices were planned. Runs inside the caller's transaction."""
    if not changes:
        return 0
    before = _tiers_before(changes, effective_from)
    tiers = Tier.objects.in_bulk(set(before.values()) | {c.assignment.tier_id for c in changes})
    today = timezone.localdate()
    send_on = max(today, effective_from - dt.timedelta(days=notice_days_before()))
    notices = []
    for change in changes:
        partner_id = change.decision.partner_id
        previous = tiers.get(before.get(partner_id, -1))
        notice = _notice(change, previous, tiers[change.assignment.tier_id], send_on)
        if notice is not None:
            notices.append(notice)
    _cancel_superseded(changes, effective_from)
    return _insert_new(notices, effective_from)


def _tiers_before(changes: Sequence[Change], effective_from: dt.date) -> dict[int, int]:
    """Partner id → the tier it held before the change."""
    before = {
        c.decision.partner_id: c.previous_tier_id for c in changes if c.previous_tier_id is not None
    }
    corrected = [c.decision.partner_id for c in changes if c.corrected]
    if corrected:
        before.update(
            TierAssignment.objects.filter(partner_id__in=corrected, valid_to=effective_from)
            .order_by("valid_from")
            .values_list("partner_id", "tier_id")
        )
    return before


def _notice(
    change: Change, previous: Tier | None, tier: Tier, send_on: dt.date
) -> TierNotice | None:
    if previous is None:
        return None  # a partner's first tier is no change
    decision = change.decision
    compiled = decision.compiled
    moved = move_direction(
        compiled,
        previous.code,
        tier.code,
        PreviousTier(previous.code, previous.discount_percent),
    )
    held = held_back_by(decision) if decision.override_reason is None else []
    if moved == "down":
        direction = NoticeDirection.DOWN
        missing = _missing_for_down(decision, previous.code, tier.code)
    elif held:
        direction, missing = NoticeDirection.HELD_BACK, held
    elif moved == "up":
        direction, missing = NoticeDirection.UP, []
    elif previous.discount_percent != tier.discount_percent:
        direction, missing = NoticeDirection.UNCHANGED, []
    else:
        return None
    return TierNotice(
        partner_id=decision.partner_id,
        assignment=change.assignment,
        previous_tier=previous,
        tier=tier,
        effective_from=change.assignment.valid_from,
        direction=direction,
        missing=missing,
        send_on=send_on,
    )


def _better_tier(compiled: CompiledPolicy, code: str) -> CompiledTier | None:
    """The tier just above `code` in the policy (tiers are best first)."""
    codes = [tier.code for tier in compiled.tiers]
    if code not in codes:
        return None
    index = codes.index(code)
    return compiled.tiers[index - 1] if index > 0 else None


def failing_criteria(decision: TierDecision, tier: CompiledTier) -> list[dict[str, Any]]:
    """The criteria of `tier` that do not hold for the partner, as notice entries."""
    figures = decision.figures or {}
    failing = []
    for criterion in tier.criteria:
        measured = figures.get(criterion.metric, 0)
        if not _criterion_holds(criterion, measured):
            failing.append(_entry(tier, criterion, measured))
    return failing


def _criterion_holds(criterion: CompiledCriterion, measured: Any) -> bool:
    return criterion_holds(criterion.kind, measured, criterion.threshold, criterion.comparison)


def _entry(tier: CompiledTier, criterion: CompiledCriterion, measured: Any) -> dict[str, Any]:
    return {
        "tier": tier.code,
        "criterion": criterion.kind.code,
        "measured": str(measured),
        "threshold": None if criterion.threshold is None else str(criterion.threshold),
        "comparison": criterion.comparison,
        "parameters": criterion.parameters,
        "requirement": criterion.kind.is_requirement,
        **(criterion.details or {}),
    }


def held_back_by(decision: TierDecision) -> list[dict[str, Any]]:
    """The requirements that keep a partner out of the next better tier, when they are all that
    does (its performance qualifies); otherwise nothing."""
    better = _better_tier(decision.compiled, decision.tier)
    if better is None:
        return []
    failing = failing_criteria(decision, better)
    if failing and all(entry["requirement"] for entry in failing):
        return failing
    return []


def _missing_for_down(
    decision: TierDecision, previous_code: str, code: str
) -> list[dict[str, Any]]:
    """What would bring the partner back: the criteria of the tier it lost (when that tier is in
    the policy), else of the next better tier."""
    compiled = decision.compiled
    target = compiled.tier(previous_code)
    current = compiled.tier(code)
    if target is None or current is None or target.rank <= current.rank:
        target = _better_tier(compiled, code)
    return failing_criteria(decision, target) if target is not None else []


def _cancel_superseded(changes: Sequence[Change], effective_from: dt.date) -> None:
    """A same-day correction to another tier cancels the notice planned for the first answer."""
    corrected = {c.decision.partner_id: c.assignment.tier_id for c in changes if c.corrected}
    if not corrected:
        return
    planned = TierNotice.objects.filter(
        partner_id__in=list(corrected), effective_from=effective_from, status=NoticeStatus.PLANNED
    ).values_list("id", "partner_id", "tier_id")
    stale = [pk for pk, partner_id, tier_id in planned if corrected[partner_id] != tier_id]
    TierNotice.objects.filter(id__in=stale).update(status=NoticeStatus.CANCELLED)


def _insert_new(notices: list[TierNotice], effective_from: dt.date) -> int:
    """Insert the notices not already there; the unique constraint settles a race."""
    if not notices:
        return 0
    existing = set(
        TierNotice.objects.filter(
            partner_id__in=[notice.partner_id for notice in notices], effective_from=effective_from
        ).values_list("partner_id", "tier_id")
    )
    new = [n for n in notices if (n.partner_id, n.tier_id) not in existing]
    TierNotice.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
    return len(new)


# --- Sending ------------------------------------------------------------------------------------


@dataclass
class NoticeSendResult:
    """What one run of `tier_notices_send` did."""

    sent: int = 0
    letters: int = 0
    emails: int = 0
    without_email: list[str] = field(default_factory=list)


def tier_notices_send(*, today: dt.date | None = None, limit: int = 1000) -> NoticeSendResult:
    """Send the planned notices due by `today`: a letter and, when the partner has an address,
    an e-mail with the letter attached. Each notice in its own transaction (see the module
    docstring); safe to run any number of times, in parallel too."""
    today = today or timezone.localdate()
    result = NoticeSendResult()
    due = list(
        TierNotice.objects.filter(status=NoticeStatus.PLANNED, send_on__lte=today)
        .order_by("send_on", "id")
        .values_list("id", flat=True)[:limit]
    )
    for notice_id in due:
        with transaction.atomic():
            notice = _claim(notice_id)
            if notice is None:
                continue
            sent = notice_send(notice=notice, today=today)
        result.sent += 1
        result.letters += 1
        if sent.email_key:
            result.emails += 1
        else:
            result.without_email.append(notice.partner.partner_number)
    return result


def _claim(notice_id: int) -> TierNotice | None:
    """The notice, locked, if it is still planned (another run may have sent it meanwhile)."""
    notices = TierNotice.objects.select_related(
        "partner", "tier", "previous_tier", "tier__policy"
    ).filter(pk=notice_id, status=NoticeStatus.PLANNED)
    if connection.features.has_select_for_update_skip_locked:
        notices = notices.select_for_update(skip_locked=True, of=("self",))
    return notices.first()
