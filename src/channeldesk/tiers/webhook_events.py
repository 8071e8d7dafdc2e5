"""The webhook events of the tier programme (docs/webhook-events.md): `partner.tier_changed` for
every new or corrected tier assignment, `programme.published` for a published policy.

Both are emitted inside the transaction of the change. A run over the whole programme asks
first whether anybody wants `partner.tier_changed` (`webhook_type_wanted`), so applying a policy
to 100,000 partners builds no drafts while nobody subscribed; when somebody did, the drafts are
built set-based (a few queries for the partners and tiers) and emitted in one call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from channeldesk.core.json_numbers import json_number
from channeldesk.tiers.models import Tier, TierAssignment, TierPolicy
from channeldesk.webhooks.emit import EventDraft, webhook_events_emit
from channeldesk.webhooks.models import WebhookEvent
from channeldesk.webhooks.payloads import json_instant, partner_refs
from channeldesk.webhooks.wanted import webhook_type_wanted

TIER_CHANGED = "partner.tier_changed"
PROGRAMME_PUBLISHED = "programme.published"
_TIER_FIELDS = ("id", "code", "rank", "name_de", "name_en")


def tier_changes_emit(
    *,
    assignments: Sequence[TierAssignment],
    previous_tier_ids: Mapping[int, int | None],
    corrected_partner_ids: Collection[int] = (),
) -> int:
    """Emit `partner.tier_changed` for `assignments` (saved, all valid from the same day).

    `previous_tier_ids` names, by partner, the tier of the assignment each new one follows;
    a corrected assignment (a re-run on its first day) follows the one that ended that day,
    looked up here. The key is the assignment and its tier, so emitting the same assignment
    again is a no-op; a corrected assignment's key also counts the events its assignment had
    before, so every correction is an event of its own, even one back to a tier it had earlier
    that day (authorized → override gold → revoked: authorized again).
    """
    if not assignments or not webhook_type_wanted(TIER_CHANGED):
        return 0
    valid_from = assignments[0].valid_from
    previous = dict(previous_tier_ids)
    corrected = sorted(corrected_partner_ids)
    for start in range(0, len(corrected), 5000):
        previous.update(
            TierAssignment.objects.filter(
                partner_id__in=corrected[start : start + 5000], valid_to=valid_from
            ).values_list("partner_id", "tier_id")
        )
    tier_ids = {a.tier_id for a in assignments} | {t for t in previous.values() if t is not None}
    tiers = {row["id"]: row for row in Tier.objects.filter(id__in=tier_ids).values(*_TIER_FIELDS)}
    policies = {
        row["id"]: row
        for row in TierPolicy.objects.filter(
            id__in={assignment.policy_id for assignment in assignments}
        ).values("id", "code", "version")
    }
    partners = partner_refs(assignment.partner_id for assignment in assignments)
    corrected_set = set(corrected)
    earlier = _earlier_events(
        [a.pk for a in assignments if a.partner_id in corrected_set], corrected
    )
    drafts = [
        EventDraft(
            type=TIER_CHANGED,
            key=_key(assignment, earlier=earlier[assignment.pk]),
            partner_id=assignment.partner_id,
            data=_tier_changed(
                assignment,
                partner=partners[assignment.partner_id],
                policy=policies[assignment.policy_id],
                tier=tiers[assignment.tier_id],
                previous=tiers.get(previous.get(assignment.partner_id) or 0),
            ),
        )
        for assignment in assignments
    ]
    return webhook_events_emit(drafts)


def _key(assignment: TierAssignment, *, earlier: int) -> str:
    """The idempotency key of a change to `assignment`, the `earlier`-th event about it."""
    key = f"{TIER_CHANGED}:{assignment.pk}:{assignment.tier_id}"
    return f"{key}:{earlier}" if earlier else key


def _earlier_events(assignment_ids: Collection[int], partner_ids: Sequence[int]) -> Counter[int]:
    """How many `partner.tier_changed` events each of `assignment_ids` already has (its keys
    start with `partner.tier_changed:<assignment id>:`), read by partner in a few queries."""
    counts: Counter[int] = Counter()
    wanted = {str(pk) for pk in assignment_ids}
    for start in range(0, len(partner_ids) if wanted else 0, 5000):
        keys = WebhookEvent.objects.filter(
            type=TIER_CHANGED, partner_id__in=partner_ids[start : start + 5000]
        ).values_list("idempotency_key", flat=True)
        for key in keys.iterator(chunk_size=5000):
            parts = key.split(":")
            if len(parts) > 2 and parts[1] in wanted:
                counts[int(parts[1])] += 1
    return counts


def _tier_changed(
    assignment: TierAssignment,
    *,
    partner: Mapping[str, Any],
    policy: Mapping[str, Any],
    tier: Mapping[str, Any],
    previous: Mapping[str, Any] | None,
) -> dict[str, Any]:
    return {
        "partner": partner,
        "assignment_id": assignment.pk,
        "policy": policy,
        "tier": _tier_ref(tier),
        "previous_tier": _tier_ref(previous) if previous is not None else None,
        "valid_from": assignment.valid_from.isoformat(),
        "source": assignment.source,
        "reasons": list(assignment.reasons),
    }


def _tier_ref(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in _TIER_FIELDS if name != "id"}


def programme_published_emit(*, policy: TierPolicy) -> int:
    """Emit `programme.published` for a policy just published (once per policy version)."""
    if not webhook_type_wanted(PROGRAMME_PUBLISHED):
        return 0
    if policy.effective_from is None or policy.published_at is None:
        raise ValueError(f"{policy.reference} is not published.")
    tiers = [
        {
            "code": tier.code,
            "rank": tier.rank,
            "name_de": tier.name_de,
            "name_en": tier.name_en,
            "discount_percent": json_number(tier.discount_percent),
        }
        for tier in policy.tiers.order_by("-rank")
    ]
    data = {
        "policy": {"id": policy.pk, "code": policy.code, "version": policy.version},
        "name_de": policy.name_for("de"),
        "name_en": policy.name_for("en"),
        "effective_from": policy.effective_from.isoformat(),
        "published_at": json_instant(policy.published_at),
        "tiers": tiers,
    }
    draft = EventDraft(
        type=PROGRAMME_PUBLISHED,
        key=f"{PROGRAMME_PUBLISHED}:{policy.pk}",
        data=data,
        occurred_at=policy.published_at,
    )
    return webhook_events_emit([draft])
