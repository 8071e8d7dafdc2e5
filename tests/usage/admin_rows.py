"""Rows of every usage admin model for the admin walk (tests/admin)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Model

from channeldesk.core.tokens import service_token_create
from channeldesk.usage.closing import period_rate
from channeldesk.usage.ingest import usage_events_ingest
from channeldesk.usage.models import (
    RatingResult,
    RerateRequest,
    Statement,
    Subscription,
    UsageEvent,
    UsagePeriod,
)
from channeldesk.usage.services import sender_grant
from tests.personas import Personas
from tests.usage.factories import at, event
from tests.usage.worlds import october_statements

READ_ONLY_MODELS: set[type[Model]] = {
    UsageEvent,
    RatingResult,
    UsagePeriod,
    RerateRequest,
    Statement,
}


def admin_rows(personas: Personas) -> None:
    october_statements(personas.partner_a, personas.partner_b, with_tiers=False)
    token = service_token_create(name="MSS platform", scope="usage").token
    sender_grant(token=token, subscriptions=Subscription.objects.all())
    usage_events_ingest(
        events=[
            event("late-1", "u7", at(9), key="SUB-A"),  # October is closed: a re-rating request
            event("nov-1", "u1", at(2, month=11), key="SUB-A"),
        ]
    )
    period_rate(month=dt.date(2026, 11, 1))
