"""Writes for the tier programme: publishing policies, applying evaluations, overrides."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from channeldesk.audit.services import actor_user, audit_quiet, audit_record
from channeldesk.core.errors import Conflict
from channeldesk.partners.models import Partner
from channeldesk.tiers.criteria import KINDS
from channeldesk.tiers.evaluation import Evaluation, TierDecision, tiers_evaluate
from channeldesk.tiers.models import (
    AssignmentSource,
    PolicyStatus,
    Tier,
    TierAssignment,
    TierCriterion,
    TierOverride,
    TierPolicy,
)
from channeldesk.tiers.notices import Change, tier_notices_plan
from channeldesk.tiers.selectors import evaluation_period, policy_in_force, policy_uses_kind
from channeldesk.tiers.webhook_events import programme_published_emit, tier_changes_emit

User = AbstractBaseUser | AnonymousUser | None


class TierError(Conflict):
    """A tier operation the programme's rules do not allow; the message says why, `code` names
    it for machines, and `available_from` is the first day it can be done when waiting is the
    remedy (also a detail of the API's answer)."""

    def __init__(
        self,
        message: str,
        *,
        code: str = "tier_rule_violated",
        available_from: dt.date | None = None,
    ) -> None:
        details = (
            [{"field": "available_from", "message": available_from.isoformat(), "code": code}]
            if available_from is not None
            else []
        )
        super().__init__(message, code=code, details=details)
        self.available_from = available_from


# --- Policies -------------------------------------------------------------------------------


def tier_policy_validate(*, policy: TierPolicy) -> list[str]:
    """Everything that keeps a policy from being published, as sentences."""
    problems = []
    tiers = list(policy.tiers.prefetch_related("criteria").order_by("rank"))
    if not tiers:
        return [f"{policy.reference} has no tiers."]
    if list(tiers[0].criteria.all()):
        problems.append(
            f"The entry tier '{tiers[0].code}' must have no criteria: every authorised partner "
            "gets at least the entry tier."
        )
    for tier in tiers:
        if not Decimal(0) <= tier.discount_percent <= Decimal(100):
            problems.append(f"Tier '{tier.code}': the discount must be between 0 and 100 %.")
        for criterion in tier.criteria.all():
            kind = KINDS.get(criterion.kind)
            if kind is None:
                problems.append(f"Tier '{tier.code}': unknown criterion kind '{criterion.kind}'.")
            elif kind.is_numeric and criterion.threshold is None:
                problems.append(
                    f"Tier '{tier.code}': criterion '{criterion.kind}' needs a threshold."
                )
            elif kind.check is not None:
                problems.extend(
                    f"Tier '{tier.code}': {problem}" for problem in kind.check(criterion.parameters)
                )
        if not tier.hotline_phone:
            problems.append(f"Tier '{tier.code}' has no support hotline.")
    return problems


@transaction.atomic
def tier_policy_publish(*, policy: TierPolicy, effective_from: dt.date) -> TierPolicy:
    """Publish a draft: from now on it is never edited, only superseded."""
    policy = TierPolicy.objects.select_for_update().get(pk=policy.pk)
    if policy.status != PolicyStatus.DRAFT:
        raise TierError(f"{policy.reference} is already published; draft a new version instead.")
    problems = tier_policy_validate(policy=policy)
    if problems:
        raise TierError(" ".join(problems))
    later = TierPolicy.objects.filter(
        status=PolicyStatus.PUBLISHED, effective_from__gt=effective_from
    ).first()
    if later is not None:
        raise TierError(
            f"{later.reference} takes effect later ({later.effective_from}); a policy can only "
            "supersede what is in force, not what comes after it."
        )
    before = policy.effective_from
    policy.status = PolicyStatus.PUBLISHED
    policy.effective_from = effective_from
    policy.published_at = timezone.now()
    with audit_quiet():
        policy.save(update_fields=["status", "effective_from", "published_at"])
    audit_record(
        action="tiers.policy.publish",
        target=policy,
        changes={
            "status": (PolicyStatus.DRAFT, PolicyStatus.PUBLISHED),
            "effective_from": (before, effective_from),
        },
    )
    programme_published_emit(policy=policy)
    return policy


@transaction.atomic
def tier_policy_draft_from(
    *,
    policy: TierPolicy,
    thresholds: Mapping[int, Decimal] | None = None,
    targets: Mapping[str, tuple[int, int]] | None = None,
    notes: str = "",
) -> TierPolicy:
    """A new draft version of a policy, copying its tiers and criteria.

    `thresholds` maps criterion ids of the source policy to new thresholds; `targets` maps tier
    codes to (min, max) partner counts.
    """
    thresholds = thresholds or {}
    targets = targets or {}
    # One audit entry for the copy (below), not one per tier.
    with audit_quiet():
        draft = _draft_copy(policy=policy, thresholds=thresholds, targets=targets, notes=notes)
    audit_record(
        action="tiers.policy.draft",
        target=draft,
        operation="create",
        counts={
            "tiers": draft.tiers.count(),
            "criteria": TierCriterion.objects.filter(tier__policy=draft).count(),
        },
        details={"based_on": policy.reference, "notes": notes},
    )
    return draft


# What a new draft version takes over unchanged from the version it is based on.
_POLICY_COPIED = ("code", "name", "name_de", "name_en", "description", "evaluation_period")
_TIER_COPIED = (
    "code",
    "rank",
    "name_de",
    "name_en",
    "discount_percent",
    "hotline_phone",
    "hotline_hours_de",
    "hotline_hours_en",
    "callback_minutes",
    "support_priority",
)
_CRITERION_COPIED = ("kind", "parameters", "is_calibrated", "position")


def _copied(instance: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(instance, name) for name in names}


def _draft_copy(
    *,
    policy: TierPolicy,
    thresholds: Mapping[int, Decimal],
    targets: Mapping[str, tuple[int, int]],
    notes: str,
) -> TierPolicy:
    latest = TierPolicy.objects.filter(code=policy.code).aggregate(Max("version"))["version__max"]
    draft = TierPolicy.objects.create(
        **_copied(policy, _POLICY_COPIED),
        version=(latest or 0) + 1,
        based_on=policy,
        notes=notes,
    )
    for tier in policy.tiers.prefetch_related("criteria").order_by("rank"):
        target_min, target_max = targets.get(tier.code, (tier.target_min, tier.target_max))
        copy = Tier.objects.create(
            **_copied(tier, _TIER_COPIED),
            policy=draft,
            target_min=target_min,
            target_max=target_max,
        )
        TierCriterion.objects.bulk_create(
            TierCriterion(
                **_copied(criterion, _CRITERION_COPIED),
                tier=copy,
                threshold=thresholds.get(criterion.id, criterion.threshold),
            )
            for criterion in tier.criteria.all()
        )
    return draft


# --- Applying an evaluation -------------------------------------------------------------------


@dataclass
class ApplyResult:
    """What `tiers_apply` recorded."""

    evaluation: Evaluation
    valid_from: dt.date
    created: int = 0
    corrected: int = 0
    unchanged: int = 0
    movers: list[TierDecision] = field(default_factory=list)
    notices: int = 0


def tiers_apply_check(
    *, policy: TierPolicy, as_of: dt.date | None = None, today: dt.date | None = None
) -> dt.date:
    """The date an application of `policy` takes effect from, or `TierError` saying why it
    cannot be applied (yet). Faces call it before they evaluate, so a refusal comes first.

    1. Only a published policy is applied, and not before its effective date (`as_of` defaults
       to the effective date).
    2. An application never measures a period that has not ended: applying as of `as_of`
       measures the last complete evaluation period before `as_of`, and that period must have
       ended by `today`. Before then the refusal names the day it can run (`available_from`,
       the day after the period); the daily sweep applies a policy on its effective date.
    """
    if policy.status != PolicyStatus.PUBLISHED or policy.effective_from is None:
        raise TierError(
            f"{policy.reference} is a draft: publish it before applying it.", code="not_published"
        )
    as_of = as_of or policy.effective_from
    if as_of < policy.effective_from:
        raise TierError(
            f"{policy.reference} takes effect on {policy.effective_from}; it cannot be applied "
            f"as of {as_of}.",
            code="before_effective_date",
        )
    today = today or timezone.localdate()
    period = evaluation_period(policy=policy, as_of=as_of)
    if period.end > today:
        raise TierError(
            f"{policy.reference} as of {as_of} is decided on the evaluation period "
            f"{period.start} – {period.last_day}, which has not ended yet; it can be applied "
            f"from {period.end} (the daily run applies a policy on its effective date).",
            code="evaluation_period_not_ended",
            available_from=period.end,
        )
    return as_of


def tiers_apply(
    *,
    policy: TierPolicy,
    as_of: dt.date | None = None,
    today: dt.date | None = None,
    partner_ids: Collection[int] | None = None,
    actor: User = None,
    evaluation: Evaluation | None = None,
) -> ApplyResult:
    """Record the evaluation of a published policy as tier assignments valid from `as_of`.

    1. Check that it can be applied as of `as_of` on `today` (`tiers_apply_check`).
    2. Evaluate (or take the evaluation already shown to the user, which must be as of the
       same date).
    3. A partner whose open assignment already has this policy and tier is unchanged.
    4. An open assignment that starts on `as_of` itself is corrected in place (a re-run on the
       same day after the data changed); any other open assignment is closed on `as_of` and a new
       one is opened. History is never deleted.
    Applying the same run twice therefore changes nothing.
    """
    today = today or timezone.localdate()
    as_of = tiers_apply_check(policy=policy, as_of=as_of, today=today)
    if evaluation is not None and (evaluation.policy != policy or evaluation.as_of != as_of):
        raise TierError(
            f"The evaluation given is of {evaluation.policy.reference} as of "
            f"{evaluation.as_of}, not of {policy.reference} as of {as_of}.",
            code="evaluation_mismatch",
        )
    if evaluation is None:
        evaluation = tiers_evaluate(
            policy=policy, as_of=as_of, partner_ids=partner_ids, today=today
        )
    with transaction.atomic():
        result = _record(evaluation, as_of, actor_user(actor))
        _apply_audit(result, actor=actor, whole_programme=partner_ids is None)
        return result


def _apply_audit(result: ApplyResult, *, actor: User, whole_programme: bool) -> None:
    """One audit entry per application, with its counts: always for a run over the whole
    programme, for a run over a few partners (an override, a re-tiering) only when it changed
    an assignment. A run for one partner names that partner."""
    if not whole_programme and not (result.created or result.corrected):
        return
    decisions = result.evaluation.decisions
    audit_record(
        action="tiers.apply",
        target=result.evaluation.policy,
        actor=actor,
        partner=decisions[0].partner_id if len(decisions) == 1 else None,
        counts={
            "partners": len(decisions),
            "created": result.created,
            "corrected": result.corrected,
            "unchanged": result.unchanged,
            "movers": len(result.movers),
            "notices": result.notices,
        },
        details={"valid_from": result.valid_from},
    )


def _record(evaluation: Evaluation, as_of: dt.date, actor: Any) -> ApplyResult:
    tier_ids = {tier.code: tier.id for tier in evaluation.compiled.tiers}
    policy_id = evaluation.policy.pk
    partner_ids = [decision.partner_id for decision in evaluation.decisions]
    open_rows = {
        row["partner_id"]: row
        for row in TierAssignment.objects.select_for_update()
        .filter(valid_to__isnull=True, partner_id__in=partner_ids)
        .values("id", "partner_id", "policy_id", "tier_id", "valid_from")
    }
    result = ApplyResult(evaluation=evaluation, valid_from=as_of)
    to_close: list[int] = []
    to_create: list[TierAssignment] = []
    to_correct: list[TierAssignment] = []
    changes: list[Change] = []
    previous_tier_ids: dict[int, int | None] = {}
    for decision in evaluation.decisions:
        tier_id = tier_ids[decision.tier]
        current = open_rows.get(decision.partner_id)
        if current and current["policy_id"] == policy_id and current["tier_id"] == tier_id:
            result.unchanged += 1
            continue
        if current and current["valid_from"] > as_of:
            raise TierError(
                f"Partner {decision.partner_number} already has a tier from "
                f"{current['valid_from']}; apply as of that date or later."
            )
        assignment = TierAssignment(
            partner_id=decision.partner_id,
            policy_id=policy_id,
            tier_id=tier_id,
            valid_from=as_of,
            source=AssignmentSource.OVERRIDE
            if decision.override_reason is not None
            else AssignmentSource.EVALUATION,
            reasons=decision.reasons_as_dicts(),
            created_by=actor,
        )
        if decision.is_mover:
            result.movers.append(decision)
        if current and current["valid_from"] == as_of:
            assignment.pk = current["id"]
            to_correct.append(assignment)
            changes.append(Change(decision, assignment, previous_tier_id=None, corrected=True))
            continue
        if current:
            to_close.append(current["id"])
            changes.append(Change(decision, assignment, current["tier_id"], corrected=False))
        previous_tier_ids[decision.partner_id] = current["tier_id"] if current else None
        to_create.append(assignment)
    for start in range(0, len(to_close), 5000):
        TierAssignment.objects.filter(id__in=to_close[start : start + 5000]).update(valid_to=as_of)
    TierAssignment.objects.bulk_update(
        to_correct, ["policy_id", "tier_id", "source", "reasons", "created_by"], batch_size=1000
    )
    TierAssignment.objects.bulk_create(to_create, batch_size=5000)
    result.created = len(to_create)
    result.corrected = len(to_correct)
    result.notices = tier_notices_plan(changes=changes, effective_from=as_of)
    tier_changes_emit(
        assignments=[*to_create, *to_correct],
        previous_tier_ids=previous_tier_ids,
        corrected_partner_ids=[assignment.partner_id for assignment in to_correct],
    )
    return result


# --- Overrides --------------------------------------------------------------------------------


@transaction.atomic
def tier_override_create(
    *,
    partner: Partner,
    tier_code: str,
    reason: str,
    valid_from: dt.date,
    valid_until: dt.date | None = None,
    actor: User = None,
) -> TierOverride:
    """A manual tier that wins over the evaluation until `valid_until` (exclusive).

    It takes effect at once: the partner's assignment is switched from `valid_from` on.
    """
    if not reason.strip():
        raise TierError("An override needs a reason.")
    if valid_until is not None and valid_until <= valid_from:
        raise TierError("An override must end after it starts.")
    policy = policy_in_force(on=valid_from)
    if policy is None:
        raise TierError(f"No published tier policy is in force on {valid_from}.")
    tier = policy.tiers.filter(code=tier_code).first()
    if tier is None:
        codes = ", ".join(policy.tiers.order_by("-rank").values_list("code", flat=True))
        raise TierError(f"{policy.reference} has no tier '{tier_code}' (tiers: {codes}).")
    override = TierOverride.objects.create(
        partner=partner,
        tier_code=tier_code,
        reason=reason.strip(),
        valid_from=valid_from,
        valid_until=valid_until,
        created_by=actor_user(actor),
    )
    tiers_apply(
        policy=policy,
        as_of=max(valid_from, policy.effective_from or valid_from),
        partner_ids=[partner.pk],
        actor=actor,
    )
    return override


@transaction.atomic
def tier_override_revoke(*, override: TierOverride, on: dt.date, actor: User = None) -> None:
    """End an override early; the partner's tier returns to what the evaluation gives."""
    override.revoked_at = timezone.now()
    override.save(update_fields=["revoked_at"])
    tiers_overrides_settle(on=on, partner_ids=[override.partner_id], actor=actor)


def tiers_overrides_settle(
    *, on: dt.date, partner_ids: Collection[int] | None = None, actor: User = None
) -> int:
    """Return partners whose override has ended to their evaluated tier (an idempotent sweep).

    Looks at partners whose open assignment came from an override that is no longer in force
    on `on`, and applies the policy in force to just those partners.
    """
    policy = policy_in_force(on=on)
    if policy is None:
        return 0
    open_overridden = TierAssignment.objects.filter(
        valid_to__isnull=True, source=AssignmentSource.OVERRIDE, valid_from__lte=on
    )
    if partner_ids is not None:
        open_overridden = open_overridden.filter(partner_id__in=list(partner_ids))
    candidates = set(open_overridden.values_list("partner_id", flat=True))
    if not candidates:
        return 0
    result = tiers_apply(policy=policy, as_of=on, today=on, partner_ids=candidates, actor=actor)
    return result.created + result.corrected


# --- Re-tiering after a change of another domain's figures --------------------------------------


def tiers_reevaluate(
    *, partner_ids: Collection[int], on: dt.date, kind: str, actor: User = None
) -> ApplyResult | None:
    """Apply the policy in force to a few partners whose `kind` figures changed (a training
    import, a no-show correction, an expired completion); the tier changes take effect on `on`.

    Nothing happens when the policy in force has no criterion of that kind, so a training import
    never re-tiers partners under a policy that does not ask for training. Partners whose
    assignment starts after `on` (a change already scheduled) are left alone. Idempotent: an
    unchanged result records nothing.
    """
    policy = policy_in_force(on=on)
    if policy is None or not partner_ids or not policy_uses_kind(policy=policy, kind=kind):
        return None
    scheduled = set(
        TierAssignment.objects.filter(
            partner_id__in=list(partner_ids), valid_to__isnull=True, valid_from__gt=on
        ).values_list("partner_id", flat=True)
    )
    candidates = [partner_id for partner_id in partner_ids if partner_id not in scheduled]
    if not candidates:
        return None
    as_of = max(on, policy.effective_from or on)
    return tiers_apply(policy=policy, as_of=as_of, today=on, partner_ids=candidates, actor=actor)


# --- The daily sweep --------------------------------------------------------------------------


@dataclass
class SweepResult:
    policy: str | None
    applied_policy: bool = False
    new_partners: int = 0
    settled_overrides: int = 0


def tiers_sweep(*, today: dt.date) -> SweepResult:
    """Keep assignments in line with the policy in force; safe to run any number of times.

    1. A published policy whose effective date has come is applied as of its effective date to
       every authorised partner whose open assignment began before that date (publishing with
       a date is the channel manager's decision). It measures the last complete evaluation
       period before the effective date, which has ended by then. A few assignments under the
       policy made before (an override) do not stop the others from being applied.
    2. Authorised partners without an open assignment (new partners) get their evaluated tier.
    3. Partners whose override has ended return to their evaluated tier.
    """
    policy = policy_in_force(on=today)
    if policy is None:
        return SweepResult(policy=None)
    result = SweepResult(policy=policy.reference)
    behind = list(
        Partner.objects.authorized()
        .filter(
            Exists(
                TierAssignment.objects.filter(
                    partner=OuterRef("pk"),
                    valid_to__isnull=True,
                    valid_from__lt=policy.effective_from,
                )
            )
        )
        .values_list("id", flat=True)
    )
    if behind:
        tiers_apply(policy=policy, as_of=policy.effective_from, today=today, partner_ids=behind)
        result.applied_policy = True
    untiered = list(
        Partner.objects.authorized()
        .exclude(
            Exists(TierAssignment.objects.filter(partner=OuterRef("pk"), valid_to__isnull=True))
        )
        .values_list("id", flat=True)
    )
    if untiered:
        result.new_partners = tiers_apply(
            policy=policy, as_of=today, today=today, partner_ids=untiered
        ).created
    result.settled_overrides = tiers_overrides_settle(on=today)
    return result
