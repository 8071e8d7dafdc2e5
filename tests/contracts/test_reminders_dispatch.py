"""The dispatcher: due reminders go out once, late ones are caught up, and every reminder is
re-checked at send time (renewed meanwhile, another partner, after the end only if unrenewed)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from channeldesk.contracts.models import Contract, ContractStatus, Reminder, ReminderStatus
from channeldesk.contracts.reminders.dispatch import reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.contracts.reminders.services import reminders_run
from channeldesk.contracts.services import contracts_expire
from channeldesk.notifications.leases import DispatchResult
from channeldesk.notifications.models import OutboxMessage
from tests.contracts.factories import contract_of
from tests.contracts.reminders_world import (
    ADVANCE,
    ADVANCE_DAY,
    AFTER,
    AFTER_DAY,
    COPY,
    LETTER,
    LETTER_DAY,
    PLAN_DAY,
    at,
    events,
    move_customer,
    partner_alpha,
    reminder_of,
    reminders_state,
    world,
)
from tests.factories import PartnerFactory
from tests.tiers.factories import previous_tier

pytestmark = pytest.mark.django_db


def test_a_reminder_goes_out_on_its_due_day_and_not_before() -> None:
    world()
    reminders_plan(today=PLAN_DAY)

    early = reminders_dispatch(today=ADVANCE_DAY - dt.timedelta(days=1))
    on_time = reminders_dispatch(today=ADVANCE_DAY, now=at(ADVANCE_DAY))

    assert early == DispatchResult()
    assert on_time == DispatchResult(claimed=1, sent=1)
    advance = reminder_of("V-1", ADVANCE)
    message = OutboxMessage.objects.get()
    assert (advance.status, advance.late, advance.sent_on, advance.sent_at) == (
        "sent",
        False,
        ADVANCE_DAY,
        at(ADVANCE_DAY),
    )
    assert (advance.recipient, advance.partner.partner_number, advance.message_id) == (
        "vertrieb@alpha.example",
        "P-A",
        message.pk,
    )
    assert (message.idempotency_key, message.to, message.language, message.category) == (
        advance.key,
        ["vertrieb@alpha.example"],
        "de",
        "reminder:partner_advance_notice",
    )
    assert events(advance) == [
        (
            "sent",
            f"E-mail to vertrieb@alpha.example handed to the outbox as {message.message_id}.",
        )
    ]


def test_dispatching_again_sends_nothing_twice(media_root: Path) -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)
    reminders_dispatch(today=LETTER_DAY)
    before = reminders_state()
    messages = list(OutboxMessage.objects.values_list("idempotency_key", flat=True))

    again = reminders_dispatch(today=LETTER_DAY)

    assert again == DispatchResult()
    assert reminders_state() == before
    assert sorted(messages) == sorted(reminder_of("V-1", name).key for name in (ADVANCE, COPY))
    assert OutboxMessage.objects.count() == 2
    assert Reminder.objects.filter(status="sent").count() == 3


def test_after_a_downtime_the_missed_days_are_caught_up_and_marked_late(media_root: Path) -> None:
    """Nothing ran between 1 and 20 November: the letter (due on the 16th, 30 days' grace) goes
    out late; the partner's advance notice (due on the 1st, 14 days' grace) is too late and
    is marked missed, visibly."""
    world()
    reminders_plan(today=PLAN_DAY)
    back = dt.date(2026, 11, 20)

    report = reminders_dispatch(today=back, now=at(back))

    assert report == DispatchResult(claimed=3, sent=2, late=2, missed=1)
    letter, copy, advance = (reminder_of("V-1", name) for name in (LETTER, COPY, ADVANCE))
    assert (letter.status, letter.late, copy.status, copy.late) == ("sent", True, "sent", True)
    assert events(letter)[0][1].endswith(" Sent 4 day(s) late (due on 2026-11-16).")
    assert (advance.status, advance.reason) == ("missed", "Too late.")
    assert events(advance) == [
        ("missed", "Due on 2026-11-01, 19 days ago; the rule sends at most 14 days late.")
    ]


def test_a_contract_renewed_after_planning_gets_no_more_reminders() -> None:
    """An import renewed the contract without a planning run since: the dispatcher sees it."""
    contract = world().contract
    reminders_plan(today=PLAN_DAY)
    contract_of(
        contract.customer, contract_number="V-2", renews=contract, end_date=dt.date(2027, 12, 31)
    )
    Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.RENEWED)

    report = reminders_dispatch(today=ADVANCE_DAY)

    advance = reminder_of("V-1", ADVANCE)
    assert report == DispatchResult(claimed=1, cancelled=1)
    assert (advance.status, advance.reason) == ("cancelled", "Contract renewed.")
    assert events(advance) == [("cancelled", "Contract renewed by V-2.")]
    assert OutboxMessage.objects.count() == 0


def test_a_moved_end_date_seen_at_send_time_cancels_the_old_reminder() -> None:
    contract = world().contract
    reminders_plan(today=PLAN_DAY)
    Contract.objects.filter(pk=contract.pk).update(end_date=dt.date(2027, 3, 31))

    report = reminders_dispatch(today=ADVANCE_DAY)

    assert report == DispatchResult(claimed=1, cancelled=1)
    assert events(reminder_of("V-1", ADVANCE)) == [
        ("cancelled", "End date moved from 2026-12-31 to 2027-03-31.")
    ]


def test_the_partner_looking_after_the_customer_when_sending_gets_the_reminder() -> None:
    """Planned while Alpha looked after the customer; Beta took over before the due day, so
    Beta gets the e-mail, with a quote at Beta's tier."""
    alpha = partner_alpha()
    beta = PartnerFactory(
        partner_number="P-B", name="Beta IT-Service KG", email="info@beta.example"
    )
    previous_tier(alpha, "gold")
    previous_tier(beta, "silver")
    customer = world(partner=alpha).customer
    reminders_plan(today=PLAN_DAY)
    move_customer(customer, beta, on=dt.date(2026, 10, 15))

    reminders_dispatch(today=ADVANCE_DAY)

    advance = reminder_of("V-1", ADVANCE)
    message = OutboxMessage.objects.get()
    assert (advance.partner, advance.recipient, message.to) == (
        beta,
        "info@beta.example",
        ["info@beta.example"],
    )
    assert "(Silber-Partner, 25\u00a0%)" in message.text_body
    assert "Ihr Preis: 1.875,00\u00a0€ netto" in message.text_body


def test_the_reminder_after_the_end_goes_only_to_partners_of_unrenewed_contracts(
    media_root: Path,
) -> None:
    renewed = world(number="V-RENEWED").contract
    world(number="V-LAPSED", customer_number="K-2")
    reminders_plan(today=dt.date(2026, 10, 3))
    contract_of(
        renewed.customer, contract_number="V-NEXT", renews=renewed, end_date=dt.date(2027, 12, 31)
    )
    Contract.objects.filter(pk=renewed.pk).update(status=ContractStatus.RENEWED)
    assert contracts_expire(today=AFTER_DAY) == 1

    reminders_dispatch(today=AFTER_DAY, now=at(AFTER_DAY))

    assert (reminder_of("V-RENEWED", AFTER).status, reminder_of("V-LAPSED", AFTER).status) == (
        "cancelled",
        "sent",
    )
    message = OutboxMessage.objects.get(idempotency_key=reminder_of("V-LAPSED", AFTER).key)
    assert message.subject == (
        "Der Vertrag V-LAPSED Ihres Kunden Müller Maschinenbau GmbH ist ohne Verlängerung "
        "ausgelaufen"
    )


def test_a_partner_without_an_e_mail_address_fails_visibly_and_can_be_released() -> None:
    partner = partner_alpha(email="")
    world(partner=partner)
    reminders_plan(today=PLAN_DAY)

    report = reminders_dispatch(today=ADVANCE_DAY)

    advance = reminder_of("V-1", ADVANCE)
    assert report == DispatchResult(claimed=1, failed=1)
    assert (advance.status, advance.reason) == ("failed", "Partner P-A has no e-mail address.")
    assert OutboxMessage.objects.count() == 0


def test_nobody_looking_after_the_customer_fails_the_reminder() -> None:
    customer = world().customer
    reminders_plan(today=PLAN_DAY)
    customer.assignments.update(valid_to=dt.date(2026, 10, 15))

    reminders_dispatch(today=ADVANCE_DAY)

    assert reminder_of("V-1", ADVANCE).reason == (
        "Nobody looks after customer K-1 on 2026-11-01; assign a partner, then release the "
        "reminder."
    )


def test_the_partners_copy_waits_for_the_customers_letter() -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY)
    Reminder.objects.filter(rule__template=LETTER).update(status=ReminderStatus.REVIEW)

    report = reminders_dispatch(today=LETTER_DAY)

    copy = reminder_of("V-1", COPY)
    assert report == DispatchResult(claimed=1, deferred=1)
    assert (copy.status, copy.reason) == (
        "planned",
        f"Waiting for the customer's letter {reminder_of('V-1', LETTER).key} (review).",
    )
    assert events(copy) == []


def test_the_partners_copy_is_cancelled_when_the_letter_was_not_sent() -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    Reminder.objects.filter(rule__template=LETTER).update(
        status=ReminderStatus.MISSED, reason="Too late."
    )

    reminders_dispatch(today=LETTER_DAY)

    assert events(reminder_of("V-1", COPY)) == [
        (
            "cancelled",
            f"The customer's letter {reminder_of('V-1', LETTER).key} was not sent "
            "(missed: Too late.): nothing to copy.",
        )
    ]


def test_the_whole_run_expires_plans_dispatches_and_lets_the_outbox_send(
    media_root: Path, mailbox: list
) -> None:
    world()

    report = reminders_run(today=ADVANCE_DAY, now=at(ADVANCE_DAY))

    assert (report.expired_contracts, report.plan.planned, report.dispatch.sent) == (0, 4, 1)
    assert report.outbox is not None
    assert report.outbox.sent == 1
    assert [(message.to, message.subject) for message in mailbox] == [
        (
            ["vertrieb@alpha.example"],
            "Ihr Kunde Müller Maschinenbau GmbH erhält in 15 Tagen ein Verlängerungsschreiben",
        )
    ]
    assert reminders_run(today=ADVANCE_DAY).dispatch == DispatchResult()
    assert len(mailbox) == 1


def test_a_contract_first_seen_after_its_end_gets_its_reminders_marked_missed() -> None:
    """Created (or imported) too late: nothing is left out silently. What is still useful,
    the e-mail after the end, goes out; the rest is visibly missed."""
    world(end=dt.date(2026, 10, 31))

    report = reminders_run(today=dt.date(2026, 11, 1), dispatch_outbox=False)

    assert (report.expired_contracts, report.outbox) == (1, None)
    assert report.dispatch == DispatchResult(claimed=4, sent=1, missed=3)
    assert {
        template: reminder_of("V-1", template).status for template in (ADVANCE, LETTER, COPY, AFTER)
    } == {ADVANCE: "missed", LETTER: "missed", COPY: "missed", AFTER: "sent"}
