"""Reminder dispatcher processes against PostgreSQL: racing each other, and killed mid-batch.

The dispatchers are `channeldesk reminders dispatch --loop` processes reaching the test database
like any deployment would; they archive letters under a MEDIA_ROOT of the test's own and hand
e-mails to the outbox, which the test then delivers to an SMTP server on loopback that counts
Message-IDs. Process and database helpers come from the outbox's process tests.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from channeldesk.contracts.models import (
    Reminder,
    ReminderChannel,
    ReminderEvent,
    ReminderRule,
    ReminderStatus,
)
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.documents.models import Document
from channeldesk.notifications.dispatch import outbox_dispatch
from channeldesk.notifications.models import OutboxMessage
from tests.contracts.reminders_world import LETTER_DAY, PLAN_DAY, ensure_default_schedule, world
from tests.notifications.sink import SmtpSink, smtp_sink_fixture  # noqa: F401 - fixture
from tests.notifications.test_processes import other_connections, stop
from tests.operations.children import database_url, python_processes
from tests.operations.production_processes import wait_for

# PostgreSQL only: the races test its claim (FOR UPDATE SKIP LOCKED) with processes sharing the
# database server.
pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres_only,
    pytest.mark.slow,
]

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = 16
IN_FLIGHT = (ReminderStatus.CLAIMED, ReminderStatus.SENDING)


@pytest.fixture
def var_dir(settings: Any, tmp_path: Path) -> Path:
    """The dispatchers' var directory; this process reads their letters from its media."""
    settings.MEDIA_ROOT = tmp_path / "var" / "media"
    return tmp_path / "var"


@pytest.fixture
def start_dispatcher(var_dir: Path) -> Iterator[Callable[..., subprocess.Popen]]:
    """Starts `channeldesk reminders dispatch --loop ...`; what still runs is killed after."""
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CHANNELDESK_VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "tests.contracts.child_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    dispatch = ["-m", "channeldesk", "reminders", "dispatch", "--loop"]
    dispatch += ["--date", LETTER_DAY.isoformat()]
    with python_processes(*dispatch, environment=environment, cwd=ROOT) as start:
        yield start


def contracts_due() -> int:
    """Contracts whose advance notice, letter and copy are all due on LETTER_DAY (the notice's
    grace is widened so that it is still sent then). Returns the number of reminders."""
    ensure_default_schedule()
    ReminderRule.objects.filter(template="partner_advance_notice").update(grace_days=30)
    for number in range(CONTRACTS):
        world(number=f"V-{number:03d}", customer_number=f"K-{number:03d}")
    return reminders_plan(today=PLAN_DAY).planned


def in_flight() -> bool:
    return Reminder.objects.filter(status__in=IN_FLIGHT).exists()


def waiting_copies() -> set[int]:
    return set(
        Reminder.objects.filter(
            status=ReminderStatus.PLANNED, reason__startswith="Waiting for the customer's letter"
        ).values_list("pk", flat=True)
    )


def settled() -> bool:
    planned = set(
        Reminder.objects.filter(status=ReminderStatus.PLANNED).values_list("pk", flat=True)
    )
    return not in_flight() and planned <= waiting_copies()


def sent_events() -> Counter[int]:
    return Counter(ReminderEvent.objects.filter(kind="sent").values_list("reminder_id", flat=True))


def assert_exactly_once_delivered(sink: SmtpSink) -> None:
    """Every e-mail reminder sent has one outbox message; the server receives each once."""
    sent_emails = Reminder.objects.filter(
        status=ReminderStatus.SENT, rule__channel=ReminderChannel.EMAIL
    )
    keys = {reminder.key for reminder in sent_emails}
    assert set(OutboxMessage.objects.values_list("idempotency_key", flat=True)) == keys
    outbox_dispatch(limit=1000)
    message_ids = set(OutboxMessage.objects.values_list("message_id", flat=True))
    assert sink.message_ids == dict.fromkeys(message_ids, 1)


def test_two_dispatcher_processes_send_every_reminder_exactly_once(
    smtp_sink: SmtpSink, start_dispatcher: Callable[..., subprocess.Popen]
) -> None:
    first = start_dispatcher("--batch", "3", "--worker", "first")
    second = start_dispatcher("--batch", "3", "--worker", "second")
    wait_for(lambda: other_connections() >= 2, what="both dispatchers to be polling")

    due = contracts_due()
    wait_for(settled, timeout=180, what="every reminder to be settled")
    stop(first), stop(second)

    assert due == 3 * CONTRACTS
    assert dict(Counter(Reminder.objects.values_list("status", flat=True))) == {"sent": due}
    assert sent_events() == dict.fromkeys(Reminder.objects.values_list("pk", flat=True), 1)
    workers = set(ReminderEvent.objects.filter(kind="sent").values_list("worker", flat=True))
    assert workers == {"first", "second"}
    letters = Reminder.objects.filter(rule__channel=ReminderChannel.LETTER)
    assert set(Document.objects.values_list("key", flat=True)) == {r.key for r in letters}
    assert_exactly_once_delivered(smtp_sink)


def test_a_dispatcher_killed_mid_batch_and_restarted_sends_nothing_twice_and_loses_nothing(
    smtp_sink: SmtpSink, start_dispatcher: Callable[..., subprocess.Popen]
) -> None:
    due = contracts_due()
    killed = start_dispatcher("--batch", "8", "--worker", "killed")
    letters = Reminder.objects.filter(rule__channel=ReminderChannel.LETTER)
    wait_for(
        lambda: (
            letters.filter(status=ReminderStatus.SENT).count() >= 4
            and letters.filter(status=ReminderStatus.SENDING).exists()
        ),
        timeout=120,
        what="the dispatcher to be storing a letter after four",
    )

    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    held = dict(Reminder.objects.filter(status__in=IN_FLIGHT).values_list("pk", "status"))
    restarted = start_dispatcher("--worker", "restarted")
    wait_for(settled, timeout=180, what="the restarted dispatcher to settle everything")
    stop(restarted)

    statuses = dict(Reminder.objects.values_list("pk", "status"))
    sent = {pk for pk, status in statuses.items() if status == ReminderStatus.SENT}
    review = {pk for pk, status in statuses.items() if status == ReminderStatus.REVIEW}
    waiting = waiting_copies()
    assert "claimed" in held.values(), "the kill did not land mid-batch"
    assert review == {pk for pk, status in held.items() if status == ReminderStatus.SENDING}
    assert len(sent) + len(review) + len(waiting) == due == 3 * CONTRACTS
    assert len(waiting) == len(review), "each letter in review holds back its partner's copy"
    assert max(sent_events().values()) == 1
    assert set(sent_events()) == sent
    documents = Counter(Document.objects.values_list("key", flat=True))
    assert max(documents.values()) == 1
    assert {r.key for r in letters.filter(pk__in=sent)} <= set(documents)
    assert_exactly_once_delivered(smtp_sink)


def test_planning_twice_at_once_plans_every_reminder_once(var_dir: Path) -> None:
    """Two planners in separate processes, against each other's uncommitted inserts."""
    ensure_default_schedule()
    for number in range(CONTRACTS):
        world(number=f"V-{number:03d}", customer_number=f"K-{number:03d}")
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CHANNELDESK_VAR_DIR": str(var_dir),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    plan = ["-m", "channeldesk", "reminders", "plan", "--date", str(PLAN_DAY)]
    with python_processes(*plan, environment=environment, cwd=ROOT) as start:
        planners = [start(), start()]
        outputs = [planner.communicate(timeout=120) for planner in planners]

    assert [planner.returncode for planner in planners] == [0, 0], outputs
    planned = [int(out.decode().split()[1]) for out, _ in outputs]
    assert sum(planned) == 3 * CONTRACTS
    assert Reminder.objects.count() == 3 * CONTRACTS
