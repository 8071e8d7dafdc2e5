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

`tier_notices_send` (a job, and `channeldesk tiers notices`) sends the due ones on the delivery
engine (docs/delivery.md): claimed under a lease, the letter stored and the e-mail enqueued once
per notice key, the notice marked sent by its claim token — a repeated or raced run sends
nothing twice, and a notice whose dispatcher died while sending goes to review, not out again.
Staff release or dismiss it (`TIER_NOTICE_REVIEW`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channeldesk.core.errors import Conflict, NotFound
from channeldesk.notifications.leases import (
    CLAIM_CLEARED,
    DispatchResult,
    Lease,
    default_worker,
    lease_start,
    leases_claim,
    leases_expired,
    leases_held,
    leases_return,
)
from channeldesk.notifications.review import Actor, Reviewable, ReviewLock
from channeldesk.tiers.criteria import criterion_holds
from channeldesk.tiers.evaluation import TierDecision, move_direction
from channeldesk.tiers.models import (
    HELD_NOTICE_STATUSES,
    NoticeDirection,
    NoticeStatus,
    Tier,
    TierAssignment,
    TierNotice,
)
from channeldesk.tiers.notice_texts import notice_mark_sent, notice_render
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
    return settings.TIER_NOTICE_DAYS_BEFORE


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


# How long a dispatcher holds the notices it claimed; it starts none in the second half.
NOTICE_LEASE = dt.timedelta(minutes=10)
NOTICE_BATCH = 50

# What a run of the notices reports (`DispatchResult.document`), in this order; `review` counts
# the notices whose dispatcher died while sending.
NOTICE_COUNTS = ("claimed", "sent", "review", "returned")

# Staff may send these again ...
RELEASABLE = (NoticeStatus.REVIEW,)
# ... and close these without sending.
DISMISSABLE = (NoticeStatus.PLANNED, NoticeStatus.REVIEW)


@dataclass
class NoticeSendResult:
    """What one run of `tier_notices_send` did: the engine's counts (`dispatch`), and which
    sent notices went by letter only (their partner has no e-mail address)."""

    dispatch: DispatchResult = field(default_factory=DispatchResult)
    emails: int = 0
    without_email: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.dispatch.sent

    @property
    def letters(self) -> int:
        """Every sent notice is a letter."""
        return self.dispatch.sent


def tier_notices_send(
    *,
    today: dt.date | None = None,
    limit: int = 1000,
    worker: str = "",
    batch_size: int | None = None,
) -> NoticeSendResult:
    """Send the planned notices due by `today`, up to `limit`, on the delivery engine:

    1. Settle the claims of dispatchers whose lease ran out (`tier_notices_expire_claims`).
    2. Claim a batch of due notices under a lease, committed at once (no row lock is held
       while a letter renders); notices another run is claiming are skipped.
    3. For each: mark it sending (guarded by the claim token), store the letter and enqueue the
       e-mail (`notice_render`), mark it sent by its claim token (`notice_mark_sent`), in one
       transaction. Past half the lease the rest go back to planned.

    Safe to run any number of times, in parallel too: every notice is sent at most once.
    """
    today = today or timezone.localdate()
    worker = worker or default_worker()
    result = NoticeSendResult(dispatch=tier_notices_expire_claims())
    while result.dispatch.claimed < limit:
        lease = lease_start(worker=worker, length=NOTICE_LEASE)
        claimed = leases_claim(
            due=TierNotice.objects.filter(status=NoticeStatus.PLANNED, send_on__lte=today).order_by(
                "send_on", "id"
            ),
            limit=min(batch_size or NOTICE_BATCH, limit - result.dispatch.claimed),
            lease=lease,
            lease_end=timezone.now() + NOTICE_LEASE,
            status=NoticeStatus.CLAIMED,
        )
        if not claimed:
            break
        _send_claimed(claimed, lease=lease, today=today, result=result)
    return result


def _send_claimed(
    claimed: list[TierNotice], *, lease: Lease, today: dt.date, result: NoticeSendResult
) -> None:
    result.dispatch += DispatchResult(claimed=len(claimed))
    for index, notice in enumerate(claimed):
        if time.monotonic() > lease.deadline:
            result.dispatch += _return_unattempted(claimed[index:], lease=lease)
            return
        if not _mark_sending(notice, lease=lease):
            continue  # released or dismissed by staff since the claim
        sent = _send_one(notice.pk, lease=lease, today=today)
        if sent is None:
            continue  # the lease ran out meanwhile: the notice is in review
        result.dispatch += DispatchResult(sent=1)
        if sent.email_key:
            result.emails += 1
        else:
            result.without_email.append(sent.partner_number)


@dataclass(frozen=True)
class _Sent:
    email_key: str
    partner_number: str


def _mark_sending(notice: TierNotice, *, lease: Lease) -> bool:
    held = leases_held(
        model=TierNotice, lease=lease, rows=[notice], statuses=(NoticeStatus.CLAIMED,)
    )
    return bool(held.update(status=NoticeStatus.SENDING, attempts=F("attempts") + 1))


def _send_one(notice_id: int, *, lease: Lease, today: dt.date) -> _Sent | None:
    """Render, store and mark sent in one transaction; nothing is kept when the claim was lost
    before the mark (the notice is then another worker's or staff's to settle)."""
    notice = TierNotice.objects.select_related(
        "partner", "tier", "previous_tier", "tier__policy"
    ).get(pk=notice_id)
    with transaction.atomic():
        rendered = notice_render(notice=notice, today=today)
        if not notice_mark_sent(notice=notice, lease=lease, rendered=rendered, now=timezone.now()):
            transaction.set_rollback(True)
            return None
    return _Sent(email_key=rendered.email_key, partner_number=notice.partner.partner_number)


def _return_unattempted(notices: Sequence[TierNotice], *, lease: Lease) -> DispatchResult:
    with transaction.atomic():
        ours = leases_return(
            model=TierNotice,
            lease=lease,
            rows=notices,
            claimed_status=NoticeStatus.CLAIMED,
            only=("pk",),
        )
        returned = TierNotice.objects.filter(pk__in=[notice.pk for notice in ours]).update(
            status=NoticeStatus.PLANNED, **CLAIM_CLEARED
        )
    return DispatchResult(returned=returned)


@transaction.atomic
def tier_notices_expire_claims(*, now: dt.datetime | None = None) -> DispatchResult:
    """Settle the claims of dispatchers whose lease ran out (they died or hung).

    Claimed notices were never attempted and go back to planned. A notice left `sending` may
    have had its letter stored and its e-mail enqueued: it goes to review (never out again by
    itself), for staff to release or dismiss.
    """
    now = now or timezone.now()
    held = leases_expired(
        model=TierNotice,
        held_statuses=HELD_NOTICE_STATUSES,
        now=now,
        only=("pk", "status", "claimed_by"),
    )
    claimed = [notice.pk for notice in held if notice.status == NoticeStatus.CLAIMED]
    returned = TierNotice.objects.filter(pk__in=claimed).update(
        status=NoticeStatus.PLANNED, **CLAIM_CLEARED
    )
    review = 0
    for notice in held:
        if notice.status == NoticeStatus.SENDING:
            review += TierNotice.objects.filter(pk=notice.pk).update(
                status=NoticeStatus.REVIEW,
                decision=(
                    f"Outcome unknown: the lease of {notice.claimed_by} ran out while it was "
                    "storing the letter. Release the notice to send it (the stored letter and "
                    "e-mail are used, never a second one), or dismiss it."
                ),
            )
    return DispatchResult(returned=returned, expired=review)


# --- Review -------------------------------------------------------------------------------------


class NoticeError(Conflict):
    """A staff decision the notice's state does not allow; the message says why."""

    code = "tier_notice_refused"


class NoticeNotFound(NotFound):
    code = "tier_notice_not_found"


def tier_notice_get(*, pk: int) -> TierNotice:
    notice = TierNotice.objects.filter(pk=pk).first()
    if notice is None:
        raise NoticeNotFound(f"No tier notice {pk}.")
    return notice


@transaction.atomic
def tier_notice_release(*, notice: TierNotice, actor: Actor = None, note: str = "") -> TierNotice:
    """Send a notice in review again: it is planned and goes out on the next run, with the
    letter and the e-mail stored before its dispatcher died, if any (they are kept per key)."""
    locked = _review(notice, allowed=RELEASABLE, action="released")
    before = locked.status
    locked.status = NoticeStatus.PLANNED
    locked.decision = f"Released from {before}. {note}".strip()
    for name, value in CLAIM_CLEARED.items():
        setattr(locked, name, value)
    locked.save(update_fields=["status", "decision", *CLAIM_CLEARED])
    _review.audit("tier_notice.release", locked, before=before, actor=actor, note=note)
    return locked


@transaction.atomic
def tier_notice_dismiss(*, notice: TierNotice, reason: str, actor: Actor = None) -> TierNotice:
    """Close a planned or review notice without sending it, saying why."""
    if not reason.strip():
        raise NoticeError("Say why the tier notice is dismissed.")
    locked = _review(notice, allowed=DISMISSABLE, action="dismissed")
    before = locked.status
    locked.status = NoticeStatus.CANCELLED
    locked.decision = f"Dismissed from {before}: {reason.strip()}"
    locked.save(update_fields=["status", "decision"])
    _review.audit("tier_notice.dismiss", locked, before=before, actor=actor, note=reason.strip())
    return locked


# How a staff decision locks the row (if its status allows the action) and is recorded, under
# its partner.
_review = ReviewLock[TierNotice](
    noun="notices",
    name=lambda notice: notice.key,
    refusal=NoticeError,
    partner=lambda notice: notice.partner_id,
)


# How staff review tier notices, in the admin (and any other face that takes a `Reviewable`).
TIER_NOTICE_REVIEW: Reviewable[TierNotice] = Reviewable(
    release=lambda notice, **decision: tier_notice_release(notice=notice, **decision),
    dismiss=lambda notice, **decision: tier_notice_dismiss(notice=notice, **decision),
    get=lambda pk: tier_notice_get(pk=int(pk)),
    reference=lambda notice: {"id": notice.pk},
    name=lambda notice: notice.key,
    refusals=(NoticeError, NoticeNotFound),
)
