"""The registry of reminder templates: for each template code, its channel, its audience and
the function that builds it (a plain dict, like the tier criteria).

A rule names a template; the admin refuses a rule whose channel or audience does not match
its template's. `sample` is a context with every key the template's e-mail texts may use, for
checking texts that vendor staff type into a rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from channeldesk.contracts.models import ReminderAudience, ReminderChannel, ReminderTemplate
from channeldesk.contracts.reminders.emails import (
    EmailContent,
    advance_notice,
    ended_unrenewed,
    letter_copy,
)
from channeldesk.contracts.reminders.letters import renewal_letter
from channeldesk.contracts.reminders.occasion import Occasion
from channeldesk.documents.letters import Letter
from channeldesk.pricing.selectors import PriceQuote


class LetterBuilder(Protocol):
    def __call__(self, *, occasion: Occasion) -> Letter: ...


class EmailBuilder(Protocol):
    def __call__(self, *, occasion: Occasion) -> EmailContent: ...


@dataclass(frozen=True)
class ReminderKind:
    """How a template is sent: a letter builder or an e-mail builder, never both."""

    channel: ReminderChannel
    audience: ReminderAudience
    letter: LetterBuilder | None = None
    email: EmailBuilder | None = None
    sample: Mapping[str, object] = field(default_factory=dict)


_SAMPLE_BASE: dict[str, object] = {
    "customer_name": "Müller Maschinenbau GmbH",
    "customer_number": "K-10042",
    "contract_number": "V-2026-0042",
    "product": "ChannelDesk Enterprise",
    "seats": 25,
    "end_date": dt.date(2026, 12, 1),
    "partner_name": "Alpha Systemhaus GmbH",
    "sender": "ChannelDesk Software GmbH",
    "hotline_number": "030 12345620",
    "hotline_hours": "Mo–Fr 8–18 Uhr",
}
_SAMPLE_QUOTE = PriceQuote(
    partner_number="P-1000",
    sku="ENT-100",
    on=dt.date(2026, 10, 2),
    quantity=Decimal(25),
    unit="seat",
    list_unit_price=Decimal("100.00"),
    list_amount=Decimal("2500.00"),
    tier="gold",
    policy="previous",
    discount_percent=Decimal("20.00"),
    net_amount=Decimal("2000.00"),
)

REMINDER_KINDS: dict[str, ReminderKind] = {
    ReminderTemplate.RENEWAL_LETTER: ReminderKind(
        channel=ReminderChannel.LETTER,
        audience=ReminderAudience.CUSTOMER,
        letter=renewal_letter,
    ),
    ReminderTemplate.PARTNER_ADVANCE_NOTICE: ReminderKind(
        channel=ReminderChannel.EMAIL,
        audience=ReminderAudience.PARTNER,
        email=advance_notice,
        sample={
            **_SAMPLE_BASE,
            "letter_on": dt.date(2026, 10, 17),
            "letter_in_days": 15,
            "quote": _SAMPLE_QUOTE,
            "tier_name": "Gold-Partner",
        },
    ),
    ReminderTemplate.PARTNER_LETTER_COPY: ReminderKind(
        channel=ReminderChannel.EMAIL,
        audience=ReminderAudience.PARTNER,
        email=letter_copy,
        sample={**_SAMPLE_BASE, "letter_sent_on": dt.date(2026, 10, 17)},
    ),
    ReminderTemplate.PARTNER_ENDED_UNRENEWED: ReminderKind(
        channel=ReminderChannel.EMAIL,
        audience=ReminderAudience.PARTNER,
        email=ended_unrenewed,
        sample=_SAMPLE_BASE,
    ),
}
