"""A small world for the reminder tests: one partner, one customer, one contract, fixed days.

The default schedule (from the migration) starts on 2026-04-01. The contract ends on
2026-12-31, so its reminders fall due on 2026-11-01 (-60), 2026-11-16 (-45, letter and copy)
and 2027-01-01 (+1). Planned on 2026-10-01 with the 90-day horizon, the first three are planned
and the +1 is not yet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from channeldesk.contracts.models import (
    Contract,
    Customer,
    CustomerAssignment,
    Reminder,
    ReminderEvent,
)
from channeldesk.contracts.reminders.schedules import schedule_install_default
from channeldesk.partners.models import Partner
from tests.contracts.factories import contract_of, customer_of, enterprise_product
from tests.factories import PartnerFactory

END = dt.date(2026, 12, 31)
PLAN_DAY = dt.date(2026, 10, 1)
ADVANCE_DAY = dt.date(2026, 11, 1)  # -60
LETTER_DAY = dt.date(2026, 11, 16)  # -45
AFTER_DAY = dt.date(2027, 1, 1)  # +1

# The default schedule's reminders, by template.
ADVANCE = "partner_advance_notice"
LETTER = "renewal_letter"
COPY = "partner_letter_copy"
AFTER = "partner_ended_unrenewed"


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    """An instant on a business day, in Europe/Berlin."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@dataclass
class World:
    partner: Partner
    customer: Customer
    contract: Contract


def partner_alpha(**fields: Any) -> Partner:
    values: dict[str, Any] = {
        "partner_number": "P-A",
        "name": "Alpha Systemhaus GmbH",
        "email": "vertrieb@alpha.example",
        "phone": "+49 40 1234567",
        "language": "de",
    }
    return PartnerFactory(**{**values, **fields})


def world(
    *,
    partner: Partner | None = None,
    customer_language: str = "de",
    number: str = "V-1",
    end: dt.date = END,
    customer_number: str = "K-1",
) -> World:
    """A customer of `partner` (default: Alpha, German) with one 25-seat contract."""
    partner = partner or Partner.objects.filter(partner_number="P-A").first() or partner_alpha()
    customer = customer_of(
        partner,
        customer_number=customer_number,
        name="Müller Maschinenbau GmbH",
        street="Industriestraße 12",
        postal_code="70565",
        city="Stuttgart",
        language=customer_language,
        contact_name="Anna Beispiel",
    )
    product = enterprise_product(
        "ENT-100",
        name_de="ChannelDesk Enterprise",
        name_en="ChannelDesk Enterprise",
        list_price=Decimal("100.00"),
        unit="seat",
    )
    contract = contract_of(
        customer,
        contract_number=number,
        product=product,
        seats=25,
        start_date=dt.date(2026, 1, 1),
        end_date=end,
    )
    return World(partner=partner, customer=customer, contract=contract)


def move_customer(customer: Customer, partner: Partner, *, on: dt.date) -> None:
    """Let `partner` look after the customer from `on` (a day the service would call the
    future, so the spans are written directly)."""
    CustomerAssignment.objects.filter(customer=customer, valid_to__isnull=True).update(valid_to=on)
    CustomerAssignment.objects.create(customer=customer, partner=partner, valid_from=on)


def rows() -> list[tuple[str, str, dt.date, int, dt.date, str]]:
    """Every reminder as (contract, template, end date, offset, due, status)."""
    return list(
        Reminder.objects.order_by(
            "contract__contract_number", "due_on", "rule__template"
        ).values_list(
            "contract__contract_number",
            "rule__template",
            "contract_end_date",
            "offset_days",
            "due_on",
            "status",
        )
    )


def events(reminder: Reminder) -> list[tuple[str, str]]:
    return list(
        ReminderEvent.objects.filter(reminder=reminder)
        .order_by("at", "id")
        .values_list("kind", "detail")
    )


def reminder_of(number: str, template: str) -> Reminder:
    """The newest reminder of that template about that contract."""
    reminder = (
        Reminder.objects.select_related("rule")
        .filter(contract__contract_number=number, rule__template=template)
        .order_by("-id")
        .first()
    )
    assert reminder is not None, f"no {template} reminder for {number}"
    return reminder


def reminders_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of the reminder tables (all columns), to show that a refusal changed nothing."""
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in (Reminder, ReminderEvent)
    }


def ensure_default_schedule() -> None:
    """Transactional tests flush the database, and the schedule with it; put it back."""
    schedule_install_default(effective_from=dt.date(2026, 4, 1))
