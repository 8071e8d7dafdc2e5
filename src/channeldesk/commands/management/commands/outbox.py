"""`channeldesk outbox ...`: send due e-mails, look into the outbox, settle doubtful messages.

- `dispatch [--loop] [--limit N] [--batch N]`: send what is due (once, or until stopped with
  SIGTERM/Ctrl-C, which lets the current batch finish); several may run at once;
- `list [--status S ...]`: the newest messages, e.g. `--status review --status failed`;
- `show KEY`: one message with its history;
- `release KEY ...` / `dismiss KEY ... --reason TEXT`: staff decisions on review/failed ones.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from channeldesk.commands.console import (
    FORMATS,
    ChannelDeskCommand,
    new_table,
    out_console,
    positive_int,
    stop_signal,
    to_json,
)
from channeldesk.notifications.conf import outbox_settings
from channeldesk.notifications.dispatch import DispatchResult, default_worker, outbox_dispatch
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from channeldesk.notifications.selectors import (
    MessageNotFound,
    outbox_counts,
    outbox_get,
    outbox_history,
    outbox_list,
)
from channeldesk.notifications.services import OutboxError, outbox_dismiss, outbox_release


class Command(ChannelDeskCommand):
    help = "Send due e-mails from the outbox, list them, release or dismiss doubtful ones."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        dispatch = commands.add_parser("dispatch", help="Send what is due.")
        dispatch.add_argument("--loop", action="store_true", help="Keep going until stopped.")
        dispatch.add_argument("--limit", type=positive_int, default=1000, help="Messages per run.")
        dispatch.add_argument("--batch", type=positive_int, help="Messages claimed at once.")
        dispatch.add_argument("--worker", default="", help="Name in the history (host:pid).")
        dispatch.add_argument("--format", choices=FORMATS, default="table")

        listing = commands.add_parser("list", help="The newest messages.")
        listing.add_argument("--status", action="append", choices=OutboxStatus.values, default=[])
        listing.add_argument("--limit", type=positive_int, default=50)
        listing.add_argument("--format", choices=FORMATS, default="table")

        show = commands.add_parser("show", help="One message and its history.")
        show.add_argument("key")
        show.add_argument("--format", choices=FORMATS, default="table")

        release = commands.add_parser("release", help="Send review/failed messages again.")
        release.add_argument("keys", nargs="+", metavar="KEY")
        release.add_argument("--note", default="", help="Why (kept in the history).")
        release.add_argument("--format", choices=FORMATS, default="table")

        dismiss = commands.add_parser("dismiss", help="Close messages without sending them.")
        dismiss.add_argument("keys", nargs="+", metavar="KEY")
        dismiss.add_argument("--reason", required=True, help="Why (kept in the history).")
        dismiss.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        self.console = out_console(self.stdout)
        self.format = options["format"]
        handler = getattr(self, f"do_{options['action']}")
        try:
            handler(options)
        except (MessageNotFound, OutboxError, ValueError) as error:
            raise CommandError(str(error)) from error

    def emit(self, document: Any) -> None:
        self.stdout.write(to_json(document))

    # --- dispatch -----------------------------------------------------------------------------

    def do_dispatch(self, options: dict[str, Any]) -> None:
        worker = options["worker"] or default_worker()
        arguments = {"limit": options["limit"], "worker": worker, "batch_size": options["batch"]}
        if not options["loop"]:
            self.report(outbox_dispatch(**arguments))
            return
        total = DispatchResult()
        with stop_signal() as stop:
            while not stop.is_set():
                close_old_connections()
                result = outbox_dispatch(**arguments)
                total += result
                if result.did_something:
                    self.report(result)
                if not result.claimed:
                    stop.wait(outbox_settings().poll_interval)
        self.report(total, label="total")

    def report(self, result: DispatchResult, *, label: str = "run") -> None:
        if self.format == "json":
            self.emit({"label": label, **asdict(result), "review": result.review})
            return
        self.console.print(
            f"{label}: claimed {result.claimed}, sent {result.sent}, retry {result.retried}, "
            f"failed {result.failed}, review {result.review}, returned {result.returned}, "
            f"dismissed {result.dismissed}"
        )

    # --- list, show ---------------------------------------------------------------------------

    def do_list(self, options: dict[str, Any]) -> None:
        messages = outbox_list(statuses=options["status"], limit=options["limit"])
        if self.format == "json":
            for message in messages:
                self.emit(_message_document(message))
            return
        counts = " · ".join(f"{status} {count}" for status, count in outbox_counts().items())
        table = new_table(
            "key", "status", "to", "subject", "attempts", "next / sent", "last error", title=counts
        )
        for message in messages:
            when = message.sent_at or message.next_attempt_at
            table.add_row(
                message.idempotency_key,
                message.status,
                ", ".join(message.to),
                message.subject,
                str(message.attempts),
                f"{timezone.localtime(when):%Y-%m-%d %H:%M}",
                message.last_error,
            )
        self.console.print(table)

    def do_show(self, options: dict[str, Any]) -> None:
        message = outbox_get(key=options["key"])
        history: list[dict[str, Any]] = [
            {
                "at": event.at,
                "kind": event.kind,
                "attempt": event.attempt,
                "worker": event.worker,
                "by": event.actor.get_username() if event.actor else "",
                "detail": event.detail,
            }
            for event in outbox_history(message=message)
        ]
        if self.format == "json":
            self.emit({**_message_document(message), "history": history})
            return
        self.console.print(
            f"{message.idempotency_key}: {message.status} after {message.attempts} attempt(s), "
            f"{message.message_id} to {', '.join(message.recipients)}: {message.subject}"
        )
        table = new_table("at", "event", "attempt", "worker", "by", "detail")
        for row in history:
            table.add_row(
                f"{timezone.localtime(row['at']):%Y-%m-%d %H:%M:%S}",
                row["kind"],
                str(row["attempt"]),
                row["worker"],
                row["by"],
                row["detail"],
            )
        self.console.print(table)

    # --- release, dismiss ---------------------------------------------------------------------

    def do_release(self, options: dict[str, Any]) -> None:
        for key in options["keys"]:
            message = outbox_release(message=outbox_get(key=key), note=options["note"])
            self.settled(message)

    def do_dismiss(self, options: dict[str, Any]) -> None:
        for key in options["keys"]:
            message = outbox_dismiss(message=outbox_get(key=key), reason=options["reason"])
            self.settled(message)

    def settled(self, message: OutboxMessage) -> None:
        if self.format == "json":
            self.emit({"key": message.idempotency_key, "status": message.status})
        else:
            self.console.print(f"{message.idempotency_key}: {message.status}")


def _message_document(message: OutboxMessage) -> dict[str, Any]:
    return {
        "key": message.idempotency_key,
        "status": message.status,
        "message_id": message.message_id,
        "to": message.to,
        "subject": message.subject,
        "attempts": message.attempts,
        "next_attempt_at": message.next_attempt_at,
        "sent_at": message.sent_at,
        "last_error": message.last_error,
    }
