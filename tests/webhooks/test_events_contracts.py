"""`contract.renewal_due` (at the reminder dates), `contract.renewed` and `contract.expired`:
emitted with the change, valid, once, gone with a rolled-back change, scoped to the partner
that looks after the customer."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from channeldesk.contracts import webhook_events
from channeldesk.contracts.models import Contract, ContractStatus, Reminder, ReminderStatus
from channeldesk.contracts.reminders.dispatch import reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.contracts.reminders.services import reminders_run
from channeldesk.contracts.services import contract_renew, contracts_expire
from channeldesk.partners.models import Partner
from channeldesk.webhooks.models import WebhookEvent
from tests.contracts.factories import contract_of, customer_of
from tests.contracts.reminders_world import (
    ADVANCE_DAY,
    END,
    LETTER_DAY,
    PLAN_DAY,
    at,
    move_customer,
    world,
)
from tests.factories import PartnerFactory
from tests.webhooks.events_world import events, receivers, rolled_back, subscribe, the_event, valid

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-10-01")]
DUE = "contract.renewal_due"
RENEWED = "contract.renewed"
EXPIRED = "contract.expired"


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)


# --- contract.renewal_due -----------------------------------------------------------------------


def test_a_sent_reminder_emits_renewal_due_once_per_reminder_date(media_root: Path) -> None:
    # Given a contract whose -45 letter and partner copy share their date,
    subscribe(DUE)
    the = world()
    reminders_plan(today=PLAN_DAY)

    # when the reminders of -60 and of -45 go out (and the dispatcher runs again),
    reminders_dispatch(today=ADVANCE_DAY, now=at(ADVANCE_DAY))
    reminders_dispatch(today=LETTER_DAY, now=at(LETTER_DAY))
    reminders_dispatch(today=LETTER_DAY, now=at(LETTER_DAY))

    # then there is one event per reminder date, the letter day's for both of its reminders.
    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 3
    found = events(DUE)
    assert [event.idempotency_key for event in found] == [
        f"{DUE}:{the.contract.pk}:{ADVANCE_DAY.isoformat()}",
        f"{DUE}:{the.contract.pk}:{LETTER_DAY.isoformat()}",
    ]
    data = valid(found[1])
    assert data["partner"]["partner_number"] == "P-A"
    assert data["contract"]["contract_number"] == "V-1"
    assert data["contract"]["customer"]["customer_number"] == "K-1"
    assert data["contract"]["product"]["sku"] == "ENT-100"
    assert data["contract"]["end_date"] == END.isoformat()
    assert (data["reminder_date"], data["days_from_end"]) == (LETTER_DAY.isoformat(), -45)
    assert found[0].occurred_at == at(ADVANCE_DAY)


def test_renewal_due_reaches_the_partner_looking_after_the_customer() -> None:
    alpha = subscribe(DUE, partner=PartnerFactory(partner_number="P-A", name="Alpha"))
    the = world()
    beta_partner: Partner = PartnerFactory(partner_number="P-B")
    betas = subscribe(DUE, partner=beta_partner)
    move_customer(the.customer, beta_partner, on=PLAN_DAY)
    reminders_plan(today=PLAN_DAY)

    reminders_dispatch(today=ADVANCE_DAY, now=at(ADVANCE_DAY))

    event = the_event(DUE)
    assert event.partner_id == beta_partner.pk
    assert receivers(event) == {betas.pk}
    assert alpha.pk not in receivers(event)


def test_a_reminder_that_is_not_sent_emits_nothing() -> None:
    subscribe(DUE)
    the = world()
    reminders_plan(today=PLAN_DAY)
    contract_renew(contract=the.contract, contract_number="V-2", end_date=dt.date(2027, 12, 31))

    reminders_dispatch(today=ADVANCE_DAY, now=at(ADVANCE_DAY))

    assert events(DUE) == []


def test_without_a_subscription_sending_stores_no_event() -> None:
    world()
    reminders_plan(today=PLAN_DAY)

    reminders_dispatch(today=ADVANCE_DAY, now=at(ADVANCE_DAY))

    assert Reminder.objects.filter(status=ReminderStatus.SENT).count() == 1
    assert WebhookEvent.objects.count() == 0


# --- contract.renewed ---------------------------------------------------------------------------


def test_renewing_emits_renewed_with_both_contracts() -> None:
    vendor = subscribe(RENEWED)
    the = world()
    others = subscribe(RENEWED, partner=PartnerFactory())

    follow_up = contract_renew(
        contract=the.contract, contract_number="V-2", end_date=dt.date(2027, 12, 31)
    )

    event = the_event(RENEWED)
    assert event.idempotency_key == f"{RENEWED}:{the.contract.pk}:2027-12-31"
    assert event.partner_id == the.partner.pk
    assert event.data["contract"]["contract_number"] == "V-1"
    assert event.data["renewal"] == {
        "id": follow_up.pk,
        "contract_number": "V-2",
        "customer": {"id": the.customer.pk, "customer_number": "K-1", "name": the.customer.name},
        "product": {"id": follow_up.product_id, "sku": "ENT-100"},
        "seats": 25,
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
    }
    assert receivers(event) == {vendor.pk}
    assert others.pk not in receivers(event)


def test_a_refused_or_rolled_back_renewal_emits_nothing() -> None:
    subscribe(RENEWED)
    the = world()

    assert (
        rolled_back(
            lambda: contract_renew(
                contract=the.contract, contract_number="V-2", end_date=dt.date(2027, 1, 31)
            )
        )
        == 1
    )
    contract_renew(contract=the.contract, contract_number="V-3", end_date=dt.date(2027, 6, 30))
    with pytest.raises(Exception, match="renewed"):
        contract_renew(contract=the.contract, contract_number="V-4", end_date=dt.date(2027, 9, 30))

    assert [event.data["renewal"]["contract_number"] for event in events(RENEWED)] == ["V-3"]


def test_renewing_without_a_subscription_stores_no_event() -> None:
    the = world()

    contract_renew(contract=the.contract, contract_number="V-2", end_date=dt.date(2027, 12, 31))

    assert WebhookEvent.objects.count() == 0


# --- contract.expired ---------------------------------------------------------------------------


def test_the_expiry_sweep_emits_expired_once_per_contract_and_end() -> None:
    subscribe(EXPIRED)
    partner: Partner = PartnerFactory(partner_number="P-E")
    customer = customer_of(partner, customer_number="K-E")
    ended = [
        contract_of(customer, contract_number=f"V-{day}", end_date=dt.date(2026, 9, day))
        for day in (28, 29, 30)
    ]
    running = contract_of(customer, contract_number="V-RUNS", end_date=dt.date(2026, 10, 1))

    first = contracts_expire(today=dt.date(2026, 10, 1))
    second = contracts_expire(today=dt.date(2026, 10, 1))

    assert (first, second) == (3, 0)
    found = events(EXPIRED)
    assert [event.idempotency_key for event in found] == [
        f"{EXPIRED}:{contract.pk}:{contract.end_date.isoformat()}" for contract in ended
    ]
    data = valid(found[2])
    assert data["partner"]["partner_number"] == "P-E"
    assert (data["contract"]["contract_number"], data["expired_on"]) == ("V-30", "2026-10-01")
    running.refresh_from_db()
    assert running.status == ContractStatus.ACTIVE


def test_the_daily_reminders_run_emits_expired() -> None:
    subscribe(EXPIRED)
    the = world(end=dt.date(2026, 9, 30))

    reminders_run(today=dt.date(2026, 10, 2), dispatch_outbox=False)

    assert the_event(EXPIRED).data["contract"]["id"] == the.contract.pk
    assert Contract.objects.get(pk=the.contract.pk).status == ContractStatus.EXPIRED


def test_a_rolled_back_expiry_emits_nothing() -> None:
    subscribe(EXPIRED)
    world(end=dt.date(2026, 9, 30))

    assert rolled_back(lambda: contracts_expire(today=dt.date(2026, 10, 1))) == 1

    assert WebhookEvent.objects.count() == 0
    assert Contract.objects.get().status == ContractStatus.ACTIVE


def test_expired_reaches_only_the_partners_own_subscription() -> None:
    alpha: Partner = PartnerFactory()
    beta: Partner = PartnerFactory()
    alphas = subscribe(EXPIRED, partner=alpha)
    betas = subscribe(EXPIRED, partner=beta)
    contract_of(customer_of(alpha), end_date=dt.date(2026, 9, 30))

    contracts_expire(today=dt.date(2026, 10, 1))

    event = the_event(EXPIRED)
    assert receivers(event) == {alphas.pk}
    assert betas.pk not in receivers(event)


def test_expiring_without_a_subscription_builds_no_drafts(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(**kwargs: Any) -> int:
        raise AssertionError("drafts built although nobody wants contract.expired")

    monkeypatch.setattr("channeldesk.contracts.services.contracts_expired_emit", refuse)
    monkeypatch.setattr(webhook_events, "contracts_parts", refuse)
    world(end=dt.date(2026, 9, 30))

    assert contracts_expire(today=dt.date(2026, 10, 1)) == 1
    assert WebhookEvent.objects.count() == 0
