"""`channeldesk support refresh-numbers [--format table|json]`: rebuild the caller numbers.

The phone system finds a caller's partner (and so the tier's hotline) through the E.164 numbers
`caller_numbers_refresh` builds from the partners' and contacts' numbers. The nightly job
`caller_numbers_daily_refresh` runs it, and so do partner imports; run this after fixing numbers
in the admin, so calls route by them at once instead of from the next night (docs/support.md).
"""

from __future__ import annotations

from typing import Any

from channeldesk.commands.console import SubcommandCommand
from channeldesk.tiers.hotlines import caller_numbers_refresh


class Command(SubcommandCommand):
    help = "Support hotlines: rebuild the caller numbers the phone system routes calls by."

    def add_actions(self, commands: Any) -> None:
        self.action(commands, "refresh-numbers", "Rebuild the caller numbers (the nightly job).")

    def do_refresh_numbers(self, options: dict[str, Any]) -> None:
        numbers = caller_numbers_refresh()
        self.answer(
            {"caller_numbers": numbers}, f"{numbers:,} caller numbers ready for call routing."
        )
