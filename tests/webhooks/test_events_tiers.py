"""`partner.tier_changed` and `programme.published`: emitted with the change, valid against their
payload models, once per change, gone with a rolled-back change, scoped to the partner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from channeldesk.partners.models import Partner
from channeldesk.tiers import webhook_events
from channeldesk.tiers.models import AssignmentSource, TierAssignment, TierPolicy
from channeldesk.tiers.selectors import policy_get
from channeldesk.tiers.services import (
    tier_override_create,
    tier_override_revoke,
    tier_policy_publish,
    tiers_apply,
)
from channeldesk.webhooks.models import WebhookEvent
from tests.factories import PartnerFactory
from tests.tiers.factories import AS_OF, previous_tier
from tests.webhooks.events_world import events, receivers, rolled_back, subscribe, the_event, valid

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-07-02")]
TIER_CHANGED = "partner.tier_changed"
PUBLISHED = "programme.published"


@pytest.fixture
def published() -> TierPolicy:
    return tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)


def test_applying_a_policy_emits_each_tier_change_with_its_reasons(published: TierPolicy) -> None:
    subscription = subscribe(TIER_CHANGED)
    partner: Partner = PartnerFactory(partner_number="P-7", name="Sieben GmbH")
    previous_tier(partner, "silver")

    tiers_apply(policy=published)

    event = the_event(TIER_CHANGED)
    assignment = TierAssignment.objects.get(partner=partner, policy=published)
    assert event.idempotency_key == f"{TIER_CHANGED}:{assignment.pk}:{assignment.tier_id}"
    assert event.partner_id == partner.pk
    data = event.data
    assert data["partner"] == {"id": partner.pk, "partner_number": "P-7", "name": "Sieben GmbH"}
    assert data["assignment_id"] == assignment.pk
    assert data["policy"] == {"id": published.pk, "code": "default", "version": published.version}
    assert data["tier"]["code"] == assignment.tier.code
    assert data["previous_tier"]["code"] == "silver"
    assert data["valid_from"] == AS_OF.isoformat()
    assert data["source"] == AssignmentSource.EVALUATION
    assert data["reasons"] == assignment.reasons
    assert data["reasons"], "the stored reasons travel with the event"
    assert receivers(event) == {subscription.pk}


def test_applying_again_emits_nothing_more(published: TierPolicy) -> None:
    subscribe(TIER_CHANGED)
    previous_tier(PartnerFactory(), "silver")
    tiers_apply(policy=published)

    tiers_apply(policy=published)
    # Even emitting the same assignments again adds nothing: the key is taken.
    with transaction.atomic():
        again = webhook_events.tier_changes_emit(
            assignments=list(TierAssignment.objects.filter(policy=published)),
            previous_tier_ids={},
        )

    assert again == 0
    assert len(events(TIER_CHANGED)) == 1


def test_a_rolled_back_application_leaves_no_event(published: TierPolicy) -> None:
    subscribe(TIER_CHANGED)
    previous_tier(PartnerFactory(), "silver")

    assert rolled_back(lambda: tiers_apply(policy=published)) == 1

    assert WebhookEvent.objects.count() == 0
    assert not TierAssignment.objects.filter(policy=published).exists()


def test_a_partners_subscription_receives_only_that_partners_changes(
    published: TierPolicy,
) -> None:
    alpha: Partner = PartnerFactory()
    beta: Partner = PartnerFactory()
    previous_tier(alpha, "silver")
    previous_tier(beta, "silver")
    vendor = subscribe(TIER_CHANGED, name="Vendor CRM")
    alphas = subscribe(TIER_CHANGED, partner=alpha, name="Alpha PSA")

    tiers_apply(policy=published)

    by_partner = {event.partner_id: event for event in events(TIER_CHANGED)}
    assert receivers(by_partner[alpha.pk]) == {vendor.pk, alphas.pk}
    assert receivers(by_partner[beta.pk]) == {vendor.pk}


def test_a_partner_subscription_alone_stores_only_its_partners_events(
    published: TierPolicy,
) -> None:
    alpha: Partner = PartnerFactory()
    beta: Partner = PartnerFactory()
    previous_tier(alpha, "silver")
    previous_tier(beta, "silver")
    subscribe(TIER_CHANGED, partner=alpha)

    tiers_apply(policy=published)

    assert [event.partner_id for event in events(TIER_CHANGED)] == [alpha.pk]


def test_without_a_subscription_no_event_and_no_drafts_are_made(
    published: TierPolicy, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe("contract.renewed")  # somebody listens, but not to tier changes

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("drafts built although nobody wants tier changes")

    monkeypatch.setattr(webhook_events, "webhook_events_emit", refuse)
    monkeypatch.setattr(webhook_events, "partner_refs", refuse)
    previous_tier(PartnerFactory(), "silver")

    result = tiers_apply(policy=published)

    assert result.created == 1
    assert WebhookEvent.objects.count() == 0


def test_an_override_emits_a_change_with_its_reason(published: TierPolicy) -> None:
    subscribe(TIER_CHANGED)
    partner: Partner = PartnerFactory()
    previous_tier(partner, "silver")

    tier_override_create(
        partner=partner, tier_code="gold", reason="Strategic account", valid_from=AS_OF
    )

    data = valid(the_event(TIER_CHANGED))
    assert (data["source"], data["tier"]["code"]) == (AssignmentSource.OVERRIDE, "gold")
    assert {"override": "Strategic account"} in data["reasons"]


def test_publishing_a_programme_reaches_every_subscription_that_asked(
    personas: Any,
) -> None:
    vendor = subscribe(PUBLISHED)
    partners = subscribe(PUBLISHED, partner=personas.partner_a)
    subscribe(TIER_CHANGED, partner=personas.partner_b)
    policy = policy_get(reference="default")

    tier_policy_publish(policy=policy, effective_from=AS_OF)
    with pytest.raises(Exception, match="already published"):
        tier_policy_publish(policy=policy, effective_from=AS_OF)

    event = the_event(PUBLISHED)
    policy.refresh_from_db()
    assert event.idempotency_key == f"{PUBLISHED}:{policy.pk}"
    assert event.partner_id is None
    assert event.data["policy"] == {"id": policy.pk, "code": "default", "version": 1}
    assert event.data["effective_from"] == AS_OF.isoformat()
    ranks = [tier["rank"] for tier in event.data["tiers"]]
    assert ranks == sorted(ranks, reverse=True)
    assert len(ranks) == policy.tiers.count()
    assert receivers(event) == {vendor.pk, partners.pk}


def test_a_rolled_back_publication_leaves_no_event() -> None:
    subscribe(PUBLISHED)
    policy = policy_get(reference="default")

    assert (
        rolled_back(
            lambda: tier_policy_publish(policy=policy, effective_from=AS_OF + dt.timedelta(days=1))
        )
        == 1
    )

    assert WebhookEvent.objects.count() == 0


def test_publishing_without_a_subscription_stores_nothing() -> None:
    tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)

    assert WebhookEvent.objects.count() == 0


def test_a_tier_changed_back_on_the_same_day_is_an_event_of_its_own(
    published: TierPolicy,
) -> None:
    """Evaluated tier → override to gold → override revoked, all on one day: the assignment is
    corrected in place twice, and the third change (back to the first tier) is still told."""
    subscribe(TIER_CHANGED)
    partner: Partner = PartnerFactory()
    previous_tier(partner, "silver")
    tiers_apply(policy=published)
    assignment = TierAssignment.objects.get(partner=partner, policy=published)
    evaluated = assignment.tier.code
    assert evaluated != "gold"

    override = tier_override_create(
        partner=partner, tier_code="gold", reason="Strategic account", valid_from=AS_OF
    )
    tier_override_revoke(override=override, on=AS_OF)

    assignment.refresh_from_db()
    assert assignment.tier.code == evaluated, "corrected in place, back to the evaluated tier"
    told = [valid(event) for event in sorted(events(TIER_CHANGED), key=lambda e: e.pk)]
    assert [data["tier"]["code"] for data in told] == [evaluated, "gold", evaluated]
    assert {data["assignment_id"] for data in told} == {assignment.pk}
    assert len({event.idempotency_key for event in events(TIER_CHANGED)}) == 3
    # Emitting the corrected assignment once more still adds nothing.
    with transaction.atomic():
        again = webhook_events.tier_changes_emit(assignments=[assignment], previous_tier_ids={})
    assert again == 0
