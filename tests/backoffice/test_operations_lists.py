"""The compliance list and the outbox at real size: filters and search, states, sectors and
counts by name in the reader's language, pages, and a query count that does not grow with the
list. Secret-bearing e-mails stay redacted."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from channeldesk.contracts.models import Contract, CustomerSector
from channeldesk.licensing.models import ComplianceEpisode, ComplianceStatus
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from channeldesk.notifications.services import MessageDraft, outbox_enqueue, outbox_enqueue_many
from tests.backoffice.test_partner_list import english, german, queries_of
from tests.contracts.factories import contract_of
from tests.portal.world import PortalWorld, scanned

pytestmark = pytest.mark.today("2026-12-07")

SCAN_DAY = dt.date(2026, 12, 6)


def visible(html: str) -> str:
    """The page's text a reader sees: no scripts, no tags, whitespace collapsed."""
    body = re.sub(r"<script.*?</script>", " ", html, flags=re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def scan_day_record(contract: Contract, status: str, *, seats: int = 10, active: int = 10) -> None:
    """`contract`'s record of the scan on SCAN_DAY: `active` machines on `seats`."""
    scanned(contract, day=SCAN_DAY, seats=seats, active=active, status=status)


@pytest.fixture
def scan(portal_world: PortalWorld) -> PortalWorld:
    """V-A-SOON heavily under-licensed (with an open episode and its true-up), V-B under-licensed
    at a public authority, V-A-LATER near the limit."""
    customer_b = portal_world.customer_b
    customer_b.sector = CustomerSector.PUBLIC_AUTHORITY
    customer_b.save(update_fields=["sector"])
    scan_day_record(portal_world.contract_soon, ComplianceStatus.HEAVILY_UNDER_LICENSED, active=20)
    scan_day_record(portal_world.contract_b, ComplianceStatus.UNDER_LICENSED, active=12)
    scan_day_record(portal_world.contract_later, ComplianceStatus.NEAR_LIMIT, active=10)
    ComplianceEpisode.objects.create(
        contract=portal_world.contract_soon,
        started_on=dt.date(2026, 11, 2),
        seats=10,
        active_installations=20,
        quote={"net_amount": "1234.50", "list_amount": "1500.00"},
    )
    return portal_world


def contracts_listed(text: str) -> list[str]:
    return re.findall(r"<td data-label=\"[^\"]+\">(V-[A-Z0-9-]+)</td>", text)


# --- Compliance ------------------------------------------------------------------------------


def test_the_compliance_list_names_sectors_and_states_in_german_with_german_numbers(
    scan: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = german(client_for("staff")).get("/backoffice/compliance/").content.decode()
    seen = visible(text)

    assert contracts_listed(text) == ["V-A-SOON", "V-B"]
    assert "stark unterlizenziert" in seen
    assert "Behörde" in seen
    assert "Sonstige" in seen
    assert "2. November 2026" in seen
    assert "1.234,50" in seen
    for code in ("public_authority", "heavily_under_licensed", "under_licensed", "other"):
        assert code not in seen
    assert "2026-12-06" not in seen
    # The sector chart is labelled by name too.
    chart = re.search(r'id="compliance-chart-data"[^>]*>(.*?)</script>', text, flags=re.DOTALL)
    assert chart is not None
    data = json.loads(chart.group(1))
    assert data["labels"] == ["Sonstige", "Behörde"]
    assert data["trend_labels"] == ["6. Dezember 2026"]


def test_the_compliance_list_names_sectors_and_states_in_english(
    scan: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    seen = visible(english(client_for("staff")).get("/backoffice/compliance/").content.decode())

    assert "heavily under-licensed" in seen
    assert "public authority" in seen
    assert "2 November 2026" in seen
    assert "public_authority" not in seen
    assert "heavily_under_licensed" not in seen


def _filtered(query: dict[str, str], expected: list[str]) -> Any:
    return pytest.param(
        query, expected, id="&".join(f"{key}={value}" for key, value in query.items()) or "all"
    )


# The compliance filters on the `scan` world and the contracts they leave, for the page and its
# download (tests/backoffice/test_reader_language.py).
COMPLIANCE_FILTERS = [
    _filtered({}, ["V-A-SOON", "V-B"]),
    _filtered({"state": "near_limit"}, ["V-A-LATER"]),
    _filtered({"state": "under_licensed"}, ["V-B"]),
    _filtered({"state": "heavily_under_licensed"}, ["V-A-SOON"]),
    _filtered({"sector": "public_authority"}, ["V-B"]),
    _filtered({"partner": "A-1000"}, ["V-A-SOON"]),
    _filtered({"partner": "A-1000", "state": "near_limit"}, ["V-A-LATER"]),
    _filtered({"partner": "Z-9"}, []),
]


@pytest.mark.parametrize(("query", "expected"), COMPLIANCE_FILTERS)
def test_the_compliance_list_is_filtered_by_sector_partner_and_state(
    scan: PortalWorld,
    client_for: Callable[[str], Client],
    query: dict[str, str],
    expected: list[str],
) -> None:
    text = english(client_for("staff")).get("/backoffice/compliance/", query).content.decode()

    assert contracts_listed(text) == expected


def test_an_unusable_compliance_filter_is_shown_and_the_whole_list_stays(
    scan: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    response = english(client_for("staff")).get("/backoffice/compliance/", {"sector": "moon"})
    text = response.content.decode()

    assert response.status_code == 200
    assert "These filters could not be used" in text
    assert contracts_listed(text) == ["V-A-SOON", "V-B"]


def test_the_compliance_list_pages_and_costs_the_same_queries_for_few_or_many_contracts(
    scan: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = english(client_for("staff"))
    few = queries_of(client, "/backoffice/compliance/")
    for index in range(120):
        contract = contract_of(scan.customer_a, contract_number=f"V-M-{index:04d}")
        scan_day_record(contract, ComplianceStatus.UNDER_LICENSED, active=11)

    assert queries_of(client, "/backoffice/compliance/") == few
    third = client.get("/backoffice/compliance/", {"page": 3}).content.decode()
    assert "122 contracts" in third
    assert "Page 3 of 3" in third
    # The largest gaps first, then by contract number: the third page holds the last 22.
    assert contracts_listed(third)[-1] == "V-M-0119"
    assert len(contracts_listed(third)) == 22


# --- Outbox ----------------------------------------------------------------------------------


def drafts(count: int, *, prefix: str) -> list[MessageDraft]:
    return [
        MessageDraft(
            key=f"{prefix}:{index}",
            to=[f"{prefix}-{index}@example.com"],
            subject=f"Notice {prefix} {index}",
            text="Hello.",
        )
        for index in range(count)
    ]


def test_the_outbox_counts_states_in_words_in_german_and_english(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    outbox_enqueue_many(drafts=drafts(1234, prefix="tier"))
    OutboxMessage.objects.filter(idempotency_key="tier:0").update(status=OutboxStatus.REVIEW)
    client = client_for("staff")

    german_text = visible(german(client).get("/backoffice/outbox/").content.decode())
    english_text = visible(english(client).get("/backoffice/outbox/").content.decode())

    # 1,233 enqueued plus the world's one are pending; one is in review.
    assert "wartend 1.234 · übernommen 0 · wird gesendet 0" in german_text
    assert "Prüfung 1" in german_text
    assert "pending 1,234 · claimed 0 · sending 0" in english_text
    assert "planned 0" not in german_text
    assert "pending 1234" not in english_text


def test_the_outbox_is_searched_by_recipient_key_or_subject_within_a_state(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    outbox_enqueue_many(drafts=drafts(3, prefix="renewal"))
    OutboxMessage.objects.filter(idempotency_key="renewal:2").update(status=OutboxStatus.FAILED)
    client = english(client_for("staff"))

    def found(query: dict[str, str]) -> list[str]:
        text = client.get("/backoffice/outbox/", query).content.decode()
        return re.findall(r"renewal-\d@example\.com", text)

    assert found({"tab": "planned", "q": "renewal-1@"}) == ["renewal-1@example.com"]
    assert found({"tab": "planned", "q": "RENEWAL:0"}) == ["renewal-0@example.com"]
    assert found({"tab": "planned", "q": "notice renewal 1"}) == ["renewal-1@example.com"]
    assert found({"tab": "planned", "q": "renewal"}) == [
        "renewal-1@example.com",
        "renewal-0@example.com",
    ]
    assert found({"tab": "failed", "q": "renewal"}) == ["renewal-2@example.com"]
    assert found({"tab": "sent", "q": "renewal"}) == []


def test_a_reminder_is_found_by_its_contract_or_key(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = english(client_for("staff"))
    key = portal_world.letter_a.key

    by_contract = client.get("/backoffice/outbox/", {"tab": "sent", "q": "V-A-SOON"})
    by_key = client.get("/backoffice/outbox/", {"tab": "sent", "q": key})
    other = client.get("/backoffice/outbox/", {"tab": "sent", "q": "V-B"})

    assert "V-A-SOON · Anton Maschinenbau AG" in by_contract.content.decode()
    assert "V-A-SOON · Anton Maschinenbau AG" in by_key.content.decode()
    assert "V-A-SOON" not in other.content.decode()
    assert "V-B · Berta Bank eG" in other.content.decode()


def test_a_sealed_message_is_found_by_its_subject_and_shown_redacted(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    secret = "http://testserver/accounts/password/reset/key/1-abc123-0123456789abcdef/"
    outbox_enqueue(
        key="account:reset:1",
        to=["anna@example.com"],
        subject="Choose a new password",
        text=f"Choose a new password: {secret}",
        secrets=[secret],
    )
    client = english(client_for("staff"))

    text = client.get("/backoffice/outbox/", {"tab": "planned", "q": "new password"})
    by_secret = client.get("/backoffice/outbox/", {"tab": "planned", "q": "abc123"})

    assert "anna@example.com" in text.content.decode()
    assert "[redacted]" in text.content.decode()
    assert secret not in text.content.decode()
    assert "anna@example.com" not in by_secret.content.decode()


def test_the_outbox_pages_and_costs_the_same_queries_for_few_or_many_messages(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = english(client_for("staff"))
    few = queries_of(client, "/backoffice/outbox/", {"tab": "planned"})
    outbox_enqueue_many(drafts=drafts(119, prefix="bulk"))

    assert queries_of(client, "/backoffice/outbox/", {"tab": "planned"}) == few
    third = client.get("/backoffice/outbox/", {"tab": "planned", "page": 3}).content.decode()
    assert "120 e-mails" in third
    assert "Page 3 of 3" in third
    assert len(re.findall(r"@example\.com</td>", third)) == 20


def test_an_unknown_outbox_state_is_not_found(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    assert client_for("staff").get("/backoffice/outbox/", {"tab": "lost"}).status_code == 404


def test_the_outbox_times_are_in_the_readers_language(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    created = timezone.make_aware(dt.datetime(2026, 12, 7, 10, 7))
    OutboxMessage.objects.update(created_at=created)

    seen = visible(
        german(client_for("staff")).get("/backoffice/outbox/", {"tab": "planned"}).content.decode()
    )

    assert "7. Dezember 2026, 10:07" in seen
    assert "a.m." not in seen
