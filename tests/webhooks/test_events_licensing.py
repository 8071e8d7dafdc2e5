"""`licence.under_licensed` / `licence.compliant_again` from the compliance scan, and
`keycode.revoked`: emitted with the change, valid, once, gone with a rolled-back change, scoped
to the partner."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest

from channeldesk.contracts.models import Contract
from channeldesk.licensing import webhook_events
from channeldesk.licensing.compliance import compliance_scan
from channeldesk.licensing.models import (
    ComplianceEpisode,
    Installation,
    InstallationState,
    Keycode,
    KeycodeStatus,
)
from channeldesk.licensing.selectors import keycode_masked
from channeldesk.licensing.services import keycode_revoke, keycode_rotate
from channeldesk.webhooks.emit import webhook_events_emit
from channeldesk.webhooks.models import WebhookEvent
from channeldesk.webhooks.payloads import json_instant
from tests.factories import PartnerFactory
from tests.licensing.factories import (
    SECRET_1,
    SECRET_2,
    SIGNING_SEED,
    TODAY,
    enterprise_contract,
    issued,
)
from tests.webhooks.events_world import events, receivers, rolled_back, subscribe, the_event, valid

pytestmark = [pytest.mark.django_db, pytest.mark.today(TODAY.isoformat())]
UNDER = "licence.under_licensed"
AGAIN = "licence.compliant_again"
REVOKED = "keycode.revoked"
DAY = dt.date(2026, 11, 2)
# The default persistence window: under-licensed from the 7th day over seats and tolerance.
STARTED = DAY + dt.timedelta(days=6)


@pytest.fixture(autouse=True)
def _licensing_keys(settings: Any) -> None:
    settings.LICENSING_KEYCODE_KEYS = f"1:{SECRET_1},2:{SECRET_2}"
    settings.LICENSING_KEYCODE_KEY_ID = 1
    settings.LICENSING_KEYCODE_RETIRED_KEY_IDS = []
    settings.LICENSING_SIGNING_KEY = SIGNING_SEED
    settings.LICENSING_SIGNING_KEY_ID = "test-key"


_counter = iter(range(1, 10**9))


def machines(keycode: Keycode, count: int) -> list[Installation]:
    last_seen = DAY + dt.timedelta(days=30)
    return Installation.objects.bulk_create(
        Installation(
            keycode=keycode,
            fingerprint=f"{next(_counter):064x}",
            installation_uuid=uuid.uuid4(),
            first_seen_on=dt.date(2026, 5, 1),
            last_seen_on=last_seen,
            last_seen_at=dt.datetime.combine(last_seen, dt.time(9), tzinfo=dt.UTC),
            state=InstallationState.ACTIVE,
        )
        for _ in range(count)
    )


def scan_days(first: dt.date, days: int) -> None:
    for offset in range(days):
        compliance_scan(day=first + dt.timedelta(days=offset), with_quotes=False)


@pytest.fixture
def licensed(personas: Any) -> tuple[Contract, Keycode]:
    contract = enterprise_contract(personas.partner_a, seats=20)
    return contract, issued(contract).keycode


def test_the_scan_emits_under_licensed_when_an_episode_opens(licensed: Any) -> None:
    contract, keycode = licensed
    subscribe(UNDER, AGAIN)
    machines(keycode, 30)

    scan_days(DAY, 10)
    compliance_scan(day=STARTED)  # the first day again

    event = the_event(UNDER)
    assert event.idempotency_key == f"{UNDER}:{contract.pk}:{STARTED.isoformat()}"
    assert event.partner_id == contract.partner_id
    data = event.data
    assert data["partner"]["partner_number"] == contract.partner.partner_number
    assert data["contract"]["contract_number"] == contract.contract_number
    assert data["contract"]["customer"]["customer_number"] == contract.customer.customer_number
    assert (data["day"], data["under_licensed_since"]) == (STARTED.isoformat(),) * 2
    assert (data["seats"], data["active_installations"], data["missing_seats"]) == (20, 30, 10)
    assert data["status"] in {"under_licensed", "heavily_under_licensed"}
    assert events(AGAIN) == []


def test_the_scan_emits_compliant_again_when_the_episode_closes(licensed: Any) -> None:
    contract, keycode = licensed
    subscribe(UNDER, AGAIN)
    extra = machines(keycode, 10)
    machines(keycode, 20)
    scan_days(DAY, 7)
    Installation.objects.filter(pk__in=[item.pk for item in extra]).update(state="retired")

    recovered = DAY + dt.timedelta(days=7)
    compliance_scan(day=recovered)
    compliance_scan(day=recovered)

    assert ComplianceEpisode.objects.get().ended_on == recovered
    event = the_event(AGAIN)
    assert event.idempotency_key == f"{AGAIN}:{contract.pk}:{STARTED.isoformat()}"
    assert event.data["day"] == recovered.isoformat()
    assert event.data["under_licensed_since"] == STARTED.isoformat()
    assert (event.data["seats"], event.data["active_installations"]) == (20, 20)
    assert event.data["status"] in {"compliant", "near_limit"}
    assert len(events(UNDER)) == 1


def test_a_scan_emits_all_its_transitions_in_one_call(
    personas: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    subscribe(UNDER)
    for number in ("V-1", "V-2", "V-3"):
        machines(issued(enterprise_contract(personas.partner_a, number=number)).keycode, 30)
    calls: list[int] = []

    def counting(drafts: Any, **kwargs: Any) -> int:
        calls.append(len(drafts))
        return webhook_events_emit(drafts, **kwargs)

    monkeypatch.setattr(webhook_events, "webhook_events_emit", counting)

    scan_days(DAY, 7)

    assert calls == [3]
    assert len(events(UNDER)) == 3


def test_a_rolled_back_scan_emits_nothing(licensed: Any) -> None:
    _contract, keycode = licensed
    subscribe(UNDER)
    machines(keycode, 30)
    scan_days(DAY, 6)

    assert rolled_back(lambda: compliance_scan(day=STARTED, with_quotes=False)) == 1

    assert WebhookEvent.objects.count() == 0
    assert not ComplianceEpisode.objects.exists()


def test_transitions_reach_only_their_partners_subscription(personas: Any) -> None:
    alphas = subscribe(UNDER, partner=personas.partner_a)
    betas = subscribe(UNDER, partner=personas.partner_b)
    machines(issued(enterprise_contract(personas.partner_a, number="V-A")).keycode, 30)
    machines(issued(enterprise_contract(personas.partner_b, number="V-B")).keycode, 30)

    scan_days(DAY, 7)

    by_partner = {event.partner_id: event for event in events(UNDER)}
    assert receivers(by_partner[personas.partner_a.pk]) == {alphas.pk}
    assert receivers(by_partner[personas.partner_b.pk]) == {betas.pk}


def test_without_a_subscription_the_scan_builds_no_drafts(
    licensed: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _contract, keycode = licensed
    subscribe(REVOKED)  # somebody listens, but not to the scan

    def refuse(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("drafts built although nobody wants the scan's events")

    monkeypatch.setattr(webhook_events, "webhook_events_emit", refuse)
    monkeypatch.setattr(webhook_events, "contracts_parts", refuse)
    machines(keycode, 30)

    scan_days(DAY, 7)

    assert ComplianceEpisode.objects.count() == 1
    assert WebhookEvent.objects.count() == 0


# --- keycode.revoked ----------------------------------------------------------------------------


def test_revoking_a_keycode_emits_revoked_with_the_masked_code(licensed: Any) -> None:
    contract, keycode = licensed
    subscription = subscribe(REVOKED, partner=contract.partner)
    subscribe(REVOKED, partner=PartnerFactory())

    revoked = keycode_revoke(keycode=keycode, reason="Leaked on a forum")
    with pytest.raises(Exception, match="revoked already"):
        keycode_revoke(keycode=keycode, reason="again")

    event = the_event(REVOKED)
    assert event.idempotency_key == f"{REVOKED}:{keycode.pk}"
    assert event.data["keycode"] == {
        "id": keycode.pk,
        "key_id": keycode.key_id,
        "serial": keycode.serial,
        "masked": keycode_masked(keycode=keycode),
    }
    assert "*****" in event.data["keycode"]["masked"]
    assert event.data["reason"] == "Leaked on a forum"
    assert revoked.revoked_at is not None
    assert event.data["revoked_at"] == json_instant(revoked.revoked_at)
    assert event.data["revoked_at"].endswith("+00:00")
    assert event.data["replaced_by_keycode_id"] is None
    assert receivers(event) == {subscription.pk}


def test_rotating_a_keycode_emits_revoked_naming_the_new_one(licensed: Any) -> None:
    _contract, keycode = licensed
    subscribe(REVOKED)

    new = keycode_rotate(keycode=keycode, reason="Compromised").keycode

    data = valid(the_event(REVOKED))
    assert (data["keycode"]["id"], data["replaced_by_keycode_id"]) == (keycode.pk, new.pk)


def test_a_rolled_back_revocation_emits_nothing(licensed: Any) -> None:
    _contract, keycode = licensed
    subscribe(REVOKED)

    assert rolled_back(lambda: keycode_revoke(keycode=keycode, reason="Leaked")) == 1

    assert WebhookEvent.objects.count() == 0
    assert Keycode.objects.get(pk=keycode.pk).status == KeycodeStatus.ACTIVE


def test_revoking_without_a_subscription_stores_no_event(licensed: Any) -> None:
    _contract, keycode = licensed

    keycode_revoke(keycode=keycode, reason="Leaked")

    assert WebhookEvent.objects.count() == 0
