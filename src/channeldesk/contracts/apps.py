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
        # The renewal letter (contracts/reminders/letters.py) is a kind of letter of the
        # documents module's registry; its text files are templates/contracts/letters/.
        from channeldesk.documents.composition import letter_template_register

        letter_template_register(
            kind="renewal",
            template="contracts/letters/renewal",
            fields={
                "contract_number": str,
                "product": str,
                "seats": int,
                "end_date": dt.date,
                "partner_name": str,
                "partner_phone": str,
                "partner_email": str,
                "contact_name": str,
                # Sent after its due date (a catch-up after downtime): the letter says it is
                # late and how many days are left, instead of "in good time".
                "sent_late": bool,
                "days_left": int,
            },
            optional={"contact_name", "sent_late", "days_left"},
        )


def reminder_emails_moot(messages: Sequence[OutboxMessage], now: dt.datetime) -> Mapping[int, str]:
    """`contracts.reminders.withdrawal.reminder_emails_moot`, imported when the outbox first
    asks: the withdrawal module brings the outbox services (and their cryptography) with it,
    which no start needs (benchmarks/cli_start.py)."""
    from channeldesk.contracts.reminders import withdrawal

    return withdrawal.reminder_emails_moot(messages, now)
