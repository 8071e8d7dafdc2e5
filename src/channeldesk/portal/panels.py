"""Where other domains' panels plug into the portal pages, through plain registries.

A panel provider is a function returning `Panel`s (a title, a template and its context); the
pages render whatever the providers give, so licensing (keycode, licence status, true-up quote),
training and hotlines, and usage statements add their panels by adding one entry here, without
touching the views. Providers for a list of contracts work on the whole list at once, so a
page costs the same number of queries whatever its length.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from channeldesk.catalog.models import ProductKind
from channeldesk.contracts.models import Contract, ContractStatus
from channeldesk.licensing.selectors import contract_licence_status, contract_licence_trend
from channeldesk.partners.models import Partner
from channeldesk.partners.selectors import AnyUser
from channeldesk.tiers.hotlines import hotline_for_partner
from channeldesk.training.models import EnrollmentStatus
from channeldesk.training.selectors import partner_training, training_needs
from channeldesk.usage.selectors import statements_visible_to


@dataclass(frozen=True)
class Panel:
    title: str
    template: str
    context: Mapping[str, Any] = field(default_factory=dict)


HomePanelProvider = Callable[[AnyUser, Partner, dt.date], list[Panel]]
ContractPanelProvider = Callable[[Partner, list[Contract], dt.date], dict[int, list[Panel]]]


def _language() -> str:
    return (translation.get_language() or "de")[:2]


def hotline_panel(user: AnyUser, partner: Partner, today: dt.date) -> list[Panel]:
    """The support hotline of the partner's tier (`tiers.hotlines`)."""
    line = hotline_for_partner(partner=partner, on=today)
    if line is None or not line.phone:
        return []
    language = _language()
    context = {
        "phone": line.display(language),
        "tel": line.phone,
        "hours": line.hours(language),
        "callback_minutes": line.callback_minutes,
        "tier": line.tier_name(language),
    }
    return [
        Panel(title=_("Support hotline"), template="portal/panels/hotline.html", context=context)
    ]


def training_panel(user: AnyUser, partner: Partner, today: dt.date) -> list[Panel]:
    """What each tier asks in training and what the partner's people have of it, the records of
    its people, and the training company with its booking link (`training.selectors`).

    Shown also to a partner without any record yet, as soon as a programme it reads asks for a
    course: then it is the only place that says which course to book.
    """
    records = partner_training(partner=partner, on=today)
    needs = training_needs(partner=partner, on=today)
    if not records and not needs:
        return []
    language = _language()
    statuses = dict(EnrollmentStatus.choices)
    context = {
        "needs": [
            {
                "programme": need.policy,
                "tier": need.tier_name_for(language),
                "course": need.course_name_for(language),
                "required": need.requirement.people_required,
                "counted": need.requirement.people_counted,
                "missing": need.people_missing,
                "holds": need.requirement.holds,
            }
            for need in needs
        ],
        "records": [
            {
                "participant_name": record.participant_name,
                "course": record.course_name_de if language == "de" else record.course_name_en,
                "status": statuses.get(record.status, record.status),
                "valid_until": record.valid_until,
                "is_valid": record.is_valid,
            }
            for record in records[:TRAINING_RECORDS_SHOWN]
        ],
        "company_name": settings.TRAINING_COMPANY_NAME,
        "booking_url": settings.TRAINING_BOOKING_URL,
    }
    return [Panel(title=_("Training"), template="portal/panels/training.html", context=context)]


def statements_panel(user: AnyUser, partner: Partner, today: dt.date) -> list[Panel]:
    """The partner's latest usage statements (`usage.selectors`, scoped to the user)."""
    statements = list(statements_visible_to(user=user)[:STATEMENTS_SHOWN])
    if not statements:
        return []
    return [
        Panel(
            title=_("Usage statements"),
            template="portal/panels/statements.html",
            context={"statements": statements},
        )
    ]


def licence_panels(
    partner: Partner, contracts: list[Contract], today: dt.date
) -> dict[int, list[Panel]]:
    """Per enterprise contract: the masked keycode, installations against seats, the compliance
    state, the trend over the last 30 days and, when under-licensed, the stored true-up quote
    (`licensing.selectors`: five queries for the whole page)."""
    enterprise = [c.pk for c in contracts if c.product.kind == ProductKind.ENTERPRISE]
    if not enterprise:
        return {}
    statuses = contract_licence_status(contract_ids=enterprise, on=today)
    trends = contract_licence_trend(contract_ids=enterprise, on=today, days=TREND_DAYS)
    numbers = {contract.pk: contract.contract_number for contract in contracts}
    # Only a contract in force can be trued up: a cancelled, expired or renewed one gets no
    # quote, even while its under-licensing episode is still open.
    in_force = {contract.pk for contract in contracts if contract.status == ContractStatus.ACTIVE}
    return {
        contract_id: [
            Panel(
                title=_("Licence"),
                template="portal/panels/licence.html",
                context={
                    "status": status,
                    "quote": (
                        _quote_amounts(status.trueup_quote) if contract_id in in_force else None
                    ),
                    "contract_number": numbers[contract_id],
                    "trend": trends.get(contract_id),
                },
            )
        ]
        for contract_id, status in statuses.items()
    }


def _quote_amounts(quote: dict[str, Any] | None) -> dict[str, Any] | None:
    if not quote:
        return None
    return {
        "missing_seats": quote.get("missing_seats"),
        "remaining_days": quote.get("remaining_days"),
        "list_amount": Decimal(str(quote.get("list_amount", "0"))),
        "net_amount": Decimal(str(quote.get("net_amount", "0"))),
        "discount_percent": Decimal(str(quote.get("price", {}).get("discount_percent", "0"))),
    }


TRAINING_RECORDS_SHOWN = 5
# The licence trend compares the active installations over this many days.
TREND_DAYS = 30
STATEMENTS_SHOWN = 3

# The home page: the partner's hotline, training status, statements, ...
HOME_PANEL_PROVIDERS: list[HomePanelProvider] = [hotline_panel, training_panel, statements_panel]
# Each contract on a customer's page: keycode, licence status, true-up quote, ...
CONTRACT_PANEL_PROVIDERS: list[ContractPanelProvider] = [licence_panels]


def home_panels(*, user: AnyUser, partner: Partner, today: dt.date) -> list[Panel]:
    return [panel for provider in HOME_PANEL_PROVIDERS for panel in provider(user, partner, today)]


def contract_panels(
    *, partner: Partner, contracts: list[Contract], today: dt.date
) -> dict[int, list[Panel]]:
    """Panels per contract id, from every provider, in registry order."""
    panels: dict[int, list[Panel]] = {contract.pk: [] for contract in contracts}
    for provider in CONTRACT_PANEL_PROVIDERS:
        for contract_id, provided in provider(partner, contracts, today).items():
            panels.setdefault(contract_id, []).extend(provided)
    return panels
