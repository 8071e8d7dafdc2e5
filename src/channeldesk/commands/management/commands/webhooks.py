"""`channeldesk webhooks ...`: send due webhook deliveries, settle failed ones.

- `dispatch [--loop] [--limit N] [--batch N] [--worker NAME]`: send what is due (once, or
  until stopped with SIGTERM/Ctrl-C, which lets the current batch finish); several may run at
  once, on any number of machines (docs/webhooks.md);
- `release ID ... [--note TEXT]`: send failed, dismissed or delivered deliveries again;
- `dismiss ID ... --reason TEXT`: close pending, retrying or failed deliveries unsent.
"""

from __future__ import annotations

from typing import Any

from channeldesk.commands.delivery import DeliveryCommand
from channeldesk.notifications.leases import DispatchResult
from channeldesk.notifications.review import Reviewable
from channeldesk.webhooks.conf import webhook_settings
from channeldesk.webhooks.dispatch import WEBHOOK_COUNTS, webhooks_dispatch
from channeldesk.webhooks.models import WebhookDelivery
from channeldesk.webhooks.review import WEBHOOK_REVIEW


class Command(DeliveryCommand):
    help = "Send due webhook deliveries; send failed ones again or dismiss them."
    noun = "deliveries"
    counts = WEBHOOK_COUNTS
    reference_name = "ids"
    reference_metavar = "ID"
    reference_type = int

    def add_actions(self, commands: Any) -> None:
        self.add_dispatch_action(commands, help="Send what is due.")
        self.add_review_actions(commands)

    def reviewable(self) -> Reviewable[WebhookDelivery]:
        return WEBHOOK_REVIEW

    def do_dispatch(self, options: dict[str, Any]) -> None:
        poll = lambda: webhook_settings().poll_interval  # noqa: E731 - read when the loop waits
        self.dispatch(options, webhooks_dispatch, poll_interval=poll, label="run")

    def report_line(self, result: DispatchResult) -> str:
        return (
            f"claimed {result.claimed}, delivered {result.sent}, retry {result.retried}, "
            f"failed {result.failed}, expired {result.expired}, returned {result.returned}"
        )
