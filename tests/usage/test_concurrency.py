"""Exactly once under races and crashes (PostgreSQL): the same batch sent by several clients at
once, a month closed while events arrive, two closes at once, an import killed mid-way."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from channeldesk.usage.closing import period_close
from channeldesk.usage.ingest import usage_events_ingest
from channeldesk.usage.models import Statement, StatementLine, UsageEvent
from tests.factories import PartnerFactory
from tests.operations.races import run_together
from tests.usage.factories import after_grace, at, event, metered_contract

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL")


def test_the_same_batch_from_four_clients_at_once_is_stored_once() -> None:
    metered_contract(PartnerFactory())
    batch = [event(f"e{i}", f"u{i % 50}", at(1 + i % 28, i % 24)) for i in range(3000)]

    reports = run_together(4, lambda _: usage_events_ingest(events=batch))

    assert sum(report.accepted for report in reports) == 3000  # type: ignore[attr-defined]
    assert sum(report.duplicates for report in reports) == 9000  # type: ignore[attr-defined]
    assert UsageEvent.objects.count() == 3000


def test_events_arriving_while_a_month_closes_are_billed_once() -> None:
    metered_contract(PartnerFactory())
    batches = [
        [event(f"b{b}-{i}", f"u{b}-{i % 40}", at(1 + i % 30, 10)) for i in range(400)]
        for b in range(12)
    ]

    def work(index: int) -> object:
        if index == 0:
            time.sleep(0.05)
            return period_close(month=dt.date(2026, 10, 1), now=after_grace())
        for batch in batches[index - 1 :: 3]:
            usage_events_ingest(events=batch)
        return None

    results = run_together(4, work)
    period_close(month=dt.date(2026, 11, 1), now=after_grace(month=11))

    assert not [result for result in results if isinstance(result, Exception)]
    user_days = {(item.user_key, item.occurred_at.date()) for batch in batches for item in batch}
    billed = sum(
        StatementLine.objects.filter(usage_month=dt.date(2026, 10, 1)).values_list(
            "units", flat=True
        )
    )
    assert billed == len(user_days)


def test_two_closes_at_once_issue_one_statement() -> None:
    metered_contract(PartnerFactory())
    usage_events_ingest(events=[event(f"e{i}", f"u{i}", at(2)) for i in range(10)])

    results = run_together(2, lambda _: period_close(month=dt.date(2026, 10, 1), now=after_grace()))

    assert sorted(result.closed_now for result in results) == [False, True]  # type: ignore[attr-defined]
    assert Statement.objects.count() == 1
    assert StatementLine.objects.count() == 1


def test_an_import_killed_mid_way_keeps_whole_batches_and_a_rerun_completes_it(
    tmp_path: Path,
) -> None:
    metered_contract(PartnerFactory())
    path = tmp_path / "events.jsonl"
    with path.open("w") as target:
        for i in range(60_000):
            item = {
                "event_id": f"k{i}",
                "subscription_key": "SUB-A",
                "user_key": f"u{i % 500}",
                "occurred_at": f"2026-10-{1 + i % 28:02d}T10:00:00+02:00",
            }
            target.write(json.dumps(item) + "\n")
    database = settings.DATABASES["default"]
    environment = {
        **os.environ,
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}"
        f"/{database['NAME']}",
    }
    command = [sys.executable, "-m", "channeldesk", "usage", "import", str(path)]
    child = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE)
    while UsageEvent.objects.count() == 0 and child.poll() is None:
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    stored = UsageEvent.objects.count()

    rerun = subprocess.run(command, env=environment, capture_output=True, text=True, check=True)

    assert 0 < stored < 60_000
    assert stored % 10_000 == 0  # only whole batches: each is one transaction
    assert f"{60_000 - stored} events stored, {stored} duplicates" in rerun.stdout
    assert UsageEvent.objects.count() == 60_000
