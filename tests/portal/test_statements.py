"""Usage statements in the portal: the partner's list, and one statement's lines by customer
with user-days, prices, the discount and the downloads (R14)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from channeldesk.catalog.models import Product
from channeldesk.contracts.models import Customer
from channeldesk.core.formatting import format_money, format_number, format_percent
from channeldesk.usage.closing import period_close
from channeldesk.usage.ingest import usage_events_ingest
from channeldesk.usage.models import BillingUnit, Statement, StatementLine
from tests.portal.world import PortalWorld
from tests.usage.factories import after_grace, at, event, metered_contract, service_product
from tests.usage.worlds import OCTOBER, october_statements

NOVEMBER = dt.date(2026, 11, 1)


@pytest.fixture
def statements(portal_world: PortalWorld) -> dict[str, Statement]:
    """Partner A's October statement has two customers: K-UA with 3 user-days of MSS-EDR
    (0.50 €) and K-UM with 2 user-months of MSS-MAIL (4.00 €), at A's Silver 25 %; B's has
    K-UB's 2 user-days. A's November statement holds only adjustments for October: a late
    user-day of K-UA and a credit for a voided user-month of K-UM."""
    partner_a, partner_b = portal_world.personas.partner_a, portal_world.personas.partner_b
    mail = service_product("MSS-MAIL", unit=BillingUnit.USER_MONTH, price="4.00")
    Product.objects.filter(pk=mail.pk).update(
        name_de="Verwaltete E-Mail-Sicherheit", name_en="Managed Mail Security"
    )
    metered_contract(partner_a, key="SUB-AM", customer_number="K-UM", product=mail)
    usage_events_ingest(
        events=[event("m1", "um1", at(5), key="SUB-AM"), event("m2", "um2", at(6), key="SUB-AM")]
    )
    october = october_statements(partner_a, partner_b)
    usage_events_ingest(
        events=[
            event("a9", "ua3", at(7), key="SUB-A"),  # late: October is closed
            event("v1", "", at(2, month=11), kind="void", target="m2", key="SUB-AM"),
        ]
    )
    period_close(month=NOVEMBER, now=after_grace(month=11))
    return october | {"A-1000/11": Statement.objects.get(period=NOVEMBER, partner=partner_a)}


def _in_english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def _row(text: str, line: StatementLine) -> str:
    found = re.search(rf'<tr id="line-{line.position}">(.*?)</tr>', text, re.DOTALL)
    assert found is not None, f"no row for line {line.position}"
    return found.group(1)


def test_statement_shows_each_line_with_its_user_days_price_discount_and_amounts(
    statements: dict[str, Statement], client_for: Callable[[str], Client]
) -> None:
    # Given partner A's October statement with two customers' lines,
    statement = statements["A-1000"]
    lines = list(StatementLine.objects.filter(statement=statement).order_by("position"))
    client = _in_english(client_for("partner_a_user"))

    # when a user of partner A opens it,
    response = client.get(reverse("portal:statement", args=[statement.number]))

    # then the header names the period, the number and the partner,
    assert response.status_code == 200
    text = response.content.decode()
    assert "October 2026" in text
    assert statement.number in text
    assert "Alpha Systemhaus GmbH" in text
    # every line shows what the stored line says, in the reader's format,
    assert [line.customer.customer_number for line in lines] == ["K-UA", "K-UM"]
    for line in lines:
        row = _row(text, line)
        assert line.contract.contract_number in row
        assert format_number(line.units.normalize(), language="en") in row
        assert format_money(line.unit_price, language="en") in row
        assert format_percent(line.discount_percent, language="en") in row
        assert format_money(line.list_amount, language="en") in row
        assert format_money(line.net_amount, language="en") in row
    # the user-days of K-UA: 3 at 0.50 € = 1.50 €, Silver 25 % off = 1.13 € (half up),
    user_days = _row(text, lines[0])
    assert "user-days" in user_days
    assert "Managed MSS-EDR" in user_days
    assert ">Silver Partner<br>25%<" in user_days
    assert ">€1.50<" in user_days
    assert ">€1.13<" in user_days
    assert "user-months" in _row(text, lines[1])
    assert "Managed Mail Security" in _row(text, lines[1])
    # and the totals are the statement's, which are the sums of its lines.
    assert statement.list_total == sum(line.list_amount for line in lines)
    assert statement.net_total == sum(line.net_amount for line in lines)
    assert format_money(statement.net_total, language="en") in text
    assert format_money(statement.list_total, language="en") in text
    discount = format_money(statement.net_total - statement.list_total, language="en")
    assert f">{discount}<" in text
    assert discount.startswith("-")


def test_statement_groups_lines_by_customer_with_subtotals_and_forwardable_downloads(
    statements: dict[str, Statement], client_for: Callable[[str], Client]
) -> None:
    statement = statements["A-1000"]
    client = _in_english(client_for("partner_a_user"))

    text = client.get(reverse("portal:statement", args=[statement.number])).content.decode()

    for number in ("K-UA", "K-UM"):
        customer_lines = StatementLine.objects.filter(
            statement=statement, customer__customer_number=number
        )
        net = sum(line.net_amount for line in customer_lines)
        section = text.split(f'id="customer-{number.lower()}"', 1)[1].split("</section>", 1)[0]
        assert f"<strong>{format_money(net, language='en')}</strong>" in section
        for kind in ("pdf", "csv", "evidence"):
            url = reverse(f"usage-statement-{kind}", args=[statement.number])
            assert f'href="{url}?customer_number={number}"' in section
    for kind in ("pdf", "csv", "evidence"):
        assert f'href="{reverse(f"usage-statement-{kind}", args=[statement.number])}"' in text


def test_adjustments_name_their_month_and_credits_are_negative(
    statements: dict[str, Statement], client_for: Callable[[str], Client]
) -> None:
    november = statements["A-1000/11"]
    late, credit = StatementLine.objects.filter(statement=november).order_by("position")
    assert (late.is_adjustment, late.usage_month, late.net_amount > 0) == (True, OCTOBER, True)
    assert (credit.is_adjustment, credit.net_amount < 0) == (True, True)
    client = _in_english(client_for("partner_a_user"))

    text = client.get(reverse("portal:statement", args=[november.number])).content.decode()

    assert "adjustment for October 2026" in _row(text, late)
    assert "credit" not in _row(text, late)
    credit_row = _row(text, credit)
    assert "adjustment for October 2026" in credit_row
    assert "credit" in credit_row
    assert format_money(credit.net_amount, language="en") in credit_row
    assert format_money(credit.net_amount, language="en").startswith("-")


def test_downloads_of_the_statement_page_answer_the_partner(
    statements: dict[str, Statement], client_for: Callable[[str], Client]
) -> None:
    statement = statements["A-1000"]
    client = _in_english(client_for("partner_a_user"))

    pdf = client.get(reverse("usage-statement-pdf", args=[statement.number]))
    evidence = client.get(
        reverse("usage-statement-evidence", args=[statement.number]) + "?customer_number=K-UA"
    )

    assert pdf.status_code == 200
    assert b"".join(pdf.streaming_content)[:4] == b"%PDF"
    rows = b"".join(evidence.streaming_content).decode().splitlines()
    assert rows[0].startswith("Contract number,Customer number")
    # K-UA's user-days as the events stand now: ua1 and ua2 on 1 October, ua1 on 2 October, and
    # the late ua3 on 7 October (billed by November's adjustment).
    assert [row.split(",")[3:5] for row in rows[1:]] == [
        ["2026-10-01", "ua1"],
        ["2026-10-01", "ua2"],
        ["2026-10-02", "ua1"],
        ["2026-10-07", "ua3"],
    ]
    assert all(",K-UA," in row for row in rows[1:])


def test_the_page_shows_the_customer_as_issued_after_a_rename(
    statements: dict[str, Statement], client_for: Callable[[str], Client]
) -> None:
    # Given an issued statement, and its customer renamed afterwards
    statement = statements["A-1000"]
    line = StatementLine.objects.filter(statement=statement).order_by("position").first()
    assert line is not None
    issued_name = line.customer_name
    Customer.objects.filter(pk=line.customer_id).update(name="Umbenannt AG")
    client = _in_english(client_for("partner_a_user"))

    # When the partner opens the statement
    text = client.get(reverse("portal:statement", args=[statement.number])).content.decode()

    # Then the page names the customer as the statement's PDF and CSV do
    assert issued_name in text
    assert "Umbenannt AG" not in text


def test_another_partners_statement_is_not_found(
    statements: dict[str, Statement], client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")

    other = client.get(reverse("portal:statement", args=[statements["B-2000"].number]))
    unknown = client.get(reverse("portal:statement", args=["US-2026-10-X-0000"]))

    assert (other.status_code, unknown.status_code) == (404, 404)
    # The 404 page may repeat the address asked for, but nothing of the statement behind it.
    text = other.content.decode()
    assert statements["B-2000"].partner.name not in text
    assert "K-UB" not in text


def test_list_shows_the_partners_own_statements_newest_first(
    statements: dict[str, Statement], client_for: Callable[[str], Client]
) -> None:
    client = _in_english(client_for("partner_a_user"))

    text = client.get(reverse("portal:statements")).content.decode()

    october, november = statements["A-1000"], statements["A-1000/11"]
    assert statements["B-2000"].number not in text
    assert text.index(november.number) < text.index(october.number)
    assert f'href="{reverse("portal:statement", args=[october.number])}"' in text
    assert format_money(october.list_total, language="en") in text
    assert format_money(october.net_total, language="en") in text
    assert "2 statements" in text
    assert 'aria-current="page">Statements<' in text


def test_list_is_paginated(
    statements: dict[str, Statement], client_for: Callable[[str], Client]
) -> None:
    # Given 25 more (older) statements of partner A,
    partner = statements["A-1000"].partner
    Statement.objects.bulk_create(
        Statement(
            partner=partner,
            period=dt.date(2024 + index // 12, index % 12 + 1, 1),
            number=f"US-OLD-{index:02d}",
            issued_at=timezone.now(),
            list_total=Decimal("1.00"),
            net_total=Decimal("0.75"),
        )
        for index in range(25)
    )
    client = _in_english(client_for("partner_a_user"))

    first = client.get(reverse("portal:statements")).content.decode()
    second = client.get(reverse("portal:statements"), {"page": 2}).content.decode()

    assert "Page 1 of 2" in first
    assert statements["A-1000/11"].number in first
    assert "US-OLD-00" not in first
    assert "US-OLD-00" in second


def test_statement_pages_in_german(
    statements: dict[str, Statement], client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "de"
    statement, november = statements["A-1000"], statements["A-1000/11"]

    listing = client.get(reverse("portal:statements")).content.decode()
    detail = client.get(reverse("portal:statement", args=[statement.number])).content.decode()
    adjustments = client.get(reverse("portal:statement", args=[november.number])).content.decode()

    assert "Nutzungsabrechnungen" in listing
    assert "Oktober 2026" in listing
    for german in ("Nutzertage", "Nutzermonate", "Einzelpreis", "Zwischensumme"):
        assert german in detail
    assert "Verwaltete E-Mail-Sicherheit" in detail
    assert "1,13\xa0€" in detail
    assert "25\xa0%" in detail
    for english in ("user-days", "Unit price", "Subtotal", "Managed Mail Security"):
        assert english not in detail
    assert "Korrektur für Oktober 2026" in adjustments
    assert "Gutschrift" in adjustments


def test_home_panel_links_each_statement_and_the_list(
    statements: dict[str, Statement], client_for: Callable[[str], Client]
) -> None:
    client = _in_english(client_for("partner_a_user"))

    text = client.get(reverse("portal:home")).content.decode()

    for statement in (statements["A-1000"], statements["A-1000/11"]):
        url = reverse("portal:statement", args=[statement.number])
        assert f'<a href="{url}">{statement.number}</a>' in text
    assert f'href="{reverse("portal:statements")}"' in text


def test_statement_pages_cost_a_fixed_number_of_queries(
    statements: dict[str, Statement],
    client_for: Callable[[str], Client],
    django_assert_max_num_queries: Any,
) -> None:
    client = _in_english(client_for("partner_a_user"))
    url = reverse("portal:statement", args=[statements["A-1000"].number])
    client.get(url)  # the session and the language settle on the first request

    # Session, user, language preference, second factor, membership and the header's partner;
    # then the statement, its lines (with contract, product and customer) and the names of
    # their tiers, however many lines there are.
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200
    # The same six, the count and the page.
    with django_assert_max_num_queries(8):
        assert client.get(reverse("portal:statements")).status_code == 200
