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
from channeldesk.partners.models import Partner
from channeldesk.tiers.defaults import POLICIES, create_policy
from channeldesk.tiers.models import TierPolicy
from tests.contracts.factories import contract_of, customer_of, enterprise_product
from tests.personas import Personas
from tests.tiers.factories import buy, previous_tier

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


def archived_pdf(*, key: str, kind: str, reference: str, name: str) -> Document:
    """A one-page German document of `kind` in the archive, its file the PDF `name`."""
    return Document.objects.create(
        key=key,
        kind=kind,
        reference=reference,
        language="de",
        file=ContentFile(PDF, name=name),
        sha256="0" * 64,
        page_count=1,
        size_bytes=len(PDF),
    )


def letter_sent(contract: Contract, *, key: str) -> Reminder:
    """A renewal letter about `contract`, sent and archived as a PDF."""
    now = timezone.now()
    document = archived_pdf(
        key=key,
        kind="renewal",
        reference=contract.contract_number,
        name=f"{key.replace(':', '-')}.pdf",
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
    client: Client,
    url: str,
    query: dict[str, str] | None = None,
    *,
    language: str = "",
    htmx: bool = False,
) -> str:
    """The page at `url` as `client`'s reader gets it, in `language` where one is given (the
    reader's language cookie); with `htmx`, as htmx asks for it (the fragment it swaps in)."""
    if language:
        client.cookies["django_language"] = language
    headers = {"HX-Request": "true"} if htmx else {}
    return client.get(url, query or {}, headers=headers).content.decode()


def customers_from_z(partner: Partner, *, name: str = "Zeta") -> None:
    """Thirty more customers of `partner`, K-Z00 to K-Z29, named "<name> 00 GmbH" and on:
    more than one page of the list."""
    for index in range(30):
        customer_of(partner, customer_number=f"K-Z{index:02d}", name=f"{name} {index:02d} GmbH")


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


def gold_orders_in_the_second_half_of_2026(world: PortalWorld) -> None:
    """Partner A orders like a Gold partner from July 2026: six orders of 20,000 €."""
    buy(
        world.personas.partner_a,
        world.product,
        times=6,
        amount=Decimal("20000"),
        start=dt.date(2026, 7, 10),
    )


def scanned(
    contract: Contract,
    *,
    day: dt.date,
    active: int,
    status: str,
    seats: int | None = None,
    tolerance: int = 0,
    over_since: dt.date | None = None,
) -> ComplianceRecord:
    """The compliance scan's record of `contract` on `day`: `active` machines (at their peak too)
    on `seats` (the contract's own unless given)."""
    return ComplianceRecord.objects.create(
        contract=contract,
        day=day,
        seats=contract.seats if seats is None else seats,
        active_installations=active,
        peak_installations=active,
        tolerance=tolerance,
        over_since=over_since,
        status=status,
    )


def heavily_under_licensed(contract: Contract) -> None:
    """Yesterday's compliance scan found 20 machines on `contract`'s 12 seats."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    scanned(
        contract,
        day=yesterday,
        seats=12,
        active=20,
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
