from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from channeldesk.notifications.models import OutboxMessage


class ContractsConfig(AppConfig):
    name = "channeldesk.contracts"
    label = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        # The outbox asks before sending a reminder e-mail whether its contract changed
        # meanwhile (see contracts/reminders/withdrawal.py and notifications/checks.py).
        from channeldesk.notifications.checks import send_check_register

        send_check_register(category_prefix="reminder:", check=reminder_emails_moot)


def reminder_emails_moot(messages: Sequence[OutboxMessage], now: dt.datetime) -> Mapping[int, str]:
    """`contracts.reminders.withdrawal.reminder_emails_moot`, imported when the outbox first
    asks: the withdrawal module brings the outbox services (and their cryptography) with it,
    which no start needs (benchmarks/cli_start.py)."""
    from channeldesk.contracts.reminders import withdrawal

    return withdrawal.reminder_emails_moot(messages, now)
