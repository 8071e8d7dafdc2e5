"""Claims: a dead dispatcher's reminders are settled, a slow one returns what it did not start."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from channeldesk.contracts.models import Reminder, ReminderStatus
from channeldesk.contracts.reminders.dispatch import (
    reminders_dispatch,
    reminders_expire_claims,
)
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.notifications.leases import DispatchResult
from tests.contracts.reminders_world import (
    ADVANCE_DAY,
    PLAN_DAY,
    events,
    reminder_of,
    reminders_state,
    world,
)

pytestmark = pytest.mark.django_db


def claimed_by_a_dead_dispatcher(reminder: Reminder, *, expired: bool = True) -> None:
    minutes = -1 if expired else 10
    Reminder.objects.filter(pk=reminder.pk).update(
        status=ReminderStatus.CLAIMED,
        claimed_by="host:4711",
        lease_expires_at=timezone.now() + dt.timedelta(minutes=minutes),
    )


def test_a_claim_whose_lease_ran_out_goes_back_and_is_sent() -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    advance = reminder_of("V-1", "partner_advance_notice")
    claimed_by_a_dead_dispatcher(advance)

    report = reminders_dispatch(today=ADVANCE_DAY)

    advance.refresh_from_db()
    assert report == DispatchResult(returned=1, claimed=1, sent=1)
    assert advance.status == "sent"
    assert [kind for kind, _ in events(advance)] == ["returned", "sent"]
    assert events(advance)[0] == ("returned", "The lease of host:4711 ran out before it tried.")


def test_a_live_claim_is_left_alone() -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    claimed_by_a_dead_dispatcher(reminder_of("V-1", "partner_advance_notice"), expired=False)
    before = reminders_state()

    assert reminders_expire_claims() == DispatchResult()
    assert reminders_dispatch(today=ADVANCE_DAY) == DispatchResult()
    assert reminders_state() == before


def test_a_dispatcher_past_half_its_lease_returns_what_it_did_not_start(settings: Any) -> None:
    settings.REMINDERS_LEASE_SECONDS = 0
    world()
    reminders_plan(today=PLAN_DAY)

    report = reminders_dispatch(today=ADVANCE_DAY, worker="slow")

    advance = reminder_of("V-1", "partner_advance_notice")
    assert report == DispatchResult(claimed=1, returned=1)
    assert (advance.status, advance.claimed_by, advance.lease_expires_at) == ("planned", "", None)
    assert events(advance) == [
        ("returned", "slow used up half its lease before it got to this reminder.")
    ]
