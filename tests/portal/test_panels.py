"""Panels of other domains on the portal pages: the hotline, training records, licence status
with the masked keycode and the true-up quote."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channeldesk.contracts.models import Contract, ContractStatus
from channeldesk.licensing.models import ComplianceEpisode, ComplianceStatus
from channeldesk.licensing.services import keycode_issue
from channeldesk.tiers.models import Tier
from tests.portal.world import PortalWorld, page_text, scanned
from tests.training.factories import SILVER_COURSE, record
from tests.usage.worlds import october_statements


@pytest.fixture(autouse=True)
def _licensing_keys(settings: Any) -> None:
    settings.LICENSING_KEYCODE_KEYS = f"1:{base64.b64encode(b'1' * 32).decode()}"
    settings.LICENSING_KEYCODE_KEY_ID = 1
    settings.LICENSING_KEYCODE_RETIRED_KEY_IDS = []


def test_home_shows_the_hotline_of_the_partners_tier(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    Tier.objects.filter(policy__code="previous", code="silver").update(
        hotline_phone="+4989123456", callback_minutes=60
    )

    text = page_text(client_for("partner_a_user"), "/portal/", language="en")

    assert "Support hotline" in text
    assert 'href="tel:+4989123456"' in text


def test_customer_page_shows_the_masked_keycode_and_the_licence_status(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given V-A-SOON (12 seats) with its keycode, a scan 20 days ago that found 10 machines and
    # yesterday's that found 15,
    contract = portal_world.contract_soon
    issued = keycode_issue(contract=contract)
    twenty_days_ago = timezone.localdate() - dt.timedelta(days=20)
    scanned(contract, day=twenty_days_ago, seats=12, active=10, status=ComplianceStatus.NEAR_LIMIT)
    _under_licensed(contract)

    # when its partner opens the customer,
    text = page_text(client_for("partner_a_user"), "/portal/customers/K-A/", language="en")

    # then the keycode is shown masked only, with the seats in use and the state.
    assert "Show keycode" in text
    assert issued.code not in text
    assert issued.code[:5] in text
    assert "*****" in text
    assert "15 of 12 seats in use" in text
    assert "under-licensed" in text
    # and the trend: five more machines than 20 days ago.
    assert "▲ 5 more since" in text


def test_customer_page_with_licences_costs_a_fixed_number_of_queries(
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    django_assert_max_num_queries: Any,
) -> None:
    keycode_issue(contract=portal_world.contract_soon)
    keycode_issue(contract=portal_world.contract_later)
    client = client_for("partner_a_user")

    with django_assert_max_num_queries(16):
        assert client.get("/portal/customers/K-A/").status_code == 200


def test_home_lists_the_partners_own_statements_with_their_downloads(
    portal_world: PortalWorld, client_for: Callable[[str], Client], settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    statements = october_statements(
        portal_world.personas.partner_a, portal_world.personas.partner_b
    )
    own, other = statements["A-1000"], statements["B-2000"]
    client = client_for("partner_a_user")

    text = page_text(client, "/portal/", language="en")

    assert "Usage statements" in text
    assert own.number in text
    assert other.number not in text
    pdf_url = reverse("usage-statement-pdf", args=[own.number])
    assert f'href="{pdf_url}"' in text
    response = client.get(pdf_url)
    assert response.status_code == 200
    assert (
        b"".join(response.streaming_content if response.streaming else [response.content])[:4]
        == b"%PDF"
    )
    assert client.get(reverse("usage-statement-pdf", args=[other.number])).status_code == 404


def test_the_whole_keycode_is_shown_on_request_to_its_partner_only(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    contract = portal_world.contract_soon
    code = keycode_issue(contract=contract).code
    url = reverse("portal:keycode", args=[contract.contract_number])
    client = client_for("partner_a_user")

    page = page_text(
        client, f"/portal/customers/{contract.customer.customer_number}/", language="en"
    )
    assert code not in page
    assert f'hx-get="{url}"' in page
    revealed = client.get(url)
    assert revealed.status_code == 200
    assert code in revealed.content.decode()
    assert revealed["Cache-Control"] == "no-store"
    assert client_for("partner_b_user").get(url).status_code == 404


def _under_licensed(contract: Contract) -> None:
    """Yesterday's scan found 15 machines on `contract`'s 12 seats, over them for ten days."""
    today = timezone.localdate()
    scanned(
        contract,
        day=today - dt.timedelta(days=1),
        seats=12,
        active=15,
        over_since=today - dt.timedelta(days=10),
        status=ComplianceStatus.UNDER_LICENSED,
    )


def _under_licensed_with_quote(contract: Contract) -> None:
    """`contract` under-licensed since ten days ago, its open episode holding a true-up quote."""
    today = timezone.localdate()
    _under_licensed(contract)
    ComplianceEpisode.objects.create(
        contract=contract,
        started_on=today - dt.timedelta(days=3),
        seats=12,
        active_installations=15,
        quote={
            "missing_seats": 3,
            "remaining_days": 30,
            "list_amount": "150.00",
            "net_amount": "112.50",
            "price": {"discount_percent": "25.00"},
        },
    )


def test_an_under_licensed_contract_in_force_shows_its_true_up_quote_in_german(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given V-A-SOON under-licensed with a true-up quote,
    _under_licensed_with_quote(portal_world.contract_soon)

    # when its partner opens the customer in German,
    text = page_text(client_for("partner_a_user"), "/portal/customers/K-A/", language="de")

    # then the quote's net amount and what it covers are shown.
    assert "112,50\xa0€" in text
    assert "Nachlizenzierung: 3 weitere Lizenzen für die restlichen 30" in text


def test_a_cancelled_contract_gets_no_true_up_quote(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given V-A-SOON under-licensed with a quote, then cancelled,
    contract = portal_world.contract_soon
    _under_licensed_with_quote(contract)
    Contract.objects.filter(pk=contract.pk).update(status=ContractStatus.CANCELLED)

    # when its partner opens the customer,
    text = page_text(client_for("partner_a_user"), "/portal/customers/K-A/", language="de")

    # then the licence state is still shown, but no quote for a contract that is over.
    assert "unterlizenziert" in text
    assert "112,50" not in text


def test_partner_without_training_records_sees_the_course_each_tier_needs_and_where_to_book(
    portal_world: PortalWorld, client_for: Callable[[str], Client], settings: Any
) -> None:
    # Given partner A without any training record, the draft `default` open for feedback (Gold
    # asks for the two-day course, Silver for the half-day one) and the training company set,
    settings.TRAINING_COMPANY_NAME = "Schulungshaus Nord GmbH"
    settings.TRAINING_BOOKING_URL = "https://schulung.example/buchen"

    # when a person of the partner opens the portal in German,
    text = page_text(client_for("partner_a_user"), "/portal/", language="de")

    # then the training panel names the programme, each tier's course by name and length and
    # what is missing, the training company and its booking link.
    assert "Partnerprogramm mit drei Stufen (Gold / Silber / Autorisiert)" in text
    assert "Gold-Partner: Gold-Partner-Schulung (2 Tage) – " in text
    assert "Silber-Partner: Silber-Partner-Schulung (halbtägig) – " in text
    assert text.count("missing: 1 trained person") + text.count("es fehlt: 1 geschulte") == 2
    assert "Schulungshaus Nord GmbH" in text
    assert 'href="https://schulung.example/buchen"' in text
    assert "CD-GOLD-2D" not in text


def test_training_panel_in_english_counts_the_trained_people_per_tier(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A with Erika's valid completion of the half-day course and Max's no-show at
    # the two-day course,
    partner = portal_world.personas.partner_a
    today = timezone.localdate()
    record(partner, course=SILVER_COURSE, session_date=today - dt.timedelta(days=30))
    record(partner, status="no_show", person="max", session_date=today - dt.timedelta(days=10))

    # when a person of the partner opens the portal in English,
    text = page_text(client_for("partner_a_user"), "/portal/", language="en")

    # then Gold still misses one trained person, Silver is met by Erika, and the records read
    # by course name and status word, never by code.
    assert "Three-tier partner programme (Gold / Silver / Authorised)" in text
    assert "Gold Partner: Gold partner training (two days) – " in text
    assert "missing: 1 trained person" in text
    assert "Silver Partner: Silver partner training (half a day) – " in text
    assert "met: 1 of 1 person trained" in text
    assert "Max – Gold partner training (two days), no-show" in text
    assert "Erika – Silver partner training (half a day), completed, valid until" in text
    assert "The courses are run by NordIT Akademie GmbH." in text
    assert "no_show" not in text
    assert "CD-SILVER-HD" not in text
