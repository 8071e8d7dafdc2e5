"""`usage.statement_issued` from closing a month, and `training.completion_expiring` from the
expiry notice sweep: emitted with the change, valid, once, gone with a rolled-back change,
scoped to the partner."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from channeldesk.partners.models import Partner
from channeldesk.training import webhook_events as training_events
from channeldesk.training.models import Enrollment
from channeldesk.training.services import training_sweep
from channeldesk.usage import webhook_events as usage_events
from channeldesk.usage.closing import period_close
from channeldesk.usage.ingest import usage_events_ingest
from channeldesk.usage.models import Statement
from channeldesk.webhooks.emit import webhook_events_emit
from channeldesk.webhooks.models import WebhookEvent
from tests.factories import PartnerFactory
from tests.personas import Personas
from tests.tiers.factories import previous_tier
from tests.training.factories import record
from tests.usage.factories import after_grace, at, event, metered_contract
from tests.webhooks.events_world import events, receivers, rolled_back, subscribe, the_event, valid

pytestmark = pytest.mark.django_db
ISSUED = "usage.statement_issued"
EXPIRING = "training.completion_expiring"
OCTOBER = dt.date(2026, 10, 1)
SWEEP_DAY = dt.date(2026, 9, 1)


# --- usage.statement_issued ---------------------------------------------------------------------


@pytest.fixture
def metered(personas: Personas) -> Personas:
    """Partner A (Silver) and partner B (Gold) each with a metered contract used in October."""
    previous_tier(personas.partner_a, "silver")
    previous_tier(personas.partner_b, "gold")
    metered_contract(personas.partner_a, key="SUB-A")
    metered_contract(personas.partner_b, key="SUB-B")
    usage_events_ingest(
        events=[
            event("a1", "u1", at(1), key="SUB-A"),
            event("a2", "u2", at(2), key="SUB-A"),
            event("a3", "u1", at(3), key="SUB-A"),
            event("a4", "u2", at(3), key="SUB-A"),
            event("b1", "u1", at(5), key="SUB-B"),
        ]
    )
    return personas


@pytest.mark.today("2026-11-10")
def test_closing_a_month_emits_each_statement_in_one_call(
    metered: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    vendor = subscribe(ISSUED)
    alphas = subscribe(ISSUED, partner=metered.partner_a)
    calls: list[int] = []

    def counting(drafts: Any, **kwargs: Any) -> int:
        calls.append(len(drafts))
        return webhook_events_emit(drafts, **kwargs)

    monkeypatch.setattr(usage_events, "webhook_events_emit", counting)

    period_close(month=OCTOBER, now=after_grace())
    period_close(month=OCTOBER, now=after_grace())

    assert calls == [2]
    by_partner = {event.partner_id: event for event in events(ISSUED)}
    statement = Statement.objects.get(partner=metered.partner_a)
    alpha = by_partner[metered.partner_a.pk]
    assert alpha.idempotency_key == f"{ISSUED}:{statement.pk}"
    assert valid(alpha) == {
        "partner": {
            "id": metered.partner_a.pk,
            "partner_number": metered.partner_a.partner_number,
            "name": metered.partner_a.name,
        },
        "statement_id": statement.pk,
        "number": statement.number,
        "period": "2026-10-01",
        "issued_at": statement.issued_at.isoformat(),
        "currency": "EUR",
        # 4 user-days at 0.50 € = 2 € list, less Silver's 25 %: 1.50 €, an exact string.
        "list_total": 2,
        "net_total": "1.50",
        "lines": 1,
    }
    assert receivers(alpha) == {vendor.pk, alphas.pk}
    assert receivers(by_partner[metered.partner_b.pk]) == {vendor.pk}


@pytest.mark.today("2026-11-10")
def test_a_rolled_back_closing_emits_nothing(metered: Personas) -> None:
    subscribe(ISSUED)

    assert rolled_back(lambda: period_close(month=OCTOBER, now=after_grace())) == 2

    assert WebhookEvent.objects.count() == 0
    assert Statement.objects.count() == 0


@pytest.mark.today("2026-11-10")
def test_closing_without_a_subscription_builds_no_drafts(
    metered: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("drafts built although nobody wants statements")

    monkeypatch.setattr(usage_events, "webhook_events_emit", refuse)
    monkeypatch.setattr(usage_events, "partner_refs", refuse)

    period_close(month=OCTOBER, now=after_grace())

    assert Statement.objects.count() == 2
    assert WebhookEvent.objects.count() == 0


# --- training.completion_expiring ---------------------------------------------------------------


@pytest.mark.today(SWEEP_DAY.isoformat())
def test_the_expiry_sweep_emits_each_expiring_completion_once() -> None:
    subscription = subscribe(EXPIRING)
    partner: Partner = PartnerFactory(partner_number="P-T", email="")  # no e-mail: still an event
    due = record(partner, session_date=dt.date(2024, 10, 31), person="erika")
    record(partner, session_date=dt.date(2024, 11, 1), person="max")  # 61 days: not yet

    training_sweep(today=SWEEP_DAY)
    training_sweep(today=SWEEP_DAY)

    event = the_event(EXPIRING)
    due = Enrollment.objects.select_related("participant", "course").get(pk=due.pk)
    assert due.valid_until is not None
    assert event.idempotency_key == f"{EXPIRING}:{due.pk}:{due.valid_until.isoformat()}"
    assert event.data == {
        "partner": {"id": partner.pk, "partner_number": "P-T", "name": partner.name},
        "enrollment_id": due.pk,
        "participant": {"id": due.participant_id, "name": due.participant.name},
        "course": {
            "id": due.course_id,
            "code": due.course.code,
            "name_de": due.course.name_de,
            "name_en": due.course.name_en,
        },
        "session_date": "2024-10-31",
        "valid_until": due.valid_until.isoformat(),
        "last_valid_day": (due.valid_until - dt.timedelta(days=1)).isoformat(),
    }
    assert receivers(event) == {subscription.pk}


@pytest.mark.today(SWEEP_DAY.isoformat())
def test_expiring_reaches_only_the_partners_own_subscription() -> None:
    alpha: Partner = PartnerFactory()
    beta: Partner = PartnerFactory()
    alphas = subscribe(EXPIRING, partner=alpha)
    subscribe(EXPIRING, partner=beta)
    record(alpha, session_date=dt.date(2024, 10, 31))

    training_sweep(today=SWEEP_DAY)

    assert receivers(the_event(EXPIRING)) == {alphas.pk}


@pytest.mark.today(SWEEP_DAY.isoformat())
def test_a_rolled_back_sweep_emits_nothing() -> None:
    subscribe(EXPIRING)
    due = record(PartnerFactory(), session_date=dt.date(2024, 10, 31))

    assert rolled_back(lambda: training_sweep(today=SWEEP_DAY)) == 1

    assert WebhookEvent.objects.count() == 0
    due.refresh_from_db()
    assert due.expiry_notified_on is None


@pytest.mark.today(SWEEP_DAY.isoformat())
def test_the_sweep_without_a_subscription_builds_no_drafts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("drafts built although nobody wants expiring completions")

    monkeypatch.setattr(training_events, "webhook_events_emit", refuse)
    record(PartnerFactory(), session_date=dt.date(2024, 10, 31))

    assert training_sweep(today=SWEEP_DAY).expiry_notices == 1
    assert WebhookEvent.objects.count() == 0
