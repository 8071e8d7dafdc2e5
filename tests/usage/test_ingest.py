"""Ingest: every event stored once, bad items rejected with a reason, nothing else changed."""

from __future__ import annotations

import datetime as dt

import pytest

from channeldesk.core.tokens import service_token_create
from channeldesk.usage.events import Rejection, event_parse
from channeldesk.usage.ingest import ACCEPTED, DUPLICATE, REJECTED, usage_events_ingest
from channeldesk.usage.models import RerateRequest, Subscription, UsageEvent
from channeldesk.usage.services import sender_grant
from tests.personas import Personas
from tests.usage.factories import after_grace, at, event, metered_contract

pytestmark = pytest.mark.django_db


def test_same_batch_twice_is_stored_once(subscription: Subscription) -> None:
    batch = [event(f"e{i}", f"u{i % 3}", at(1 + i % 5)) for i in range(20)]

    first = usage_events_ingest(events=batch)
    second = usage_events_ingest(events=batch)

    assert first.statuses == [ACCEPTED] * 20
    assert second.statuses == [DUPLICATE] * 20
    assert UsageEvent.objects.count() == 20


def test_same_event_id_with_another_timestamp_is_a_duplicate(subscription: Subscription) -> None:
    usage_events_ingest(events=[event("e1", "u1", at(1))])

    report = usage_events_ingest(events=[event("e1", "u1", at(2)), event("e1", "u9", at(3))])

    assert report.statuses == [DUPLICATE, DUPLICATE]
    assert list(UsageEvent.objects.values_list("usage_date", "user_key")) == [
        (dt.date(2026, 10, 1), "u1")
    ]


def test_usage_date_is_the_day_in_the_subscriptions_time_zone(personas: Personas) -> None:
    metered_contract(personas.partner_a, key="SUB-NY", time_zone="America/New_York")
    utc_midnight = dt.datetime(2026, 10, 2, 2, 30, tzinfo=dt.UTC)

    usage_events_ingest(events=[event("e1", "u1", utc_midnight, key="SUB-NY")])

    assert UsageEvent.objects.get().usage_date == dt.date(2026, 10, 1)


def test_bad_items_are_rejected_with_reasons_and_not_stored(personas: Personas) -> None:
    metered_contract(personas.partner_a, start=dt.date(2026, 10, 5), end=dt.date(2026, 10, 20))
    future = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    items = [
        event("e1", "u1", at(4)),
        event("e2", "u1", at(21)),
        event("e3", "u1", future),
        event("e4", "u1", at(10), key="SUB-NOPE"),
        event_parse(
            {
                "event_id": "e5",
                "subscription_key": "SUB-A",
                "user_key": "a@b.example",
                "occurred_at": "2026-10-10T10:00:00+02:00",
            }
        ),
        event_parse(
            {
                "event_id": "e6",
                "subscription_key": "SUB-A",
                "user_key": "u1",
                "occurred_at": "2026-10-10T10:00:00",
            }
        ),
        event_parse("not an object"),
        event("e8", "u1", at(10)),
    ]

    report = usage_events_ingest(events=items)

    assert report.statuses == [REJECTED] * 7 + [ACCEPTED]
    assert [report.rejections[i].reason for i in range(7)] == [
        "before_contract_start",
        "after_contract_end",
        "in_future",
        "unknown_subscription",
        "personal_data",
        "invalid_occurred_at",
        "malformed",
    ]
    assert list(UsageEvent.objects.values_list("event_id", flat=True)) == ["e8"]


def test_a_sender_may_only_send_for_its_own_subscriptions(personas: Personas) -> None:
    own = metered_contract(personas.partner_a, key="SUB-OWN")
    metered_contract(personas.partner_b, key="SUB-OTHER")
    token = service_token_create(name="platform", scope="usage").token
    sender_grant(token=token, subscriptions=[own])

    report = usage_events_ingest(
        events=[event("e1", "u1", at(1), key="SUB-OWN"), event("e2", "u1", at(1), key="SUB-OTHER")],
        sender=token,
    )

    assert report.statuses == [ACCEPTED, REJECTED]
    assert report.rejections[1].reason == "unknown_subscription"
    assert list(UsageEvent.objects.values_list("event_id", flat=True)) == ["e1"]


def test_parse_refuses_a_void_without_target() -> None:
    parsed = event_parse(
        {
            "event_id": "v1",
            "subscription_key": "S",
            "kind": "void",
            "occurred_at": "2026-10-10T10:00:00Z",
        }
    )
    assert isinstance(parsed, Rejection)
    assert parsed.reason == "missing_target_event_id"


def test_late_event_asks_for_rerating_of_its_month(subscription: Subscription) -> None:
    from channeldesk.usage.closing import period_close

    usage_events_ingest(events=[event("e1", "u1", at(1))])
    period_close(month=dt.date(2026, 10, 1), now=after_grace())

    usage_events_ingest(events=[event("e2", "u2", at(2)), event("e3", "u2", at(2, month=11))])

    assert list(RerateRequest.objects.values_list("month", "version", "rated_version")) == [
        (dt.date(2026, 10, 1), 1, 0)
    ]


def test_ingest_inside_a_callers_transaction_sees_only_its_own_batch(
    subscription: Subscription,
) -> None:
    from django.db import transaction

    # Given a batch ingested and then rolled back by the caller's transaction,
    with transaction.atomic():
        usage_events_ingest(events=[event("e1", "u1", at(1))])
        # when the next batch is ingested in the same transaction,
        report = usage_events_ingest(events=[event("e2", "u2", at(2))])
        # then only its own event is stored (not the first batch's staged rows again).
        assert report.statuses == [ACCEPTED]
        UsageEvent.objects.filter(event_id="e1").delete()
        usage_events_ingest(events=[event("e3", "u3", at(3))])
        assert sorted(UsageEvent.objects.values_list("event_id", flat=True)) == ["e2", "e3"]


def test_admin_refuses_a_subscription_with_an_unknown_time_zone(
    subscription: Subscription,
) -> None:
    from channeldesk.usage.admin import SubscriptionForm

    form = SubscriptionForm(
        data={
            "contract": subscription.contract_id,
            "subscription_key": "SUB-NEW",
            "time_zone": "Mars/Olympus",
        }
    )

    assert not form.is_valid()
    assert set(form.errors) == {"time_zone", "contract"}  # contract: already metered


@pytest.mark.parametrize(
    "zone", ["Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Adelaide"]
)
def test_local_days_agree_with_the_time_zone_database_across_dst_changes(zone: str) -> None:
    from zoneinfo import ZoneInfo

    from channeldesk.usage.ingest import _LocalDays

    tz = ZoneInfo(zone)
    local_days = _LocalDays()
    instant = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    while instant.year == 2026:
        assert local_days.on(instant.timestamp(), tz) == instant.astimezone(tz).date(), instant
        instant += dt.timedelta(minutes=7 * 60 + 13)


def test_backslashes_are_stored_as_sent(subscription: Subscription) -> None:
    usage_events_ingest(events=[event("a\\b\\N", "u\\1", at(1))])

    assert list(UsageEvent.objects.values_list("event_id", "user_key")) == [("a\\b\\N", "u\\1")]
