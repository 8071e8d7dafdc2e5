"""`channeldesk reminders ...` and the jobs that run the sweep."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from channeldesk.contracts.reminders.dispatch import reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.jobs import tasks
from tests.contracts.reminders_world import (
    ADVANCE_DAY,
    PLAN_DAY,
    reminder_of,
    reminders_state,
    world,
)

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("reminders", *args, stdout=out)
    return out.getvalue()


def test_plan_says_what_it_planned() -> None:
    world()

    first = run("plan", "--date", "01.10.2026")
    again = run("plan", "--date", "2026-10-01", "--format", "json")

    assert first.strip() == "plan: 3 planned, 0 re-planned, 0 cancelled"
    assert json.loads(again) == {"planned": 0, "replanned": 0, "cancelled": 0}


def test_run_plans_sends_and_lets_the_outbox_deliver(mailbox: list) -> None:
    world()

    output = run("run", "--date", "2026-11-01", "--format", "json")

    document = json.loads(output)
    assert document["today"] == "2026-11-01"
    assert document["plan"] == {"planned": 4, "replanned": 0, "cancelled": 0}
    assert document["dispatch"] == {
        "claimed": 1,
        "sent": 1,
        "late": 0,
        "cancelled": 0,
        "missed": 0,
        "failed": 0,
        "deferred": 0,
        "review": 0,
        "returned": 0,
    }
    assert document["outbox"]["sent"] == 1
    assert len(mailbox) == 1


def test_dispatch_reports_in_one_line() -> None:
    world()
    reminders_plan(today=PLAN_DAY)

    output = run("dispatch", "--date", "2026-11-05", "--worker", "cron")

    assert output.strip() == (
        "dispatch: claimed 1, sent 1 (1 late), cancelled 0, missed 0, failed 0, deferred 0, "
        "review 0, returned 0"
    )


def test_list_and_show_a_reminder_with_its_history() -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    reminders_dispatch(today=ADVANCE_DAY, worker="cron")
    advance = reminder_of("V-1", "partner_advance_notice")

    listed = [
        json.loads(line)
        for line in run("list", "--status", "sent", "--format", "json").splitlines()
    ]
    shown = json.loads(run("show", str(advance.pk), "--format", "json"))

    assert listed == [
        {
            "id": advance.pk,
            "contract": "V-1",
            "template": "partner_advance_notice",
            "offset_days": -60,
            "contract_end_date": "2026-12-31",
            "due_on": "2026-11-01",
            "status": "sent",
            "late": False,
            "reason": "",
            "sent_on": "2026-11-01",
            "recipient": "vertrieb@alpha.example",
        }
    ]
    assert [(entry["kind"], entry["worker"]) for entry in shown["history"]] == [
        ("planned", ""),
        ("sent", "cron"),
    ]
    assert (
        shown["history"][0]["detail"] == "-60 days from the end date 2026-12-31: due on 2026-11-01."
    )
    assert "V-1" in run("list")


def test_release_and_dismiss_refuse_what_the_state_does_not_allow() -> None:
    world()
    reminders_plan(today=PLAN_DAY)
    advance = reminder_of("V-1", "partner_advance_notice")
    before = reminders_state()

    with pytest.raises(CommandError) as refusal:
        run("release", str(advance.pk))
    with pytest.raises(CommandError) as unknown:
        run("show", "999999")

    assert (
        str(refusal.value)
        == f"{advance.key} is planned; only review, failed reminders can be released."
    )
    assert str(unknown.value) == "There is no reminder 999999."
    assert reminders_state() == before
    assert (
        run("dismiss", str(advance.pk), "--reason", "Handled by phone").strip()
        == f"{advance.key}: cancelled"
    )


def test_the_hourly_job_runs_the_sweep_without_the_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks, "reminders_run", lambda **arguments: calls.append(arguments))

    tasks.reminders_hourly_sweep.call_local()

    assert len(calls) == 1
    assert calls[0]["dispatch_outbox"] is False
    assert set(calls[0]) == {"today", "dispatch_outbox"}


def test_the_minutely_job_dispatches_the_outbox(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(tasks, "outbox_dispatch", lambda **arguments: calls.append(arguments))

    tasks.outbox_minutely_dispatch.call_local()

    assert calls == [{}]
