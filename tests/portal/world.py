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
from django.test import Client
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
from channeldesk.licensing.models import ComplianceRecord, ComplianceStatus
from channeldesk.notifications.services import outbox_enqueue
from channeldesk.tiers.defaults import POLICIES, create_policy
from channeldesk.tiers.models import TierPolicy
from tests.contracts.factories import contract_of, customer_of, enterprise_product
from tests.personas import Personas
from tests.tiers.factories import previous_tier

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


def page_text(
    client: Client, url: str, query: dict[str, str] | None = None, *, language: str = ""
) -> str:
    """The page at `url` as `client`'s reader gets it, in `language` where one is given (the
    reader's language cookie)."""
    if language:
        client.cookies["django_language"] = language
    return client.get(url, query or {}).content.decode()


def _contract(
    customer: Customer, number: str, product: Product, *, seats: int, since: int, until: int
) -> Contract:
    """A contract that started `since` days ago and ends in `until` days."""
    today = timezone.localdate()
    return contract_of(
        customer,
        contract_number=number,
        product=product,
        seats=seats,
        start_date=today - dt.timedelta(days=since),
        end_date=today + dt.timedelta(days=until),
    )


def build_portal_world(personas: Personas) -> PortalWorld:
    partner_a, partner_b = personas.partner_a, personas.partner_b
    previous_tier(partner_a, "silver")
    previous_tier(partner_b, "gold")
    product = enterprise_product(
        "ENT-100", name_de="Endpoint-Schutz", name_en="Endpoint Suite", list_price=Decimal("50.00")
    )
    customer_a = customer_of(partner_a, customer_number="K-A", name="Anton Maschinenbau AG")
    customer_b = customer_of(partner_b, customer_number="K-B", name="Berta Bank eG")
    soon = _contract(customer_a, "V-A-SOON", product, seats=12, since=335, until=30)
    later = _contract(customer_a, "V-A-LATER", product, seats=3, since=10, until=355)
    contract_b = _contract(customer_b, "V-B", product, seats=40, since=300, until=60)
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


def heavily_under_licensed(contract: Contract) -> None:
    """Yesterday's compliance scan found 20 machines on `contract`'s 12 seats."""
    ComplianceRecord.objects.create(
        contract=contract,
        day=timezone.localdate() - dt.timedelta(days=1),
        seats=12,
        active_installations=20,
        peak_installations=20,
        tolerance=0,
        status=ComplianceStatus.HEAVILY_UNDER_LICENSED,
    )


def migration_data_ensure() -> None:
    """Put back the rows the data migrations write (tier policies, the reminder schedule) when a
    transactional test before this one flushed them; a no-op when they are there."""
    if not TierPolicy.objects.exists():
        for spec in POLICIES:
            create_policy(django_apps, spec)
    if not ReminderRule.objects.exists():
        schedule_install_default()
