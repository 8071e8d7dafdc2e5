"""The demo's first load runs the reminder sweep for past days, so staff see letters and e-mails
already sent; a second load sends nothing again."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command

from channeldesk.contracts.models import Reminder
from channeldesk.notifications.models import OutboxMessage

pytestmark = pytest.mark.django_db


def load(*arguments: str) -> str:
    out = StringIO()
    call_command(
        "demo",
        "load",
        "--partners",
        "20",
        "--orders",
        "2000",
        "--today",
        "2026-11-27",
        "--no-users",
        *arguments,
        stdout=out,
        verbosity=0,
    )
    return out.getvalue()


def test_demo_load_has_sent_reminders_and_a_second_load_sends_nothing_again() -> None:
    first = load("--reminder-days", "3")
    sent = Reminder.objects.filter(status="sent").count()
    messages = OutboxMessage.objects.count()

    second = load("--reminder-days", "3")

    assert "the daily sweep ran for 4 days up to 2026-11-27" in first
    assert sent > 0
    assert messages > 0
    assert Reminder.objects.filter(status="sent").count() == sent
    assert OutboxMessage.objects.count() == messages
    assert "0 reminders sent" in second
    assert not Reminder.objects.filter(due_on__gt=dt.date(2026, 11, 27), status="sent").exists()
