"""Account e-mails (docs/security-login.md) carry secrets nobody reading the outbox may use.

The attack: reset the password of `staff` as anonymous, read the link in the outbox as the
read-only support desk, choose a new password: superuser. Now the link reaches only the
mailbox; every face of the outbox shows a redacted copy.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from channeldesk.notifications.delivery import email_for
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from channeldesk.notifications.sealing import REDACTED, redact
from channeldesk.notifications.services import OutboxError, outbox_enqueue
from tests.factories import UserFactory
from tests.personas import Personas, sign_in
from tests.security.flows import delivered_link

pytestmark = pytest.mark.usefixtures("fresh_rate_limits")

OUTBOX_ADMIN = "/admin/notifications/outboxmessage/"


def _faces_of_the_outbox(message: OutboxMessage, personas: Personas) -> dict[str, str]:
    """Everything the outbox shows: the admin as the support desk and as a superuser, the back
    office's outbox page, and the CLI's show (table and JSON).

    The superuser is another one than `staff`: signing `staff` in would change its last
    login and so spend its reset link, hiding a leak of a link that still works.
    """
    chief = UserFactory(username="chief", is_staff=True, is_superuser=True)
    pages: dict[str, str] = {}
    for person in (personas.support, chief):
        client = Client()
        sign_in(client, person)
        for url in (OUTBOX_ADMIN, f"{OUTBOX_ADMIN}{message.pk}/change/"):
            response = client.get(url)
            assert response.status_code == 200, (person, url)
            pages[f"{person} {url}"] = response.content.decode()
        if person == chief:
            for tab in ("planned", "sent"):
                page = client.get("/backoffice/outbox/", {"tab": tab})
                pages[f"back office {tab}"] = page.content.decode()
    for output in ("table", "json"):
        out = io.StringIO()
        call_command("outbox", "show", message.idempotency_key, "--format", output, stdout=out)
        pages[f"outbox show --format {output}"] = out.getvalue()
    return pages


def test_support_desk_cannot_read_a_staff_password_reset_link(
    personas: Personas, mailbox: list[Any]
) -> None:
    # Given an anonymous visitor asked for a password reset of the superuser `staff`,
    response = Client().post("/accounts/password/reset/", {"email": "staff@example.com"})
    assert response.status_code == 302
    message = OutboxMessage.objects.get(category="account")

    # when the e-mail is delivered, staff's mailbox has a working link,
    link = delivered_link("staff@example.com")
    key = link.rstrip("/").rsplit("/", 1)[-1]
    form = Client().get(link, follow=True)
    assert form.status_code == 200
    assert not form.context.get("token_fail", False)

    # but no face of the outbox shows it or its key, nor does the stored row.
    message.refresh_from_db()
    assert message.status == OutboxStatus.SENT
    pages = _faces_of_the_outbox(message, personas)
    for face, page in pages.items():
        assert key not in page, face
        assert link not in page, face
    # The support desk's admin page and the back office show the redacted copy instead.
    assert REDACTED in pages[f"support {OUTBOX_ADMIN}{message.pk}/change/"]
    assert REDACTED in pages["back office sent"]
    assert message.sensitive
    assert REDACTED in message.text_body
    assert key not in message.text_body + message.html_body + message.sealed_body


def test_a_colleague_invitation_link_is_not_readable_in_the_outbox(
    personas: Personas, mailbox: list[Any]
) -> None:
    admin = Client()
    sign_in(admin, personas.partner_a_admin)
    admin.post(
        "/portal/colleagues/",
        {"email": "ida@alpha.example", "first_name": "Ida", "last_name": "Neu", "role": "admin"},
    )
    message = OutboxMessage.objects.get(category="account")

    link = delivered_link("ida@alpha.example")
    token = link.rstrip("/").rsplit("/", 1)[-1]

    assert message.idempotency_key.startswith("portal-invitation:")
    for face, page in _faces_of_the_outbox(message, personas).items():
        assert token not in page, face
    assert Client().get(link).status_code == 200


def test_only_delivery_opens_a_sealed_message(db: None) -> None:
    # Given a message with a secret,
    secret = "http://testserver/accounts/password/reset/key/1-abc123-0123456789abcdef/"
    text = f"Hello,\n\nchoose a new password: {secret}\n"
    html = f'<p><a href="{secret}">Choose a new password</a></p>'
    message = outbox_enqueue(
        key="account:t:1",
        to=["a@example.com"],
        subject="Reset",
        text=text,
        html=html,
        secrets=[secret],
    ).message

    # the stored copies everyone reads are redacted,
    stored = OutboxMessage.objects.get(pk=message.pk)
    assert stored.text_body == f"Hello,\n\nchoose a new password: {REDACTED}\n"
    assert stored.html_body == f'<p><a href="{REDACTED}">Choose a new password</a></p>'
    assert secret not in stored.sealed_body
    # and the e-mail built for delivery carries the full text and HTML.
    email = email_for(stored)
    assert email.body == text
    assert email.alternatives[0][0] == html


def test_a_sealed_message_opens_after_a_key_rotation_only_with_the_old_key_kept(
    db: None, settings: Any
) -> None:
    message = outbox_enqueue(
        key="account:t:2",
        to=["a@example.com"],
        subject="Code",
        text="Code: 4711-0815",
        secrets=["4711-0815"],
    ).message
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40

    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError, match="opens with neither"):
        email_for(message)
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert email_for(message).body == "Code: 4711-0815"


def test_a_secret_in_the_subject_is_refused_and_nothing_is_stored(db: None) -> None:
    with pytest.raises(OutboxError, match="must not be in the subject"):
        outbox_enqueue(
            key="account:t:3",
            to=["a@example.com"],
            subject="Your code 4711",
            text="4711",
            secrets=["4711"],
        )

    assert not OutboxMessage.objects.exists()


def test_redaction_covers_escaped_and_quoted_spellings() -> None:
    secret = "https://x.example/key/a&b c"
    text = f"{secret} | https://x.example/key/a&amp;b c | https://x.example/key/a%26b%20c"

    assert redact(text, secrets=[secret]) == f"{REDACTED} | {REDACTED} | {REDACTED}"
