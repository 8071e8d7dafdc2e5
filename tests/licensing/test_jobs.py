"""The daily job: a repeated run changes nothing and queues nothing twice."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from channeldesk.jobs.licensing import (
    licensing_daily_compliance,
    licensing_hourly_stale_installations,
)
from channeldesk.licensing.models import ComplianceEpisode, ComplianceRecord, Installation
from channeldesk.notifications.models import OutboxMessage
from tests.licensing.factories import enterprise_contract, issued
from tests.licensing.test_compliance import machines


def thirty_machines_on_ten_seats(personas: Any, settings: Any) -> None:
    """Thirty machines seen today on ten seats, two not seen for 40 days; a digest address."""
    settings.LICENSING_DIGEST_TO = ["licensing@vendor.example"]
    settings.LICENSING_PERSISTENCE_DAYS = 1
    today = timezone.localdate()
    contract = enterprise_contract(
        personas.partner_a,
        seats=10,
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=300),
    )
    keycode = issued(contract).keycode
    machines(keycode, 30, last_seen=today)
    machines(keycode, 2, last_seen=today - dt.timedelta(days=40))


def test_daily_job_twice_is_the_same_as_once(personas: Any, settings: Any) -> None:
    thirty_machines_on_ten_seats(personas, settings)
    today = timezone.localdate()
    licensing_daily_compliance.call_local()
    state = (
        list(ComplianceRecord.objects.values()),
        list(ComplianceEpisode.objects.values()),
        list(OutboxMessage.objects.values_list("idempotency_key", flat=True).order_by("pk")),
    )
    licensing_daily_compliance.call_local()
    licensing_hourly_stale_installations.call_local()
    assert state == (
        list(ComplianceRecord.objects.values()),
        list(ComplianceEpisode.objects.values()),
        list(OutboxMessage.objects.values_list("idempotency_key", flat=True).order_by("pk")),
    )
    assert ComplianceRecord.objects.get().status == "heavily_under_licensed"
    assert sorted(state[2]) == sorted(
        [
            f"licensing:episode:{ComplianceEpisode.objects.get().pk}:partner",
            f"licensing:digest:{today}",
        ]
    )
    assert Installation.objects.filter(state="stale").count() == 2
