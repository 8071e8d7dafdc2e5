"""The delivery engine's shared protocol (`notifications.leases`), on the outbox's table."""

import datetime as dt

import pytest
from django.db.models import QuerySet

from channeldesk.notifications.leases import (
    DispatchResult,
    lease_start,
    leases_claim,
    leases_expired,
    leases_held,
)
from channeldesk.notifications.models import OutboxMessage
from tests.notifications.factories import NOW, enqueue

pytestmark = pytest.mark.django_db

LEASE = dt.timedelta(minutes=5)


def due() -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(status="pending").order_by("next_attempt_at", "id")


def test_a_claim_takes_the_due_rows_in_order_and_a_second_claim_gets_none() -> None:
    later = enqueue("later", send_after=NOW - dt.timedelta(minutes=1))
    first = enqueue("first", send_after=NOW - dt.timedelta(minutes=9))
    lease = lease_start(worker="host:1", length=LEASE)

    claimed = leases_claim(
        due=due(), limit=10, lease=lease, lease_end=NOW + LEASE, status="claimed"
    )
    again = leases_claim(
        due=due(),
        limit=10,
        lease=lease_start(worker="host:2", length=LEASE),
        lease_end=NOW + LEASE,
        status="claimed",
    )

    assert [message.pk for message in claimed] == [first.pk, later.pk]
    assert again == []
    assert set(
        OutboxMessage.objects.values_list("status", "claim_token", "claimed_by", "lease_expires_at")
    ) == {("claimed", lease.token, "host:1", NOW + LEASE)}
    assert (
        list(leases_held(model=OutboxMessage, lease=lease, rows=claimed, statuses=("claimed",)))
        == claimed
    )


def test_only_rows_whose_lease_ran_out_are_expired() -> None:
    enqueue("a")
    enqueue("b")
    lease = lease_start(worker="host:1", length=LEASE)
    leases_claim(due=due(), limit=1, lease=lease, lease_end=NOW + LEASE, status="claimed")

    assert leases_expired(model=OutboxMessage, held_statuses=("claimed",), now=NOW) == []
    expired = leases_expired(
        model=OutboxMessage, held_statuses=("claimed",), now=NOW + LEASE + dt.timedelta(seconds=1)
    )

    assert [message.idempotency_key for message in expired] == ["a"]


def test_run_counts_add_up_and_each_kind_reports_its_own() -> None:
    total = DispatchResult(claimed=2, sent=1, unknown=1) + DispatchResult(expired=2, returned=1)

    assert total == DispatchResult(claimed=2, sent=1, unknown=1, expired=2, returned=1)
    assert total.review == 3
    assert total.did_something
    assert not DispatchResult().did_something
    assert total.document(("claimed", "review", "returned")) == {
        "claimed": 2,
        "review": 3,
        "returned": 1,
    }
