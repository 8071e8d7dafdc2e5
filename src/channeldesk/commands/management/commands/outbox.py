"""`channeldesk outbox ...`: send due e-mails, look into the outbox, settle doubtful messages.

- `dispatch [--loop] [--limit N] [--batch N]`: send what is due (once, or until stopped with
  SIGTERM/Ctrl-C, which lets the current batch finish); several may run at once;
- `list [--status S ...]`: the newest messages, e.g. `--status review --status failed`;
- `show KEY`: one message with its history;
- `release KEY ...` / `dismiss KEY ... --reason TEXT`: staff decisions on review/failed ones.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from channeldesk.commands.console import new_table, positive_int
from channeldesk.commands.delivery import DeliveryCommand
from channeldesk.notifications.conf import outbox_settings
from channeldesk.notifications.dispatch import OUTBOX_COUNTS, outbox_dispatch
from channeldesk.notifications.leases import DispatchResult
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from channeldesk.notifications.review import Reviewable
from channeldesk.notifications.selectors import (
    outbox_counts,
    outbox_get,
    outbox_history,
    outbox_list,
)
from channeldesk.notifications.services import OUTBOX_REVIEW


class Command(DeliveryCommand):
    help = "Send due e-mails from the outbox, list them, release or dismiss doubtful ones."
    noun = "messages"
    counts = (*OUTBOX_COUNTS, "review")

    def add_actions(self, commands: Any) -> None:
        self.add_dispatch_action(commands, help="Send what is due.")
        listing = self.action(commands, "list", "The newest messages.")
        listing.add_argument("--status", action="append", choices=OutboxStatus.values, default=[])
        listing.add_argument("--limit", type=positive_int, default=50)
        show = self.action(commands, "show", "One message and its history.")
        show.add_argument("key")
        self.add_review_actions(commands)

    def reviewable(self) -> Reviewable[OutboxMessage]:
        return OUTBOX_REVIEW

    def do_dispatch(self, options: dict[str, Any]) -> None:
        poll = lambda: outbox_settings().poll_interval  # noqa: E731 - read when the loop waits
        self.dispatch(options, outbox_dispatch, poll_interval=poll, label="run")

    def report_line(self, result: DispatchResult) -> str:
        return (
            f"claimed {result.claimed}, sent {result.sent}, retry {result.retried}, "
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
