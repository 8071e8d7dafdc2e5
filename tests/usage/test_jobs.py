"""The usage jobs: thin triggers around idempotent sweeps."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from channeldesk.jobs.usage import usage_daily_close, usage_hourly_rate
from channeldesk.usage.ingest import usage_events_ingest
from channeldesk.usage.models import RatingResult, Statement, Subscription
from tests.usage.factories import at, event

pytestmark = pytest.mark.django_db


def test_daily_close_closes_due_months_once_and_hourly_rate_previews_the_open_one(
    subscription: Subscription, monkeypatch: Any
) -> None:
    usage_events_ingest(events=[event("e1", "u1", at(1)), event("e2", "u1", at(3, month=11))])
    # The jobs run "now": late November 2026 would be too early to close November.
    monkeypatch.setattr(
        "django.utils.timezone.now", lambda: dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC)
    )

    usage_daily_close.call_local()
    usage_daily_close.call_local()
    usage_hourly_rate.call_local()

    assert list(Statement.objects.values_list("period", flat=True)) == [dt.date(2026, 10, 1)]
    assert list(RatingResult.objects.values_list("month", "units")) == [(dt.date(2026, 11, 1), 1)]


@pytest.mark.today("2026-11-20")
def test_usage_rate_open_rates_the_same_months_as_the_hourly_job(
    subscription: Subscription,
) -> None:
    # Given October still open (its grace period runs) and events in October and November
    usage_events_ingest(events=[event("e1", "u1", at(1)), event("e2", "u1", at(3, month=11))])

    def ratings() -> list[tuple[dt.date, Any]]:
        return sorted(RatingResult.objects.values_list("month", "units"))

    # When the job rates (and is undone), then the command
    with transaction.atomic():
        job = usage_hourly_rate.call_local()
        after_job = ratings()
        transaction.set_rollback(True)
    out = io.StringIO()
    call_command("usage", "rate", "--open", "--format", "json", stdout=out)

    # Then both rated October and November, to the same lines
    assert [summary.month for summary in job] == [dt.date(2026, 10, 1), dt.date(2026, 11, 1)]
    assert [json.loads(line)["month"] for line in out.getvalue().splitlines()] == [
        "2026-10-01",
        "2026-11-01",
    ]
    assert ratings() == after_job == [(dt.date(2026, 10, 1), 1), (dt.date(2026, 11, 1), 1)]
