"""Tier notices on the delivery engine: a dead dispatcher's notice goes to review, racing
dispatchers send each notice once, staff release or dismiss what is in review."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone

from channeldesk.documents.models import Document
from channeldesk.notifications.models import OutboxMessage
from channeldesk.tiers import notices as notices_module
from channeldesk.tiers.models import NoticeStatus, TierNotice
from channeldesk.tiers.notices import (
    TIER_NOTICE_REVIEW,
    NoticeError,
    tier_notices_send,
)
from channeldesk.tiers.selectors import policy_get
from channeldesk.tiers.services import tier_policy_publish, tiers_apply
from tests.factories import PartnerFactory
from tests.operations.races import run_together
from tests.tiers.factories import previous_tier

# Applied when the evaluation half-year has ended, a month before the policy takes effect.
pytestmark = pytest.mark.today("2027-07-01")

EFFECTIVE = dt.date(2027, 8, 1)
SEND_ON = EFFECTIVE - dt.timedelta(days=30)


class WorkerDied(Exception):
    """Stands for a dispatcher killed while it rendered the letter."""


def planned_notices(count: int) -> list[TierNotice]:
    policy = tier_policy_publish(policy=policy_get(reference="default"), effective_from=EFFECTIVE)
    for number in range(count):
        previous_tier(PartnerFactory(partner_number=f"P-{number}"), "gold")
    tiers_apply(policy=policy)
    return list(TierNotice.objects.order_by("pk"))


def in_review(monkeypatch: pytest.MonkeyPatch) -> TierNotice:
    """A notice whose dispatcher died while sending and whose lease then ran out."""
    [notice] = planned_notices(1)

    def die(**_: object) -> None:
        raise WorkerDied

    with monkeypatch.context() as patch:
        patch.setattr(notices_module, "notice_render", die)
        with pytest.raises(WorkerDied):
            tier_notices_send(today=SEND_ON)
    TierNotice.objects.update(lease_expires_at=timezone.now() - dt.timedelta(seconds=1))
    result = tier_notices_send(today=SEND_ON)
    assert (result.dispatch.expired, result.sent) == (1, 0)
    notice.refresh_from_db()
    return notice


@pytest.mark.django_db
def test_a_notice_whose_dispatcher_died_while_sending_goes_to_review_not_out_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notice = in_review(monkeypatch)

    again = tier_notices_send(today=SEND_ON)

    assert notice.status == NoticeStatus.REVIEW
    assert notice.attempts == 1
    assert "ran out while it was storing the letter" in notice.decision
    assert again.dispatch.claimed == 0
    assert TierNotice.objects.get().status == NoticeStatus.REVIEW
    assert (Document.objects.count(), OutboxMessage.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_a_claim_that_expired_before_sending_goes_back_to_planned_and_is_sent() -> None:
    [notice] = planned_notices(1)
    TierNotice.objects.update(
        status=NoticeStatus.CLAIMED, lease_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )

    result = tier_notices_send(today=SEND_ON)

    assert (result.dispatch.returned, result.dispatch.expired, result.sent) == (1, 0, 1)
    notice.refresh_from_db()
    assert (notice.status, notice.claim_token) == (NoticeStatus.SENT, None)


@pytest.mark.django_db
def test_released_notice_is_planned_again_and_sent_once(monkeypatch: pytest.MonkeyPatch) -> None:
    notice = in_review(monkeypatch)

    released = TIER_NOTICE_REVIEW.decide(notice, action="release", actor=None, text="Checked.")
    result = tier_notices_send(today=SEND_ON)

    assert (released.status, released.claim_token) == (NoticeStatus.PLANNED, None)
    assert released.decision == "Released from review. Checked."
    assert result.sent == 1
    assert TierNotice.objects.get().status == NoticeStatus.SENT
    assert (Document.objects.count(), OutboxMessage.objects.count()) == (1, 1)


@pytest.mark.django_db
def test_dismissed_notice_is_closed_with_its_reason_and_never_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notice = in_review(monkeypatch)

    dismissed = TIER_NOTICE_REVIEW.decide(
        notice, action="dismiss", actor=None, text="Letter went out by hand."
    )
    result = tier_notices_send(today=SEND_ON)

    assert dismissed.status == NoticeStatus.CANCELLED
    assert dismissed.decision == "Dismissed from review: Letter went out by hand."
    assert result.sent == 0
    assert (Document.objects.count(), OutboxMessage.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_a_sent_notice_cannot_be_released_or_dismissed_without_a_reason() -> None:
    [notice] = planned_notices(1)
    tier_notices_send(today=SEND_ON)
    notice.refresh_from_db()

    with pytest.raises(NoticeError):
        TIER_NOTICE_REVIEW.decide(notice, action="release", actor=None, text="")
    with pytest.raises(NoticeError):
        TIER_NOTICE_REVIEW.decide(notice, action="dismiss", actor=None, text=" ")

    notice.refresh_from_db()
    assert (notice.status, notice.decision) == (NoticeStatus.SENT, "")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_racing_dispatchers_send_each_notice_once() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL row locks")
    planned_notices(6)

    results = run_together(
        2, lambda index: tier_notices_send(today=SEND_ON, worker=f"w-{index + 1}", batch_size=1)
    )

    assert sum(result.sent for result in results) == 6  # type: ignore[attr-defined]
    assert TierNotice.objects.filter(status=NoticeStatus.SENT).count() == 6
    assert Document.objects.count() == 6
    assert OutboxMessage.objects.count() == 6
    assert set(TierNotice.objects.values_list("attempts", flat=True)) == {1}


def tiers(*arguments: str) -> str:
    """What `channeldesk tiers <arguments>` prints."""
    out = io.StringIO()
    call_command("tiers", *arguments, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_staff_release_and_dismiss_notices_in_review_from_the_command_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a notice in review
    notice = in_review(monkeypatch)

    # When staff release it from the CLI, and then try to release it again
    output = tiers("notices-release", str(notice.pk), "--note", "Checked.")
    with pytest.raises(CommandError):
        tiers("notices-release", str(notice.pk))

    # Then it is planned again, with the note; the second release was refused
    notice.refresh_from_db()
    assert (notice.status, notice.decision) == (
        NoticeStatus.PLANNED,
        "Released from review. Checked.",
    )
    assert output.strip().endswith(": planned")


@pytest.mark.django_db
def test_a_notice_dismissed_from_the_command_line_is_never_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    notice = in_review(monkeypatch)

    output = tiers(
        "notices-dismiss", str(notice.pk), "--reason", "Sent by hand.", "--format", "json"
    )
    result = tier_notices_send(today=SEND_ON)

    assert json.loads(output) == {"id": notice.pk, "status": NoticeStatus.CANCELLED}
    assert result.sent == 0
    assert TierNotice.objects.get().decision == "Dismissed from review: Sent by hand."
