"""Delivery through a real SMTP server on loopback: what arrives, and what the outbox records."""

import datetime as dt
import email
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest

from channeldesk.notifications.dispatch import outbox_dispatch
from channeldesk.notifications.leases import DispatchResult
from channeldesk.notifications.models import OutboxMessage
from channeldesk.notifications.services import AttachmentDraft
from tests.notifications.factories import NOW, enqueue, enqueue_many, statuses
from tests.notifications.sink import SmtpSink

pytestmark = pytest.mark.django_db


def parsed(raw: bytes) -> EmailMessage:
    message = email.message_from_bytes(raw, policy=default_policy)
    assert isinstance(message, EmailMessage)
    return message


def test_due_messages_arrive_once_and_are_recorded_as_sent(smtp_sink: SmtpSink) -> None:
    messages = enqueue_many(5)

    result = outbox_dispatch(now=NOW, worker="w1")
    again = outbox_dispatch(now=NOW + dt.timedelta(hours=1), worker="w1")

    assert result == DispatchResult(claimed=5, sent=5)
    assert again == DispatchResult()
    assert smtp_sink.message_ids == {message.message_id: 1 for message in messages}
    assert [r.recipients for r in smtp_sink.received] == [
        (f"partner{number}@example.com",) for number in range(5)
    ]
    sent = OutboxMessage.objects.get(idempotency_key="bulk:3")
    assert (sent.status, sent.attempts, sent.sent_at, sent.claimed_by) == ("sent", 1, NOW, "w1")
    assert list(sent.events.values_list("kind", "attempt", "worker")) == [
        ("enqueued", 0, ""),
        ("sent", 1, "w1"),
    ]


def test_the_mail_carries_html_attachments_language_and_the_stored_message_id(
    smtp_sink: SmtpSink, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    (tmp_path / "terms.pdf").write_bytes(b"%PDF-1.7 terms")
    message = enqueue(
        html="<p>Guten Tag</p>",
        cc=["copy@alpha.example"],
        language="de",
        attachments=[
            AttachmentDraft(filename="letter.pdf", content=b"%PDF-1.7 letter"),
            AttachmentDraft(filename="terms.pdf", path="terms.pdf"),
        ],
    )

    outbox_dispatch(now=NOW)

    [received] = smtp_sink.received
    assert received.recipients == ("anna@alpha.example", "copy@alpha.example")
    mail = parsed(received.content)
    assert mail["Message-ID"] == message.message_id
    assert mail["Content-Language"] == "de"
    assert mail["Auto-Submitted"] == "auto-generated"
    body = mail.get_body(preferencelist=("html",))
    assert body is not None
    assert "<p>Guten Tag</p>" in body.get_content()
    attachments = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert attachments == {"letter.pdf": b"%PDF-1.7 letter", "terms.pdf": b"%PDF-1.7 terms"}


def test_a_message_held_back_is_sent_when_its_time_comes(smtp_sink: SmtpSink) -> None:
    message = enqueue(send_after=NOW + dt.timedelta(days=1))

    early = outbox_dispatch(now=NOW)
    due = outbox_dispatch(now=NOW + dt.timedelta(days=1))

    assert (early.claimed, due.sent) == (0, 1)
    assert smtp_sink.message_ids == {message.message_id: 1}


def test_a_server_answering_421_gets_the_message_later_without_duplicates(
    smtp_sink: SmtpSink,
) -> None:
    smtp_sink.answer_data_with("421 4.3.2 Service not available, try again later")
    message = enqueue()

    first = outbox_dispatch(now=NOW)
    message.refresh_from_db()
    assert first == DispatchResult(claimed=1, retried=1)
    assert (message.status, message.attempts) == ("retry", 1)
    assert message.next_attempt_at == NOW + dt.timedelta(seconds=60)
    assert message.last_error == "421 4.3.2 Service not available, try again later"
    assert message.events.get(kind="retry").detail == (
        "421 4.3.2 Service not available, try again later Next attempt at 2026-01-15 09:01:00 CET."
    )
    assert smtp_sink.received == []

    too_early = outbox_dispatch(now=NOW + dt.timedelta(seconds=59))
    later = outbox_dispatch(now=NOW + dt.timedelta(seconds=60))

    assert (too_early.claimed, later.sent) == (0, 1)
    assert smtp_sink.message_ids == {message.message_id: 1}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")
    assert list(message.events.values_list("kind", flat=True)) == ["enqueued", "retry", "sent"]


@pytest.mark.usefixtures("quick_retries")
def test_temporary_failures_wait_longer_each_time_and_give_up_after_the_last_attempt(
    smtp_sink: SmtpSink,
) -> None:
    smtp_sink.answer_data_with(*["451 4.3.0 Mailbox busy"] * 3)
    message = enqueue()

    outbox_dispatch(now=NOW)
    outbox_dispatch(now=NOW + dt.timedelta(seconds=60))
    message.refresh_from_db()
    assert message.next_attempt_at == NOW + dt.timedelta(seconds=60 + 120)
    outbox_dispatch(now=NOW + dt.timedelta(seconds=180))

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("failed", 3)
    assert message.last_error == "Gave up after 3 attempts: 451 4.3.0 Mailbox busy"
    assert outbox_dispatch(now=NOW + dt.timedelta(days=1)).claimed == 0
    assert smtp_sink.received == []


def test_a_refused_recipient_is_a_permanent_failure_and_the_batch_goes_on(
    smtp_sink: SmtpSink,
) -> None:
    smtp_sink.refuse("gone@alpha.example", "550 5.1.1 User unknown")
    refused = enqueue("refused", to=["gone@alpha.example"])
    fine = enqueue("fine")

    result = outbox_dispatch(now=NOW)

    assert result == DispatchResult(claimed=2, sent=1, failed=1)
    refused.refresh_from_db()
    assert refused.status == "failed"
    assert refused.last_error == "gone@alpha.example: 550 5.1.1 User unknown"
    assert smtp_sink.message_ids == {fine.message_id: 1}
    assert outbox_dispatch(now=NOW + dt.timedelta(days=1)).claimed == 0


def test_a_bad_address_fails_permanently_without_reaching_the_server(
    smtp_sink: SmtpSink,
) -> None:
    enqueue("bad", to=["anna@alpha.example, bob@beta.example"])

    result = outbox_dispatch(now=NOW)

    assert result == DispatchResult(claimed=1, failed=1)
    bad = OutboxMessage.objects.get()
    assert bad.last_error.startswith("Refused before sending: Invalid address")
    assert smtp_sink.received == []


def test_a_missing_attachment_file_fails_permanently(
    smtp_sink: SmtpSink, settings, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    enqueue(attachments=[AttachmentDraft(filename="gone.pdf", path="letters/gone.pdf")])

    outbox_dispatch(now=NOW)

    message = OutboxMessage.objects.get()
    assert message.status == "failed"
    assert message.last_error.startswith("Cannot build the message:")
    assert "letters/gone.pdf" in message.last_error


@pytest.mark.usefixtures("unreachable_server")
def test_an_unreachable_server_means_retry_for_the_whole_batch() -> None:
    enqueue_many(3)

    result = outbox_dispatch(now=NOW)

    assert result == DispatchResult(claimed=3, retried=3)
    assert set(statuses().values()) == {"retry"}
    assert all(
        error.startswith("Cannot connect to the mail server (ConnectionRefusedError")
        for error in OutboxMessage.objects.values_list("last_error", flat=True)
    )


def test_a_connection_lost_after_the_data_was_sent_goes_to_review(smtp_sink: SmtpSink) -> None:
    """The server has the message, the client never hears so: it must not be sent again."""
    smtp_sink.drop_after_data()
    message = enqueue()
    other = enqueue("other")

    result = outbox_dispatch(now=NOW)

    assert result == DispatchResult(claimed=2, sent=1, unknown=1)
    message.refresh_from_db()
    assert message.status == "review"
    assert "The server may have the message (SMTPServerDisconnected" in message.last_error
    assert smtp_sink.message_ids == {message.message_id: 1, other.message_id: 1}
    assert outbox_dispatch(now=NOW + dt.timedelta(days=1)).claimed == 0


@pytest.mark.usefixtures("unreachable_server")
def test_an_unreachable_server_ends_the_run_after_the_first_batch() -> None:
    enqueue_many(5)

    result = outbox_dispatch(now=NOW, batch_size=2)

    assert result == DispatchResult(claimed=2, retried=2)
    assert sorted(statuses().values()) == ["pending"] * 3 + ["retry"] * 2
