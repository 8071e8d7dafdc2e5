"""Every job is one sweep with a twin on the command line, and the twin does what the job does.

The twins run with `call_command` on a small world; the job runs on the same world in a
transaction that is rolled back afterwards, so both start from the same state. What each did
is compared by the counts the job logs (`jobs.metrics.result_counts`) and, where the sweep
writes, by the rows it left.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import io
import json
import pkgutil
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command, get_commands, load_command_class
from django.db import transaction
from django.utils import timezone
from huey.api import PeriodicTask, TaskWrapper

import channeldesk.jobs
from channeldesk.jobs.licensing import (
    licensing_daily_compliance,
    licensing_hourly_stale_installations,
)
from channeldesk.jobs.metrics import result_counts
from channeldesk.jobs.training import caller_numbers_daily_refresh, training_daily_sweep
from channeldesk.licensing.models import ComplianceEpisode, ComplianceRecord, Installation
from channeldesk.notifications.models import OutboxMessage
from channeldesk.partners.models import Contact
from channeldesk.tiers.models import CallerNumber
from channeldesk.training.models import Enrollment
from channeldesk.training.validity import months_after
from tests.factories import PartnerFactory
from tests.licensing.test_jobs import thirty_machines_on_ten_seats
from tests.training.factories import record

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parents[2] / "docs" / "processes.md"

# Every periodic job: the one sweep it calls and its twin on the command line. A new job needs
# a row here, a command that runs its sweep, and a row in docs/processes.md ("Jobs").
TWINS: dict[str, tuple[str, tuple[str, ...]]] = {
    "tiers_daily_sweep": ("tiers_sweep", ("tiers", "sweep")),
    "reminders_hourly_sweep": ("reminders_run", ("reminders", "run")),
    "outbox_minutely_dispatch": ("outbox_dispatch", ("outbox", "dispatch")),
    "webhooks_minutely_dispatch": ("webhooks_dispatch", ("webhooks", "dispatch")),
    "training_daily_sweep": ("training_sweep", ("training", "sweep")),
    "tier_notices_dispatch": ("tier_notices_send", ("tiers", "notices")),
    "caller_numbers_daily_refresh": ("caller_numbers_refresh", ("support", "refresh-numbers")),
    "licensing_daily_compliance": ("compliance_sweep", ("compliance", "scan")),
    "licensing_hourly_stale_installations": ("installations_mark_stale", ("compliance", "stale")),
    "usage_hourly_rate": ("periods_rate_open", ("usage", "rate")),
    "usage_daily_close": ("periods_close_due", ("usage", "close")),
}


def _periodic_jobs() -> dict[str, TaskWrapper]:
    """Every periodic task of every module in `channeldesk.jobs`, by name."""
    jobs = {}
    for module_info in pkgutil.iter_modules(channeldesk.jobs.__path__):
        module = importlib.import_module(f"channeldesk.jobs.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, TaskWrapper) and issubclass(value.task_class, PeriodicTask):
                jobs[value.name or value.func.__name__] = value
    return jobs


def _actions(command: str) -> set[str]:
    parser = load_command_class(get_commands()[command], command).create_parser("x", command)
    [subcommands] = [action for action in parser._actions if action.dest == "action"]
    return set(subcommands.choices)  # type: ignore[arg-type]


def test_every_job_calls_one_sweep_that_has_a_command_line_twin() -> None:
    jobs = _periodic_jobs()

    assert sorted(jobs) == sorted(TWINS), "a job without a row in TWINS (and a CLI twin)"
    documented = DOCS.read_text()
    for name, job in jobs.items():
        sweep, (command, action) = TWINS[name]
        assert f"{sweep}(" in inspect.getsource(job.func), name
        assert action in _actions(command), f"{name}: no `channeldesk {command} {action}`"
        assert f"`{name}`" in documented, f"{name}: not in docs/processes.md"
        assert f"`channeldesk {command} {action}" in documented, name


# --- The twins do what the jobs do --------------------------------------------------------


def _job_rolled_back(job: TaskWrapper, state: Callable[[], Any]) -> tuple[dict[str, int], Any]:
    """Run the job as the worker does, note its counts and the state it left, undo it."""
    with transaction.atomic():
        counts = result_counts(job.call_local())
        after = state()
        transaction.set_rollback(True)
    return counts, after


def _run(*arguments: str) -> Any:
    out = io.StringIO()
    call_command(*arguments, "--format", "json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.today("2026-09-01")
def test_training_sweep_runs_the_daily_training_job() -> None:
    # Given a completion expiring within 60 days, one of a partner without an address, and one
    # far from expiring,
    today = timezone.localdate()
    expiring = months_after(today, -24) + dt.timedelta(days=30)
    record(PartnerFactory(), session_date=expiring)
    record(PartnerFactory(email=""), session_date=expiring)
    record(PartnerFactory(), session_date=today - dt.timedelta(days=10))

    def state() -> Any:
        return (
            sorted(OutboxMessage.objects.values_list("idempotency_key", flat=True)),
            sorted(Enrollment.objects.values_list("pk", "expiry_notified_on")),
        )

    # when the job runs (and is undone) and then the command,
    job_counts, job_state = _job_rolled_back(training_daily_sweep, state)
    command = _run("training", "sweep")

    # then both announced the same completion and marked the same two.
    assert job_counts == result_counts(command) == {"expiry_notices": 1, "without_email": 1}
    assert state() == job_state


def test_support_refresh_numbers_runs_the_nightly_caller_numbers_job() -> None:
    partner = PartnerFactory(phone="089/2345678")
    Contact.objects.create(partner=partner, name="Otto", phone="0711 1234567")
    PartnerFactory(phone="not a number")

    job_counts, job_numbers = _job_rolled_back(
        caller_numbers_daily_refresh,
        lambda: sorted(CallerNumber.objects.values_list("number", "partner_id", "is_contact")),
    )
    command = _run("support", "refresh-numbers")

    assert job_counts == command == {"caller_numbers": 2}
    assert (
        sorted(CallerNumber.objects.values_list("number", "partner_id", "is_contact"))
        == job_numbers
    )


def _stale() -> list[int]:
    return sorted(Installation.objects.filter(state="stale").values_list("pk", flat=True))


def test_compliance_stale_runs_the_hourly_stale_installations_job(
    personas: Any, settings: Any
) -> None:
    thirty_machines_on_ten_seats(personas, settings)

    job_counts, job_stale = _job_rolled_back(licensing_hourly_stale_installations, _stale)
    command = _run("compliance", "stale")

    assert job_counts == command == {"stale_installations": 2}
    assert _stale() == job_stale


def test_compliance_scan_runs_the_daily_compliance_job_step_for_step(
    personas: Any, settings: Any
) -> None:
    # Given stale machines the scan must not count as active,
    thirty_machines_on_ten_seats(personas, settings)

    def state() -> Any:
        return (
            _stale(),
            sorted(ComplianceRecord.objects.values_list("day", "active_installations", "status")),
            ComplianceEpisode.objects.count(),
            # The episode's number is in its notice's key; a rolled-back one is not reused.
            sorted(
                re.sub(r":\d+:", ":N:", key)
                for key in OutboxMessage.objects.values_list("idempotency_key", flat=True)
            ),
        )

    # when the job runs (and is undone) and then the command,
    job_counts, job_state = _job_rolled_back(licensing_daily_compliance, state)
    command = _run("compliance", "scan")

    # then the command marked the same machines stale, scanned the same day, opened the same
    # episode and queued the same notice and digest as the job.
    assert job_counts == {
        "stale_installations": 2,
        "days_scanned": 1,
        "episodes_opened": 1,
        "notices_queued": 1,
    }
    assert command["stale_installations"] == 2
    assert len(command["days"]) == 1
    assert command["days"][0]["episodes_opened"] == 1
    assert (command["notices_queued"], command["digest_queued"]) == (1, True)
    assert state() == job_state
    assert job_state[1][0][1:] == (30, "heavily_under_licensed")
