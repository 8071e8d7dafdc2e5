"""A reminder e-mail still waiting in the outbox (queued, retrying, claimed) is not sent once its
contract is renewed, cancelled or its end date moved: the contract services withdraw it in their
transaction, and the outbox dispatcher re-checks at send time what changed without them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from channeldesk.contracts.models import Contract, ContractStatus, Reminder, ReminderStatus
from channeldesk.contracts.reminders import withdrawal
from channeldesk.contracts.reminders.dispatch import reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.contracts.services import (
    contract_cancel,
    contract_change_end_date,
    contract_renew,
)
from channeldesk.notifications.dispatch import outbox_dispatch
from channeldesk.notifications.leases import DispatchResult
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from channeldesk.notifications.services import outbox_enqueue
from tests.contracts.reminders_world import (
    ADVANCE,
    ADVANCE_DAY,
    PLAN_DAY,
    at,
    events,
    reminder_of,
    world,
)
from tests.notifications.backends import HookBackend

# The world's contract ends on 31 December 2026 and its -60 e-mail goes out on ADVANCE_DAY; the
# contract services compare with today, so the tests run on that day.
pytestmark = [pytest.mark.django_db, pytest.mark.today(ADVANCE_DAY.isoformat())]


@pytest.fixture
def hook_mailer(settings: Any) -> Any:
    HookBackend.reset()
    settings.MAILERS = {"default": {"BACKEND": "tests.notifications.backends.HookBackend"}}
    yield HookBackend
    HookBackend.reset()


def advance_notice_in_the_outbox() -> tuple[Contract, OutboxMessage]:
    """The partner's -60 e-mail handed to the outbox and not yet delivered."""
    contract = world().contract
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY, now=at(ADVANCE_DAY))
    message = OutboxMessage.objects.get(category=f"reminder:{ADVANCE}")
    assert (message.status, message.category) == ("pending", f"reminder:{ADVANCE}")
    return contract, message


def message_history(message: OutboxMessage) -> list[tuple[str, str]]:
    return list(message.events.order_by("at", "id").values_list("kind", "detail"))


def withdrawn(message: OutboxMessage) -> Reminder:
    """The -60 reminder, once it is known that its e-mail `message` (read again) was dismissed
    from the outbox and the reminder cancelled."""
    message.refresh_from_db()
    reminder = reminder_of("V-1", ADVANCE)
    assert message.status == OutboxStatus.DISMISSED
    assert reminder.status == ReminderStatus.CANCELLED
    return reminder


def test_renewing_withdraws_the_queued_email_and_cancels_its_reminder(
    hook_mailer: type[HookBackend],
) -> None:
    contract, message = advance_notice_in_the_outbox()

    contract_renew(contract=contract, contract_number="V-2", end_date=dt.date(2027, 12, 31))
    result = outbox_dispatch()

    reminder = withdrawn(message)
    assert message_history(message)[-1] == (
        "dismissed",
        "Dismissed from pending: Contract renewed.",
    )
    assert (reminder.status, reminder.reason) == (
        ReminderStatus.CANCELLED,
        "Contract renewed. Its e-mail was withdrawn from the outbox.",
    )
    assert events(reminder)[-1] == (
        "cancelled",
        f"Contract renewed by V-2: the e-mail {message.message_id} was still in the outbox "
        "(pending) and was dismissed; it is not sent.",
    )
    assert result == DispatchResult()
    assert hook_mailer.delivered == []


def test_cancelling_withdraws_an_email_waiting_for_a_retry(
    hook_mailer: type[HookBackend],
) -> None:
    contract, message = advance_notice_in_the_outbox()
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=OutboxStatus.RETRY, attempts=1, next_attempt_at=timezone.now()
    )

    contract_cancel(contract=contract, reason="Customer switched vendors")
    result = outbox_dispatch()

    reminder = withdrawn(message)
    assert events(reminder)[-1][1].startswith(
        "Contract cancelled (Customer switched vendors): the e-mail"
    )
    assert result == DispatchResult()
    assert hook_mailer.delivered == []


def test_moving_the_end_date_withdraws_the_email_about_the_old_date(
    hook_mailer: type[HookBackend],
) -> None:
    contract, message = advance_notice_in_the_outbox()

    contract_change_end_date(contract=contract, end_date=dt.date(2027, 6, 30))

    reminder = withdrawn(message)
    assert "End date moved from 2026-12-31 to 2027-06-30" in events(reminder)[-1][1]


def test_an_email_already_sent_is_left_alone(hook_mailer: type[HookBackend]) -> None:
    contract, message = advance_notice_in_the_outbox()
    outbox_dispatch()

    contract_renew(contract=contract, contract_number="V-2", end_date=dt.date(2027, 12, 31))

    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    assert reminder_of("V-1", ADVANCE).status == ReminderStatus.SENT
    assert len(hook_mailer.delivered) == 1


def test_a_renewal_that_fails_after_the_dismissal_withdraws_nothing(
    hook_mailer: type[HookBackend], monkeypatch: pytest.MonkeyPatch
) -> None:
    contract, message = advance_notice_in_the_outbox()

    def fail(**arguments: object) -> int:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(withdrawal, "reminders_close", fail)

    with pytest.raises(RuntimeError):
        contract_renew(contract=contract, contract_number="V-2", end_date=dt.date(2027, 12, 31))

    message.refresh_from_db()
    contract.refresh_from_db()
    assert (message.status, contract.status) == (OutboxStatus.PENDING, ContractStatus.ACTIVE)
    assert list(message.events.values_list("kind", flat=True)) == ["enqueued"]
    assert reminder_of("V-1", ADVANCE).status == ReminderStatus.SENT
    outbox_dispatch()
    assert len(hook_mailer.delivered) == 1


def test_an_email_claimed_by_a_dispatcher_is_withdrawn_and_its_dispatcher_skips_it(
    hook_mailer: type[HookBackend], settings: Any
) -> None:
    """The dispatcher has claimed both messages and sends one per window; while it sends the
    first, the contract of the second is renewed: the second is never sent."""
    settings.OUTBOX_WINDOW = 1
    earlier = timezone.now() - dt.timedelta(days=400)
    outbox_enqueue(
        key="other:1", to=["someone@example.com"], subject="First", text=".", now=earlier
    )
    contract, message = advance_notice_in_the_outbox()

    def renew_while_the_first_is_sent(email: Any) -> None:
        if email.subject == "First":
            contract_renew(contract=contract, contract_number="V-2", end_date=dt.date(2027, 12, 31))

    hook_mailer.before_send = renew_while_the_first_is_sent
    result = outbox_dispatch()

    message.refresh_from_db()
    assert [email.subject for email in hook_mailer.delivered] == ["First"]
    assert message.status == OutboxStatus.DISMISSED
    assert message_history(message)[-1] == (
        "dismissed",
        "Dismissed from claimed: Contract renewed.",
    )
    assert result == DispatchResult(claimed=2, sent=1)


def test_the_dispatcher_rechecks_a_contract_changed_without_the_services(
    hook_mailer: type[HookBackend],
) -> None:
    """An import writes contracts set-based; the outbox's send-time check catches it."""
    contract, message = advance_notice_in_the_outbox()
    Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.RENEWED)

    result = outbox_dispatch()

    reminder = withdrawn(message)
    assert result == DispatchResult(claimed=1, dismissed=1)
    assert hook_mailer.delivered == []
    assert message_history(message)[-1][1] == (
        "Dismissed from claimed at send time: Contract renewed."
    )
    assert events(reminder)[-1][0] == "cancelled"


def test_the_send_time_check_lets_unchanged_reminder_emails_through(
    hook_mailer: type[HookBackend],
) -> None:
    advance_notice_in_the_outbox()

    result = outbox_dispatch()

    assert result == DispatchResult(claimed=1, sent=1)
    assert reminder_of("V-1", ADVANCE).status == ReminderStatus.SENT
