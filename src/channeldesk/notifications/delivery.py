"""Handing outbox messages to Django's default mailer, and reading what the server answered.

The one question that matters for exactly-once is whether the server may have taken the message:

- an explicit 4xx answer: it did not, try again later (temporary);
- an explicit 5xx answer, an address or header Django refuses, a missing attachment: it did
  not and never will (permanent);
- the document storage could not be read (an attachment in an S3 bucket that did not answer):
  nothing was sent (temporary);
- the connection could not be opened: nothing was sent (temporary);
- the connection broke or timed out while the message was on its way, or anything unexpected
  happened: it may have (unknown, the message goes to review and is not sent again by itself).
"""

from __future__ import annotations

import enum
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from channeldesk.notifications.models import OutboxAttachment, OutboxMessage
from channeldesk.notifications.sealing import unseal


class OutcomeKind(enum.Enum):
    SENT = "sent"
    TEMPORARY = "temporary"
    PERMANENT = "permanent"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Outcome:
    """What became of one attempt; `detail` is what staff read in the history."""

    kind: OutcomeKind
    detail: str = ""


def email_for(
    message: OutboxMessage, *, attachments: Iterable[OutboxAttachment] | None = None
) -> EmailMultiAlternatives:
    """The Django e-mail for a stored message, with its fixed Message-ID on every attempt.

    `attachments` are the message's, when the caller has them loaded already.

    `Auto-Submitted` tells the receiving side that no human wrote it, so vacation responders do
    not answer (RFC 3834). A sensitive message is sent with its sealed body, opened only here;
    a body that no configured key opens raises ValueError (the message cannot be built).
    """
    headers = {"Message-ID": message.message_id, "Auto-Submitted": "auto-generated"}
    if message.language:
        headers["Content-Language"] = message.language
    text, html = message.text_body, message.html_body
    if message.sensitive:
        body = unseal(message.sealed_body)
        text, html = body.text, body.html
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=message.from_email,
        to=message.to,
        cc=message.cc,
        bcc=message.bcc,
        reply_to=message.reply_to,
        headers=headers,
    )
    if html:
        email.attach_alternative(html, "text/html")
    for attachment in message.attachments.all() if attachments is None else attachments:
        email.attach(attachment.filename, attachment_content(attachment), attachment.mimetype)
    return email


class AttachmentUnavailable(Exception):
    """The document storage could not be read just now (an S3 endpoint down): try later."""


def attachment_content(attachment: OutboxAttachment) -> bytes:
    """Stored bytes, or the file's bytes now, read through the document storage
    (`STORAGES["default"]`: the data directory or an S3 bucket), so every host of a deployment
    finds it. A missing file is an `OSError` (permanent); any other failure of the storage is
    `AttachmentUnavailable` (temporary)."""
    if attachment.content is not None:
        return bytes(attachment.content)
    try:
        with default_storage.open(attachment.path, "rb") as stored:
            return stored.read()
    except FileNotFoundError as missing:
        raise FileNotFoundError(f"{attachment.path} is not in the document storage.") from missing
    except OSError:
        raise
    except Exception as error:
        raise AttachmentUnavailable(
            f"The document storage cannot be read ({type(error).__name__}: {error})."
        ) from error


def classify(error: Exception) -> Outcome:
    """Sorts an exception raised while a message was being handed over (see the module)."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return _refused(error)
    if isinstance(error, smtplib.SMTPResponseException):
        return _by_code(error.smtp_code, _reply_text(error))
    if isinstance(error, smtplib.SMTPNotSupportedError | ValueError):
        return Outcome(OutcomeKind.PERMANENT, f"Refused before sending: {error}")
    return Outcome(
        OutcomeKind.UNKNOWN,
        f"The server may have the message ({type(error).__name__}: {error}).",
    )


def _refused(error: smtplib.SMTPRecipientsRefused) -> Outcome:
    """Every recipient was refused; any 4xx among them means it is worth trying again."""
    replies = {
        address: _by_code(code, _decode(text)) for address, (code, text) in error.recipients.items()
    }
    detail = "; ".join(f"{address}: {outcome.detail}" for address, outcome in replies.items())
    kinds = {outcome.kind for outcome in replies.values()}
    if OutcomeKind.TEMPORARY in kinds:
        return Outcome(OutcomeKind.TEMPORARY, detail)
    return Outcome(OutcomeKind.PERMANENT, detail)


def _by_code(code: int, text: str) -> Outcome:
    detail = f"{code} {text}".strip()
    if 400 <= code < 500:
        return Outcome(OutcomeKind.TEMPORARY, detail)
    if code >= 500:
        return Outcome(OutcomeKind.PERMANENT, detail)
    return Outcome(OutcomeKind.UNKNOWN, f"Unexpected reply {detail}")


def _reply_text(error: smtplib.SMTPResponseException) -> str:
    return _decode(error.smtp_error)


def _decode(text: bytes | str) -> str:
    return text.decode(errors="replace") if isinstance(text, bytes) else str(text)


class MailSession:
    """One connection of a mailer, reused for many messages.

    After an error the connection is dropped and the next message opens a new one. When the
    connection cannot be opened at all, the session is down: the remaining messages fail
    temporarily without another connection attempt each.
    """

    def __init__(self, *, mailer: BaseEmailBackend) -> None:
        self._mailer = mailer
        self._is_open = False
        self.down_reason = ""

    def send(
        self, message: OutboxMessage, *, attachments: Iterable[OutboxAttachment] | None = None
    ) -> Outcome:
        try:
            email = email_for(message, attachments=attachments)
        except AttachmentUnavailable as error:
            return Outcome(OutcomeKind.TEMPORARY, f"Cannot build the message yet: {error}")
        except (OSError, ValueError) as error:
            return Outcome(OutcomeKind.PERMANENT, f"Cannot build the message: {error}")
        if not self._open():
            return Outcome(OutcomeKind.TEMPORARY, self.down_reason)
        try:
            accepted = self._mailer.send_messages([email])
        except Exception as error:
            # Whatever went wrong, classify decides; what it does not know goes to review.
            self.close()
            return classify(error)
        if not accepted:
            return Outcome(OutcomeKind.PERMANENT, "The mailer accepted no recipient.")
        return Outcome(OutcomeKind.SENT, f"Accepted for {', '.join(message.recipients)}.")

    def close(self) -> None:
        if self._is_open:
            self._is_open = False
            _close_quietly(self._mailer)

    def _open(self) -> bool:
        if self._is_open or self.down_reason:
            return self._is_open
        try:
            self._mailer.open()
        except (OSError, smtplib.SMTPException) as error:
            _close_quietly(self._mailer)
            self.down_reason = (
                f"Cannot connect to the mail server ({type(error).__name__}: {error})."
            )
            return False
        self._is_open = True
        return True


def _close_quietly(mailer: BaseEmailBackend) -> None:
    try:
        mailer.close()
    except (OSError, smtplib.SMTPException):
        # The connection is being thrown away; a failing QUIT changes nothing.
        return
