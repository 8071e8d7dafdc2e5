"""Which reminder schedule is in force for a contract, and the seed's default schedule.

Schedules follow each other: each is in force for contracts ending from its `effective_from`
until the next schedule's date. A contract ending before the first schedule gets nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction

from channeldesk.contracts.models import (
    ReminderAudience,
    ReminderChannel,
    ReminderRule,
    ReminderSchedule,
    ReminderTemplate,
)
from channeldesk.contracts.reminders.conf import reminders_start_date

# The seed (R10): offset, audience, channel, template, grace days. Migration 0003 holds a frozen
# copy; this one serves `schedule_install_default` (tests that flush the database, the demo).
DEFAULT_RULES: tuple[tuple[int, str, str, str, int], ...] = (
    (
        -60,
        ReminderAudience.PARTNER,
        ReminderChannel.EMAIL,
        ReminderTemplate.PARTNER_ADVANCE_NOTICE,
        14,
    ),
    (-45, ReminderAudience.CUSTOMER, ReminderChannel.LETTER, ReminderTemplate.RENEWAL_LETTER, 30),
    (
        -45,
        ReminderAudience.PARTNER,
        ReminderChannel.EMAIL,
        ReminderTemplate.PARTNER_LETTER_COPY,
        30,
    ),
    (
        1,
        ReminderAudience.PARTNER,
        ReminderChannel.EMAIL,
        ReminderTemplate.PARTNER_ENDED_UNRENEWED,
        14,
    ),
)


@dataclass(frozen=True)
class ScheduleSpan:
    """A schedule and the contract end dates it covers: `starts <= end date < ends`."""

    schedule_id: int
    name: str
    starts: dt.date
    ends: dt.date | None

    def covers(self, end_date: dt.date) -> bool:
        return self.starts <= end_date and (self.ends is None or end_date < self.ends)


def schedule_spans() -> list[ScheduleSpan]:
    """Every schedule with the end dates it covers, oldest first (one query)."""
    schedules = list(ReminderSchedule.objects.order_by("effective_from"))
    if not schedules:
        return []  # Nothing is planned or sent without a schedule (a flushed test database).
    following = [schedule.effective_from for schedule in schedules[1:]]
    return [
        ScheduleSpan(
            schedule_id=schedule.pk,
            name=schedule.name,
            starts=schedule.effective_from,
            ends=ends,
        )
        for schedule, ends in zip(schedules, [*following, None], strict=True)
    ]


def schedule_for_end_date(
    *, spans: Sequence[ScheduleSpan], end_date: dt.date
) -> ScheduleSpan | None:
    """The schedule in force for a contract ending on `end_date`, or None before the first."""
    return next((span for span in spans if span.covers(end_date)), None)


@transaction.atomic
def schedule_install_default(*, effective_from: dt.date | None = None) -> ReminderSchedule:
    """The seed's schedule from `effective_from` (default: `REMINDERS_START_DATE`).

    Idempotent: a schedule already starting on that date is returned as it is, whatever its
    rules say now (staff may have edited them).
    """
    starts = effective_from or reminders_start_date()
    schedule, created = ReminderSchedule.objects.get_or_create(
        effective_from=starts, defaults={"name": "Renewal reminders"}
    )
    if created:
        ReminderRule.objects.bulk_create(
            ReminderRule(
                schedule=schedule,
                offset_days=offset,
                audience=audience,
                channel=channel,
                template=template,
                grace_days=grace,
            )
            for offset, audience, channel, template, grace in DEFAULT_RULES
        )
    return schedule
