"""The partner page, the renewals pipeline, the outbox with its actions, the feedback list."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from channeldesk.backoffice.selectors import renewals_by_month, renewals_by_partner
from channeldesk.contracts.models import ReminderStatus
from channeldesk.core.periods import Period
from channeldesk.feedback.services import feedback_give
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from tests.backoffice.factories import munich_caller
from tests.contracts.factories import contract_of
from tests.portal.world import PortalWorld, heavily_under_licensed, page_text


def _feedback(world: PortalWorld, author: str, tier: str, *, stance: str, comment: str) -> None:
    """The feedback of the persona `author` on the draft, under which its reseller would drop
    from `tier` to Authorised."""
    persona = world.personas.persona(author)
    assert persona.partner is not None
    feedback_give(
        policy=world.draft,
        partner=persona.partner,
        author=persona.user,
        stance=stance,
        comment=comment,
        current_tier=tier,
        projected_tier="authorized",
    )


def test_partner_page_shows_master_data_tier_history_customers_and_feedback(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A's user gave feedback on the draft,
    _feedback(
        portal_world, "partner_a_user", "silver", stance="concerns", comment="Four orders are many."
    )

    # when the support desk opens partner A's page,
    text = page_text(client_for("support"), "/backoffice/partners/A-1000/", language="en")

    # then it shows the master data, the tier by its programme's name, customers and feedback.

    assert "Alpha Systemhaus GmbH" in text
    assert "Silver Partner" in text
    # The programme by its name, never its code and version.
    assert "Previous partner programme (Gold / Silver)" in text
    assert "previous@1" not in text
    assert "Anton Maschinenbau AG" in text
    assert "V-A-SOON" in text
    assert "Four orders are many." in text
    assert "Berta Bank eG" not in text


def test_support_desk_looks_partners_up_but_cannot_act(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("support")

    assert "A-1000" in client.get("/backoffice/partners/", {"q": "alpha"}).content.decode()
    assert client.get("/backoffice/")["Location"] == "/backoffice/support/"
    response = client.post(
        "/backoffice/publish/",
        {"policy": "default@1", "effective_from": "2027-01-01", "confirm": "on"},
    )
    assert response.status_code == 403
    portal_world.draft.refresh_from_db()
    assert not portal_world.draft.is_published


def test_support_desk_finds_a_partner_by_a_contacts_phone_number(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given a contact of partner B with a Munich number, written as people write it,
    munich_caller(portal_world.personas.partner_b)
    client = client_for("support")

    # the desk finds B by the number in any form, and nobody else.
    for typed in ("+49 89 12345678", "08912345678"):
        text = page_text(client, "/backoffice/partners/", {"q": typed})
        assert "B-2000" in text
        assert "A-1000" not in text
    assert "B-2000" not in page_text(client, "/backoffice/partners/", {"q": "+4930999999"})


def test_partner_page_costs_a_fixed_number_of_queries(
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    django_assert_max_num_queries: Any,
) -> None:
    for index in range(30):
        contract_of(portal_world.customer_a, contract_number=f"V-P{index:02d}")
    client = client_for("staff")

    with django_assert_max_num_queries(20):
        assert client.get("/backoffice/partners/A-1000/").status_code == 200


# The 12 months run from this month's first. V-A-SOON (30 days) and V-B (60 days) always fall
# inside; V-A-LATER (355 days) only when today is early enough in its month that the day 355
# days on is still before the first of the month a year on (7 December: 27 November, inside;
# 18 November: 8 November, outside).
@pytest.mark.parametrize(
    ("today", "contracts", "list_value"),
    [
        pytest.param(
            "2026-11-18",
            2,
            Decimal("2600.00"),
            id="mid-month",
            marks=pytest.mark.today("2026-11-18"),
        ),  # 52 seats × 50 €
        pytest.param(
            "2026-12-07",
            3,
            Decimal("2750.00"),
            id="early-in-month",
            marks=pytest.mark.today("2026-12-07"),
        ),  # + 3 seats
        pytest.param(
            "2026-12-31",
            2,
            Decimal("2600.00"),
            id="new-years-eve",
            marks=pytest.mark.today("2026-12-31"),
        ),
        pytest.param(
            "2028-02-29",
            2,
            Decimal("2600.00"),
            id="leap-day",
            marks=pytest.mark.today("2028-02-29"),
        ),
    ],
)
def test_pipeline_counts_contracts_by_month_and_by_partner(
    portal_world: PortalWorld, today: str, contracts: int, list_value: Decimal
) -> None:
    day = dt.date.fromisoformat(today)
    assert timezone.localdate() == day
    staff = portal_world.personas.staff

    months = renewals_by_month(user=staff, today=day)
    partners = renewals_by_partner(
        user=staff, period=Period(start=day, end=day + dt.timedelta(days=90))
    )

    assert len(months) == 12
    assert months[0].month == day.replace(day=1)
    assert sum(month.contracts for month in months) == contracts
    assert sum(month.list_value for month in months) == list_value
    assert [(row.partner_number, row.contracts, row.seats) for row in partners] == [
        ("A-1000", 1, 12),
        ("B-2000", 1, 40),
    ]


def test_staff_dismiss_a_pending_email_and_release_a_failed_one(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("staff")
    message = OutboxMessage.objects.get()

    refused = client.post(f"/backoffice/outbox/messages/{message.pk}/dismiss/", {"reason": ""})
    message.refresh_from_db()
    assert refused.status_code == 302
    assert message.status == OutboxStatus.PENDING

    client.post(f"/backoffice/outbox/messages/{message.pk}/dismiss/", {"reason": "moot"})
    message.refresh_from_db()
    assert message.status == OutboxStatus.DISMISSED

    OutboxMessage.objects.filter(pk=message.pk).update(status=OutboxStatus.FAILED)
    client.post(f"/backoffice/outbox/messages/{message.pk}/release/")
    message.refresh_from_db()
    assert message.status == OutboxStatus.PENDING


def test_a_reminder_in_review_is_released_from_the_outbox_page(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    reminder = portal_world.letter_a
    type(reminder).objects.filter(pk=reminder.pk).update(status=ReminderStatus.REVIEW)
    client = client_for("staff")

    listed = client.get("/backoffice/outbox/", {"tab": "review"}).content.decode()
    client.post(f"/backoffice/outbox/reminders/{reminder.pk}/release/", {"tab": "review"})

    assert "V-A-SOON" in listed
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.PLANNED


def test_feedback_list_shows_what_partners_said(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner B's user disagreed with the draft,
    _feedback(portal_world, "partner_b_user", "gold", stance="disagree", comment="We lose Gold.")

    # when a channel manager opens the feedback list,
    text = page_text(client_for("staff"), "/backoffice/feedback/", language="en")

    # then it shows the partner, what it said and the tier it would move between.

    assert "B-2000" in text
    assert "We lose Gold." in text
    assert "Gold Partner → Authorised Partner" in text


def test_compliance_page_shows_the_under_licensed_contracts(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    heavily_under_licensed(portal_world.contract_soon)

    text = page_text(client_for("staff"), "/backoffice/compliance/", language="en")

    assert "1 of 1 customers under-licensed" in text
    assert "V-A-SOON" in text
    assert "compliance-chart-data" in text
