"""`channeldesk training sweep [--date D] [--format table|json]`: the daily training job by hand.

It runs the job's own sweep (`training_sweep`): e-mails partners about completions expiring
soon (once per completion) and re-tiers the partners whose completion expired or whose booked
session passed in the last days. Running it again on a day changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.utils import timezone

from channeldesk.commands.console import SubcommandCommand, parse_date
from channeldesk.training.services import training_sweep


class Command(SubcommandCommand):
    help = "Run the daily training sweep: expiry notices and re-tiering after expiries."

    def add_actions(self, commands: Any) -> None:
        sweep = self.action(commands, "sweep", "Expiry notices, re-tiering (the daily job).")
        sweep.add_argument("--date", type=parse_date, help="As of this day (default today).")

    def do_sweep(self, options: dict[str, Any]) -> None:
        result = training_sweep(today=options["date"] or timezone.localdate())
        self.answer(
            asdict(result),
            f"expiry notices queued: {result.expiry_notices} "
            f"(partners without an e-mail address: {result.without_email}); "
            f"partners re-tiered: {result.retiered}",
        )
