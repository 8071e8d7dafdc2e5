"""What a reminder builder gets, and the two ways it can decline to build."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from channeldesk.contracts.models import Contract, Reminder
from channeldesk.core.formatting import SUPPORTED_LANGUAGES
from channeldesk.partners.models import Partner


class ReminderProblem(Exception):
    """The reminder cannot be sent as the data stand (no partner, no address, …): it fails with
    this sentence, and staff release it once the data are fixed."""


class ReminderMoot(Exception):
    """There is nothing to send any more (the partner's copy of a letter that was never sent):
    the reminder is cancelled with this sentence."""


class ReminderWaits(Exception):
    """Not yet: something the reminder needs is still on its way (the partner's copy waits for
    the customer's letter). The reminder stays planned and is tried on the next run."""


@dataclass(frozen=True)
class Occasion:
    """A reminder at send time: its contract (locked), who looks after the customer on the day
    of sending, and that day."""

    reminder: Reminder
    contract: Contract
    partner: Partner | None
    today: dt.date

    def partner_or_problem(self) -> Partner:
        """The partner the reminder goes to or names; without one it cannot be sent."""
        if self.partner is None:
            customer = self.contract.customer
            raise ReminderProblem(
                f"Nobody looks after customer {customer.customer_number} on {self.today}; "
                "assign a partner, then release the reminder."
            )
        return self.partner

    @property
    def partner_language(self) -> str:
        """The partner's language for e-mails; German when the record holds another one."""
        language = self.partner.language if self.partner is not None else ""
        return language if language in SUPPORTED_LANGUAGES else "de"
