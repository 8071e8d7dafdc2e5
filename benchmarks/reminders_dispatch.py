"""`reminders_dispatch`: e-mails per second from the outbox to a local SMTP sink.

Target (R10, docs/reminders.md): two dispatcher processes deliver at least 500 e-mails/s to an SMTP
server on loopback (aiosmtpd in a process of its own). The limit, measured in the same run, is
the bare rate of Django's SMTP backend sending the same messages in one loop over one
connection (`baseline`); `ratio` is outbox rate / bare rate. Every run also checks that each
message arrived exactly once.

The dispatchers start up (Django, database connection) before the clock starts, so the figure
is the sending, not Python's start-up. The messages carry the reminders' category, so the
dispatchers also run the reminders' send-time check per batch, as they do in production.
`--messages N` replaces the scale's count (for quick comparisons).
"""

from __future__ import annotations

import argparse
import os
import time
from collections import Counter
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from common import database_url, parser, setup_scratch_django
from dispatch_support import (
    DISPATCHERS,
    Measured,
    dispatch_rate,
    emit_figures,
    free_port,
    measure,
    peer_running,
    tables_analyze,
    tables_empty,
)

MESSAGES = {"small": 500, "full": 10_000}
TARGET = 500
# Children first, so that DELETE on SQLite meets no foreign key.
TABLES = (
    "notifications_outboxevent",
    "notifications_outboxattachment",
    "notifications_outboxmessage",
)
TEXT = (
    "Guten Tag,\n\nIhr Kunde {number} erhält in 15 Tagen ein Schreiben zur Verlängerung seines "
    "Vertrags über 25 Lizenzen ChannelDesk Enterprise, der am 31. Dezember 2026 endet.\n\n"
    "Ihr Angebot zu Ihrem aktuellen Partnerrabatt: 12.345,00 € netto.\n\n"
    "Mit freundlichen Grüßen\nIhr Partnerteam\n"
)


# --- The SMTP sink (its own process) ------------------------------------------------------


def _sink(port: int, control: Connection) -> None:
    """Counts Message-IDs; answers `stats` (and resets) over the pipe until told to `stop`.

    It finds the Message-ID with a regular expression rather than a header parser: the sink is
    shared by both dispatchers and should cost as little as it can.
    """
    import re

    from aiosmtpd.controller import Controller

    message_id = re.compile(rb"^Message-ID: *(<[^>]*>)", re.MULTILINE | re.IGNORECASE)

    class Handler:
        def __init__(self) -> None:
            self.seen: Counter[str] = Counter()

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
            found = message_id.search(envelope.content)
            self.seen[found.group(1).decode() if found else "(none)"] += 1
            return "250 OK"

    handler = Handler()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    control.send("ready")
    while (command := control.recv()) != "stop":
        if command == "stats":
            seen, handler.seen = handler.seen, Counter()
            control.send(dict(seen))
    controller.stop()


# --- The dispatchers (processes) ----------------------------------------------------------


@dataclass(frozen=True)
class Dispatcher:
    """What a dispatcher process needs: where the data and the sink are, and its name."""

    database_url: str
    email_url: str
    window: int | None
    number: int


def _dispatcher(job: Dispatcher, ready: Any, start: Any, out: Any) -> None:
    os.environ.update(
        DATABASE_URL=job.database_url,
        EMAIL_URL=job.email_url,
        DJANGO_SETTINGS_MODULE="channeldesk.settings",
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.mail import DNS_NAME
    from django.db import connection

    from channeldesk.notifications.dispatch import outbox_dispatch

    if job.window is not None:
        settings.OUTBOX_WINDOW = job.window
    connection.ensure_connection()
    DNS_NAME.get_fqdn()  # Looked up once per process; the baseline has it cached as well.
    warm_up()
    ready.release()
    start.wait()
    cpu = time.process_time()
    result = outbox_dispatch(limit=10**9, worker=f"bench-{job.number}")
    out.put((time.perf_counter(), result.sent, time.process_time() - cpu))


def warm_up() -> None:
    """Render one e-mail, so that the email package's lazy imports and regular expressions
    are not timed: the bare loop runs in a process that has them already."""
    from django.core.mail import EmailMultiAlternatives

    EmailMultiAlternatives("Warm-up", "-", "a@example.com", ["b@example.com"]).message().as_bytes()


# --- The bare loop and the data -----------------------------------------------------------


def bare_rate(messages: list[Any]) -> Measured:
    """Django's SMTP backend, the same messages, one loop, one connection."""
    from django.core.mail import EmailMultiAlternatives, mailers

    emails = []
    for message in messages:
        email = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text_body,
            from_email=message.from_email,
            to=message.to,
            headers={
                "Message-ID": message.message_id,
                "Auto-Submitted": "auto-generated",
                "Content-Language": message.language,
            },
        )
        emails.append(email)
    began, cpu = time.perf_counter(), time.process_time()
    with mailers.default as mailer:
        for email in emails:
            mailer.send_messages([email])
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu
    return Measured(len(emails) / elapsed, cpu * 1000 / len(emails))


def refill(count: int) -> list[Any]:
    """An empty outbox, then `count` reminder-like messages, all due."""
    from channeldesk.notifications.models import OutboxMessage
    from channeldesk.notifications.services import MessageDraft, outbox_enqueue_many

    tables_empty(TABLES)
    drafts = [
        MessageDraft(
            key=f"reminder:{number}:partner",
            to=[f"partner{number}@example.com"],
            subject=f"Ihr Kunde K-{number:06d} erhält in 15 Tagen ein Verlängerungsschreiben",
            text=TEXT.format(number=number),
            language="de",
            category="reminder:partner_advance_notice",  # as the reminders enqueue it
        )
        for number in range(count)
    ]
    for start in range(0, count, 2000):
        outbox_enqueue_many(drafts=drafts[start : start + 2000])
    tables_analyze(TABLES)
    return list(OutboxMessage.objects.order_by("id"))


def _arguments() -> argparse.Namespace:
    options = parser(__doc__ or "", MESSAGES)
    options.add_argument("--window", type=int, help="OUTBOX_WINDOW of the dispatchers.")
    options.add_argument("--messages", type=int, help="Messages per run instead of the scale's.")
    return options.parse_args()


def main() -> None:
    options = _arguments()
    port = free_port()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{port}"
    database = setup_scratch_django("outbox")
    from channeldesk.notifications.conf import outbox_settings

    warm_up()

    count = options.messages or MESSAGES[options.scale]
    url, email_url = database_url("outbox"), f"smtp://127.0.0.1:{port}"
    jobs = [(Dispatcher(url, email_url, options.window, n),) for n in range(DISPATCHERS)]
    with peer_running(_sink, port) as control:
        figures = measure(
            options.runs or 3,
            control,
            refill=lambda: refill(count),
            bare=bare_rate,
            dispatch=lambda: dispatch_rate(_dispatcher, jobs),
            key=lambda message: message.message_id,
        )

    value = figures.median("dispatch", "rate")
    emit_figures(
        figures,
        rate=("reminders_dispatch.emails_per_second", "emails/s"),
        cpu_name="reminders_dispatch.cpu_per_email",
        cpu_note=(
            "sender CPU only (dispatchers vs bare loop); the sink and the database not counted"
        ),
        targets={"target": f">= {TARGET} emails/s", "meets_target": value >= TARGET},
        common={
            "dispatchers": DISPATCHERS,
            "window": options.window or outbox_settings().window,
            "batch_size": outbox_settings().batch_size,
            "messages": count,
            "scale": options.scale,
            "database": database,
        },
    )


if __name__ == "__main__":
    main()
