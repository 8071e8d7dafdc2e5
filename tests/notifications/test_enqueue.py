import pytest
from django.db import transaction

from channeldesk.notifications.models import OutboxAttachment, OutboxEvent, OutboxMessage
from channeldesk.notifications.services import (
    AttachmentDraft,
    MessageDraft,
    OutboxError,
    outbox_enqueue,
    outbox_enqueue_many,
)
from tests.notifications.factories import NOW, enqueue

pytestmark = pytest.mark.django_db


def test_enqueueing_a_key_twice_stores_it_once() -> None:
    first = outbox_enqueue(key="reminder:7:partner", to=["a@example.com"], subject="S", text="T")

    again = outbox_enqueue(
        key="reminder:7:partner", to=["b@example.com"], subject="Other", text="Other"
    )

    assert (first.created, again.created) == (True, False)
    assert again.message.pk == first.message.pk
    assert OutboxMessage.objects.count() == 1
    stored = OutboxMessage.objects.get()
    assert (stored.to, stored.subject, stored.status) == (["a@example.com"], "S", "pending")
    assert list(stored.events.values_list("kind", flat=True)) == ["enqueued"]


def test_enqueue_many_tells_new_from_known_keys_and_stores_a_repeated_key_once() -> None:
    enqueue("known")
    drafts = [
        MessageDraft(key="known", to=["x@example.com"], subject="New?", text="-"),
        MessageDraft(key="fresh", to=["y@example.com"], subject="First", text="-"),
        MessageDraft(key="fresh", to=["z@example.com"], subject="Second", text="-"),
    ]

    results = outbox_enqueue_many(drafts=drafts, now=NOW)

    assert [(r.message.idempotency_key, r.created) for r in results] == [
        ("known", False),
        ("fresh", True),
        ("fresh", True),
    ]
    assert results[1].message.pk == results[2].message.pk
    assert OutboxMessage.objects.get(idempotency_key="fresh").subject == "First"
    assert OutboxEvent.objects.filter(message__idempotency_key="fresh").count() == 1
    assert OutboxMessage.objects.count() == 2


def test_message_id_is_fixed_when_stored_and_names_the_sender_domain(settings) -> None:
    settings.DEFAULT_FROM_EMAIL = "ChannelDesk <channel@vendor.example>"

    first = enqueue("one")
    second = enqueue("two")

    assert first.message_id.startswith("<outbox.")
    assert first.message_id.endswith("@vendor.example>")
    assert first.message_id != second.message_id
    assert first.from_email == "ChannelDesk <channel@vendor.example>"


def test_attachments_are_stored_as_bytes_or_as_a_path() -> None:
    message = enqueue(
        attachments=[
            AttachmentDraft(filename="letter.pdf", content=b"%PDF-1.7 letter"),
            AttachmentDraft(filename="terms.txt", path="documents/terms.txt"),
        ]
    )

    stored = list(message.attachments.order_by("id"))
    assert [(a.filename, a.mimetype, a.path) for a in stored] == [
        ("letter.pdf", "application/pdf", ""),
        ("terms.txt", "text/plain", "documents/terms.txt"),
    ]
    assert bytes(stored[0].content) == b"%PDF-1.7 letter"
    assert stored[1].content is None


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"to": []}, "non-empty list"),
        ({"to": "anna@alpha.example"}, "non-empty list"),
        ({"subject": "Two\nlines"}, "one line"),
        ({"attachments": [AttachmentDraft(filename="x.pdf")]}, "needs content or a path"),
        (
            {"attachments": [AttachmentDraft(filename="x.pdf", content=b"x", path="x.pdf")]},
            "needs content or a path",
        ),
    ],
)
def test_a_malformed_message_is_refused_and_nothing_is_stored(fields: dict, error: str) -> None:
    with pytest.raises(OutboxError, match=error):
        enqueue(**fields)

    assert not OutboxMessage.objects.exists()
    assert not OutboxAttachment.objects.exists()
    assert not OutboxEvent.objects.exists()


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(OutboxError, match="idempotency key"):
        enqueue("")

    assert not OutboxMessage.objects.exists()


def test_a_message_enqueued_in_a_transaction_that_rolls_back_is_not_stored() -> None:
    """The caller's state change and its e-mail commit together, or neither does."""

    class CallerFailed(Exception):
        pass

    def caller() -> None:
        with transaction.atomic():
            enqueue("reminder:1:partner")
            raise CallerFailed

    with pytest.raises(CallerFailed):
        caller()

    assert not OutboxMessage.objects.exists()
    assert not OutboxEvent.objects.exists()
