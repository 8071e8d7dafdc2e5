"""Staff see the outbox with each message's history and settle doubtful ones in the admin."""

import pytest
from django.test import Client

from channeldesk.notifications.models import OutboxMessage
from channeldesk.notifications.services import AttachmentDraft
from tests.notifications.factories import enqueue
from tests.personas import Personas, sign_in

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/notifications/outboxmessage/"


def in_review(key: str) -> OutboxMessage:
    message = enqueue(key)
    OutboxMessage.objects.filter(pk=message.pk).update(status="review", attempts=1)
    return message


def snapshot() -> list[tuple]:
    return list(OutboxMessage.objects.order_by("id").values_list("idempotency_key", "status"))


def test_staff_find_messages_by_status_and_read_their_history(staff_client: Client) -> None:
    message = in_review("reminder:9:partner")
    enqueue("reminder:10:partner", attachments=[AttachmentDraft("letter.pdf", content=b"%PDF")])

    listing = staff_client.get(CHANGELIST, {"status__exact": "review"})
    page = staff_client.get(f"{CHANGELIST}{message.pk}/change/")

    assert listing.status_code == 200
    assert [m.idempotency_key for m in listing.context["cl"].result_list] == ["reminder:9:partner"]
    assert page.status_code == 200
    assert "enqueued" in page.content.decode()
    assert staff_client.get(f"{CHANGELIST}add/").status_code == 403


def test_staff_release_a_message_in_review(staff_client: Client, personas: Personas) -> None:
    message = in_review("reminder:9:partner")

    response = staff_client.post(
        CHANGELIST, {"action": "release", "_selected_action": [message.pk], "reason": ""}
    )

    assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("pending", 0)
    event = message.events.get(kind="released")
    assert (event.actor, event.detail) == (
        personas.staff,
        "Released from review after 1 attempt(s). Released in the admin.",
    )


def test_release_leaves_messages_that_are_not_in_review_or_failed(staff_client: Client) -> None:
    review, pending = in_review("a"), enqueue("b")

    staff_client.post(
        CHANGELIST, {"action": "release", "_selected_action": [review.pk, pending.pk]}
    )

    assert snapshot() == [("a", "pending"), ("b", "pending")]
    assert pending.events.count() == 1


def test_staff_dismiss_with_a_reason(staff_client: Client, personas: Personas) -> None:
    message = in_review("reminder:9:partner")

    staff_client.post(
        CHANGELIST,
        {"action": "dismiss", "_selected_action": [message.pk], "reason": "Partner has it."},
    )

    message.refresh_from_db()
    assert message.status == "dismissed"
    assert message.events.get(kind="dismissed").detail == "Dismissed from review: Partner has it."


def test_dismiss_without_a_reason_changes_nothing(staff_client: Client) -> None:
    in_review("reminder:9:partner")
    before = snapshot()

    response = staff_client.post(
        CHANGELIST,
        {"action": "dismiss", "_selected_action": [OutboxMessage.objects.get().pk], "reason": ""},
        follow=True,
    )

    assert snapshot() == before
    assert "Geben Sie einen Grund an, um Nachrichten zu verwerfen." in response.content.decode()


def test_the_support_desk_can_look_but_not_release(personas: Personas) -> None:
    message = in_review("reminder:9:partner")
    client = Client()
    sign_in(client, personas.support)
    before = snapshot()

    listing = client.get(CHANGELIST)
    client.post(CHANGELIST, {"action": "release", "_selected_action": [message.pk]})

    assert listing.status_code == 200
    assert snapshot() == before
