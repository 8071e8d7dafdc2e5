"""The data the portal and back-office tests run against.

Partner A (admin Alice, user Arne) is Silver under the published `previous` policy and looks
after customer K-A with two contracts: V-A-SOON ends in 30 days (a renewal), V-A-LATER in a
year. The customer got a renewal letter (a stored PDF) about V-A-SOON. Partner B (user Bob) is
Gold and looks after K-B. The draft `default` is open for partner feedback.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps as django_apps
from django.core.files.base import ContentFile
from django.utils import timezone

from channeldesk.catalog.models import Product
from channeldesk.contracts.models import (
    Contract,
    Customer,
    Reminder,
    ReminderRule,
    ReminderStatus,
    ReminderTemplate,
)
from channeldesk.contracts.reminders.schedules import schedule_install_default
from channeldesk.documents.models import Document
from channeldesk.feedback.services import policy_feedback_open
from channeldesk.notifications.services import outbox_enqueue
from channeldesk.tiers.defaults import POLICIES, create_policy
from channeldesk.tiers.models import TierPolicy
from tests.conftest import Personas
from tests.contracts.factories import contract_of, customer_of, enterprise_product
from tests.tiers.conftest import previous_tier

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class PortalWorld:
    personas: Personas
    product: Product
    customer_a: Customer
    customer_b: Customer
    contract_soon: Contract
    contract_later: Contract
    contract_b: Contract
    letter_a: Reminder
    letter_b: Reminder
    draft: TierPolicy


def letter_sent(contract: Contract, *, key: str) -> Reminder:
    """A renewal letter about `contract`, sent and archived as a PDF."""
    now = timezone.now()
    document = Document.objects.create(
        key=key,
        kind="renewal",
        reference=contract.contract_number,
        language="de",
        file=ContentFile(PDF, name=f"{key.replace(':', '-')}.pdf"),
        sha256="0" * 64,
        page_count=1,
        size_bytes=len(PDF),
    )
    rule = ReminderRule.objects.get(template=ReminderTemplate.RENEWAL_LETTER)
    return Reminder.objects.create(
        contract=contract,
        rule=rule,
        contract_end_date=contract.end_date,
        offset_days=rule.offset_days,
        due_on=contract.end_date + dt.timedelta(days=rule.offset_days),
        status=ReminderStatus.SENT,
        partner=contract.partner,
        recipient=contract.customer.name,
        document=document,
        sent_at=now,
        sent_on=timezone.localdate(),
        created_at=now,
        updated_at=now,
    )


def build_portal_world(personas: Personas) -> PortalWorld:
    today = timezone.localdate()
    partner_a, partner_b = personas.partner_a, personas.partner_b
    previous_tier(partner_a, "silver")
    previous_tier(partner_b, "gold")
    product = enterprise_product(
        "ENT-100", name_de="Endpoint-Schutz", name_en="Endpoint Suite", list_price=Decimal("50.00")
    )
    customer_a = customer_of(partner_a, customer_number="K-A", name="Anton Maschinenbau AG")
    customer_b = customer_of(partner_b, customer_number="K-B", name="Berta Bank eG")
    soon = contract_of(
        customer_a,
        contract_number="V-A-SOON",
        product=product,
        seats=12,
        start_date=today - dt.timedelta(days=335),
        end_date=today + dt.timedelta(days=30),
    )
    later = contract_of(
        customer_a,
        contract_number="V-A-LATER",
        product=product,
        seats=3,
        start_date=today - dt.timedelta(days=10),
        end_date=today + dt.timedelta(days=355),
    )
    contract_b = contract_of(
        customer_b,
        contract_number="V-B",
        product=product,
        seats=40,
        start_date=today - dt.timedelta(days=300),
        end_date=today + dt.timedelta(days=60),
    )
    draft = policy_feedback_open(policy=TierPolicy.objects.get(code="default"))
    outbox_enqueue(
        key="portal-test:1", to=["partner@example.com"], subject="Renewal", text="Your customer."
    )
    return PortalWorld(
        personas=personas,
        product=product,
        customer_a=customer_a,
        customer_b=customer_b,
        contract_soon=soon,
        contract_later=later,
        contract_b=contract_b,
        letter_a=letter_sent(soon, key="reminder:test-a"),
        letter_b=letter_sent(contract_b, key="reminder:test-b"),
        draft=draft,
    )


def migration_data_ensure() -> None:
    """Put back the rows the data migrations write (tier policies, the reminder schedule) when a
    transactional test before this one flushed them; a no-op when they are there."""
    if not TierPolicy.objects.exists():
        for spec in POLICIES:
            create_policy(django_apps, spec)
    if not ReminderRule.objects.exists():
        schedule_install_default()
