"""Planning: the exact rows, idempotent re-planning, and re-deriving from changed contracts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from channeldesk.contracts.imports import CONTRACTS_IMPORTER
from channeldesk.contracts.models import (
    Contract,
    ContractStatus,
    Reminder,
    ReminderRule,
    ReminderSchedule,
    ReminderStatus,
)
from channeldesk.contracts.reminders.planning import ReminderPlanResult, reminders_plan
from channeldesk.contracts.reminders.schedules import schedule_install_default
from channeldesk.contracts.services import (
    ContractError,
    contract_cancel,
    contract_change_end_date,
    contract_renew,
)
from tests.contracts.factories import contract_of
from tests.contracts.reminders_world import (
    ADVANCE,
    AFTER,
    COPY,
    END,
    LETTER,
    PLAN_DAY,
    at,
    events,
    reminder_of,
    reminders_state,
    rows,
    world,
)
from tests.imports.helpers import run_import

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


def test_the_default_schedule_exists_after_migrate() -> None:
    schedule = ReminderSchedule.objects.get()

    assert (schedule.name, schedule.effective_from) == ("Renewal reminders", dt.date(2026, 4, 1))
    assert list(
        ReminderRule.objects.order_by("offset_days", "channel").values_list(
            "offset_days", "audience", "channel", "template", "grace_days", "is_active"
        )
    ) == [
        (-60, "partner", "email", ADVANCE, 14, True),
        (-45, "partner", "email", COPY, 30, True),
        (-45, "customer", "letter", LETTER, 30, True),
        (1, "partner", "email", AFTER, 14, True),
    ]


def test_planning_writes_one_row_per_rule_due_within_the_horizon() -> None:
    world()

    report = reminders_plan(today=PLAN_DAY, now=at(PLAN_DAY))

    assert report == ReminderPlanResult(planned=3, replanned=0, cancelled=0)
    assert rows() == [
        ("V-1", ADVANCE, END, -60, dt.date(2026, 11, 1), "planned"),
        ("V-1", COPY, END, -45, dt.date(2026, 11, 16), "planned"),
        ("V-1", LETTER, END, -45, dt.date(2026, 11, 16), "planned"),
    ]


def test_the_reminder_after_the_end_is_planned_once_it_comes_within_the_horizon() -> None:
    world()
    reminders_plan(today=PLAN_DAY)

    report = reminders_plan(today=dt.date(2026, 10, 3))

    assert report == ReminderPlanResult(planned=1)
    assert rows()[-1] == ("V-1", AFTER, END, 1, dt.date(2027, 1, 1), "planned")


def test_planning_again_changes_nothing() -> None:
    world()
    reminders_plan(today=PLAN_DAY, now=at(PLAN_DAY))
    before = reminders_state()

    report = reminders_plan(today=PLAN_DAY, now=at(PLAN_DAY, hour=10))

    assert report == ReminderPlanResult()
    assert reminders_state() == before


def test_a_contract_ending_before_the_schedule_starts_gets_nothing() -> None:
    world(number="V-MARCH", end=dt.date(2026, 3, 31))
    world(number="V-APRIL", end=dt.date(2026, 4, 1), customer_number="K-2")

    reminders_plan(today=dt.date(2026, 2, 15))

    assert [(number, template) for number, template, *_ in rows()] == [
        ("V-APRIL", ADVANCE),
        ("V-APRIL", COPY),
        ("V-APRIL", LETTER),
        ("V-APRIL", AFTER),
    ]


def test_a_later_schedule_takes_over_for_contracts_ending_from_its_date() -> None:
    world(number="V-DEC", end=END)
    world(number="V-JAN", end=dt.date(2027, 1, 15), customer_number="K-2")
    letters_only = ReminderSchedule.objects.create(
        name="Letters only", effective_from=dt.date(2027, 1, 1)
    )
    ReminderRule.objects.create(
        schedule=letters_only,
        offset_days=-30,
        audience="customer",
        channel="letter",
        template=LETTER,
    )

    reminders_plan(today=dt.date(2026, 12, 1))

    assert [(number, template, offset) for number, template, _, offset, *_ in rows()] == [
        ("V-DEC", ADVANCE, -60),
        ("V-DEC", COPY, -45),
        ("V-DEC", LETTER, -45),
        ("V-DEC", AFTER, 1),
        ("V-JAN", LETTER, -30),
    ]


def test_only_the_reminder_after_the_end_is_planned_for_an_expired_contract() -> None:
    contract = world(end=dt.date(2026, 9, 30)).contract
    Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.EXPIRED)

    reminders_plan(today=PLAN_DAY)

    assert rows() == [("V-1", AFTER, dt.date(2026, 9, 30), 1, dt.date(2026, 10, 1), "planned")]


# The contract services compare with today: the world's planning day.
@pytest.mark.today(PLAN_DAY.isoformat())
def test_renewing_cancels_the_planned_reminders_in_the_same_transaction() -> None:
    contract = world().contract
    reminders_plan(today=PLAN_DAY)

    inside: dict[str, str] = {}

    def renew_then_fail() -> None:
        with transaction.atomic():
            contract_renew(contract=contract, contract_number="V-2", end_date=dt.date(2027, 12, 31))
            inside.update({template: status for _, template, *_, status in rows()})
            raise Boom

    with pytest.raises(Boom):
        renew_then_fail()

    assert inside == {ADVANCE: "cancelled", COPY: "cancelled", LETTER: "cancelled"}
    assert {status for *_, status in rows()} == {"planned"}
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.ACTIVE

    contract_renew(contract=contract, contract_number="V-2", end_date=dt.date(2027, 12, 31))
    letter = reminder_of("V-1", LETTER)
    assert (letter.status, letter.reason) == ("cancelled", "Contract renewed.")
    assert events(letter) == [("cancelled", "Contract renewed by V-2.")]


def test_a_renewal_that_fails_while_planning_keeps_the_contract_and_its_reminders(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    contract = world().contract
    reminders_plan(today=PLAN_DAY)
    before = reminders_state()

    def fail(**_: object) -> None:
        raise Boom

    monkeypatch.setattr("channeldesk.contracts.services.reminders_plan", fail)
    with pytest.raises(Boom):
        contract_renew(contract=contract, contract_number="V-2", end_date=dt.date(2027, 12, 31))

    assert reminders_state() == before
    assert list(Contract.objects.values_list("contract_number", "status")) == [("V-1", "active")]


def test_cancelling_a_contract_cancels_its_planned_reminders_with_the_reason() -> None:
    contract = world().contract
    reminders_plan(today=PLAN_DAY)

    contract_cancel(contract=contract, reason="Customer switched vendors")

    assert {status for *_, status in rows()} == {"cancelled"}
    assert events(reminder_of("V-1", ADVANCE)) == [
        ("cancelled", "Contract cancelled: Customer switched vendors")
    ]


def test_a_refused_cancellation_changes_no_reminder() -> None:
    contract = world().contract
    reminders_plan(today=PLAN_DAY)
    contract_cancel(contract=contract, reason="Customer switched vendors")
    before = reminders_state()

    with pytest.raises(ContractError):
        contract_cancel(contract=contract, reason="again")

    assert reminders_state() == before


def test_changing_the_end_date_cancels_the_old_reminders_and_plans_the_new_ones() -> None:
    """The service plans with the real today; every new reminder is due well before it."""
    contract = world().contract
    reminders_plan(today=PLAN_DAY)
    new_end = dt.date(2026, 8, 31)

    contract_change_end_date(contract=contract, end_date=new_end)

    assert rows() == [
        ("V-1", ADVANCE, new_end, -60, dt.date(2026, 7, 2), "planned"),
        ("V-1", COPY, new_end, -45, dt.date(2026, 7, 17), "planned"),
        ("V-1", LETTER, new_end, -45, dt.date(2026, 7, 17), "planned"),
        ("V-1", AFTER, new_end, 1, dt.date(2026, 9, 1), "planned"),
        ("V-1", ADVANCE, END, -60, dt.date(2026, 11, 1), "cancelled"),
        ("V-1", COPY, END, -45, dt.date(2026, 11, 16), "cancelled"),
        ("V-1", LETTER, END, -45, dt.date(2026, 11, 16), "cancelled"),
    ]
    old = Reminder.objects.get(rule__template=LETTER, contract_end_date=END)
    assert events(old) == [
        ("cancelled", "End date moved from 2026-12-31 to 2026-08-31; re-planned for the new date.")
    ]


def test_planning_picks_up_what_an_import_changed() -> None:
    """The import writes contracts set-based, without the services: the next run re-derives."""
    renewed = world(number="V-1").contract
    world(number="V-MOVED", customer_number="K-2")
    reminders_plan(today=PLAN_DAY)
    content = (
        b"contract_number;customer_number;partner_number;sku;seats;start_date;end_date;"
        b"renews_contract_number\n"
        b"V-2;K-1;P-A;ENT-100;25;01.01.2027;31.12.2027;V-1\n"
        b"V-MOVED;K-2;P-A;ENT-100;25;01.01.2026;30.11.2026;\n"
    )
    assert run_import(CONTRACTS_IMPORTER, content).problems == []

    report = reminders_plan(today=PLAN_DAY)

    assert report == ReminderPlanResult(planned=4, replanned=0, cancelled=6)
    assert Contract.objects.get(pk=renewed.pk).status == ContractStatus.RENEWED
    assert [(number, template, end, status) for number, template, end, _, _, status in rows()] == [
        ("V-1", ADVANCE, END, "cancelled"),
        ("V-1", COPY, END, "cancelled"),
        ("V-1", LETTER, END, "cancelled"),
        ("V-MOVED", ADVANCE, dt.date(2026, 11, 30), "planned"),
        ("V-MOVED", COPY, dt.date(2026, 11, 30), "planned"),
        ("V-MOVED", LETTER, dt.date(2026, 11, 30), "planned"),
        ("V-MOVED", ADVANCE, END, "cancelled"),
        ("V-MOVED", COPY, END, "cancelled"),
        ("V-MOVED", LETTER, END, "cancelled"),
        ("V-MOVED", AFTER, dt.date(2026, 11, 30), "planned"),
    ]


def test_a_rule_switched_off_cancels_its_planned_reminders() -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    ReminderRule.objects.filter(template=ADVANCE).update(is_active=False)

    report = reminders_plan(today=PLAN_DAY)

    assert report == ReminderPlanResult(cancelled=1)
    assert events(reminder_of("V-1", ADVANCE)) == [("cancelled", "The rule was switched off.")]


def test_an_edited_offset_moves_the_due_date_of_planned_reminders() -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    ReminderRule.objects.filter(template=ADVANCE).update(offset_days=-50)

    report = reminders_plan(today=PLAN_DAY)

    advance = reminder_of("V-1", ADVANCE)
    assert report == ReminderPlanResult(replanned=1)
    assert (advance.offset_days, advance.due_on, advance.status) == (
        -50,
        dt.date(2026, 11, 11),
        "planned",
    )
    assert events(advance) == [
        ("replanned", "Rule offset -60 → -50 days: due on 2026-11-11 instead of 2026-11-01.")
    ]


def test_a_new_schedule_cancels_the_reminders_of_the_one_it_replaces() -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    newer = schedule_install_default(effective_from=dt.date(2026, 12, 1))

    report = reminders_plan(today=PLAN_DAY)

    assert report == ReminderPlanResult(planned=3, cancelled=3)
    assert set(
        Reminder.objects.filter(status=ReminderStatus.PLANNED).values_list(
            "rule__schedule", flat=True
        )
    ) == {newer.pk}
    assert Reminder.objects.filter(status="cancelled").first().reason == "Another schedule applies."


def test_renewed_and_cancelled_contracts_are_never_planned() -> None:
    world(number="V-R")
    world(number="V-C", customer_number="K-2")
    Contract.objects.filter(contract_number="V-R").update(status=ContractStatus.RENEWED)
    Contract.objects.filter(contract_number="V-C").update(status=ContractStatus.CANCELLED)

    assert reminders_plan(today=PLAN_DAY) == ReminderPlanResult()
    assert rows() == []


def test_planning_one_contract_leaves_the_others_alone() -> None:
    first = world(number="V-1").contract
    contract_of(
        first.customer, contract_number="V-OTHER", end_date=END, start_date=dt.date(2026, 1, 1)
    )

    report = reminders_plan(today=PLAN_DAY, contract_ids=[first.pk])

    assert report == ReminderPlanResult(planned=3)
    assert {number for number, *_ in rows()} == {"V-1"}


def test_without_any_schedule_planning_and_renewing_plan_nothing() -> None:
    """A database without schedules (staff deleted them, or a flushed test database) plans
    nothing, and a contract can still be renewed."""
    contract = world().contract
    ReminderSchedule.objects.all().delete()

    report = reminders_plan(today=PLAN_DAY)
    follow_up = contract_renew(
        contract=contract, contract_number="V-2", end_date=dt.date(2027, 12, 31)
    )

    assert report == ReminderPlanResult()
    assert follow_up.renews_id == contract.pk
    assert Reminder.objects.count() == 0
