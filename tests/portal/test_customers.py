"""Customers: the list, a customer's contracts and reminders, the letter PDF, scoped to the
partner who looks after the customer now."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from channeldesk.contracts.models import Contract, Customer, CustomerAssignment
from channeldesk.contracts.services import customer_partner_change
from channeldesk.licensing.models import ComplianceRecord, ComplianceStatus
from channeldesk.portal.views.customers import CSV_COLUMNS
from tests.contracts.factories import LONG_AGO, contract_of, customer_of
from tests.portal.world import PDF, PortalWorld, customers_from_z, page_text, scanned


def test_list_shows_only_the_partners_customers(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = page_text(client_for("partner_a_user"), "/portal/customers/")

    assert "Anton Maschinenbau AG" in text
    assert "Berta Bank eG" not in text


def test_list_searches_sorts_and_pages(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    customers_from_z(portal_world.personas.partner_a)
    client = client_for("partner_a_user")

    searched = page_text(client, "/portal/customers/", {"q": "anton"})
    by_number_desc = page_text(client, "/portal/customers/", {"sort": "number"})
    page_two = page_text(client, "/portal/customers/", {"sort": "name", "page": "2"})

    assert "Anton Maschinenbau AG" in searched
    assert "Zeta" not in searched
    assert by_number_desc.index("K-A<") < by_number_desc.index("K-Z00<")
    # 31 customers by name, 25 a page: the second page holds the last six.
    assert "Zeta 29 GmbH" in page_two
    assert "Anton Maschinenbau AG" not in page_two
    assert "Page 2 of 2" in page_two or "Seite 2 von 2" in page_two


def test_htmx_search_answers_with_the_table_only(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = page_text(client_for("partner_a_user"), "/portal/customers/", {"q": "Anton"}, htmx=True)

    assert "<html" not in text
    assert "Anton Maschinenbau AG" in text


def test_detail_shows_contracts_and_the_letter_the_customer_got(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = page_text(client_for("partner_a_user"), "/portal/customers/K-A/", language="en")

    assert "V-A-SOON" in text
    assert "V-A-LATER" in text
    assert "Endpoint Suite" in text
    assert f"/portal/letters/{portal_world.letter_a.pk}/" in text
    assert "renewal letter to the customer" in text


def test_letter_download_gives_the_archived_pdf(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    response = client_for("partner_a_user").get(f"/portal/letters/{portal_world.letter_a.pk}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "renewal-V-A-SOON.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF


def test_another_partners_customer_and_letter_answer_404(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")

    assert client.get("/portal/customers/K-B/").status_code == 404
    assert client.get(f"/portal/letters/{portal_world.letter_b.pk}/").status_code == 404


def test_a_customer_that_moved_goes_with_its_contracts_and_letters(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given customer K-A moved from partner A to partner B yesterday,
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    customer_partner_change(
        customer=portal_world.customer_a, partner=portal_world.personas.partner_b, on=yesterday
    )

    # then A sees neither the customer nor its letter, and B sees both.
    a, b = client_for("partner_a_user"), client_for("partner_b_user")
    assert a.get("/portal/customers/K-A/").status_code == 404
    assert a.get(f"/portal/letters/{portal_world.letter_a.pk}/").status_code == 404
    assert b.get("/portal/customers/K-A/").status_code == 200
    assert b.get(f"/portal/letters/{portal_world.letter_a.pk}/").status_code == 200


def test_list_and_detail_cost_a_fixed_number_of_queries(
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    partner = portal_world.personas.partner_a
    customer = portal_world.customer_a
    for index in range(40):
        other = customer_of(partner, customer_number=f"K-Q{index:02d}")
        contract_of(other, contract_number=f"V-Q{index:02d}")
        contract_of(customer, contract_number=f"V-AQ{index:02d}")
    client = client_for("partner_a_user")

    with django_assert_max_num_queries(12):
        assert client.get("/portal/customers/").status_code == 200
    # Two more: the licence trend of the enterprise contracts, and the second-factor check of
    # the session (core.second_factor; the list page stays within 12 with it).
    with django_assert_max_num_queries(14):
        assert client.get("/portal/customers/K-A/").status_code == 200


def test_sorting_by_next_contract_end_and_by_contract_count(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given three more customers of partner A: one ending soonest, one with three contracts,
    # one without an active contract,
    today = timezone.localdate()
    partner = portal_world.personas.partner_a
    soonest = customer_of(partner, customer_number="K-SOON", name="Soon AG")
    contract_of(soonest, contract_number="V-S1", end_date=today + dt.timedelta(days=3))
    many = customer_of(partner, customer_number="K-MANY", name="Many AG")
    for index in range(3):
        contract_of(many, contract_number=f"V-M{index}", end_date=today + dt.timedelta(days=400))
    customer_of(partner, customer_number="K-NONE", name="None AG")
    client = client_for("partner_a_user")

    def order(sort: str) -> list[str]:
        text = page_text(client, "/portal/customers/", {"sort": sort})
        numbers = ["K-SOON", "K-A", "K-MANY", "K-NONE"]
        return sorted(numbers, key=lambda number: text.index(f">{number}<"))

    # then the soonest end comes first and customers without an active contract last,
    assert order("next_end") == ["K-SOON", "K-A", "K-MANY", "K-NONE"]
    # and the most contracts first, ties by customer number.
    assert order("-contracts") == ["K-MANY", "K-A", "K-SOON", "K-NONE"]


# --- Licence state ---------------------------------------------------------------------------


def _scanned(contract: Contract, *, day: dt.date, active: int, status: str) -> ComplianceRecord:
    """The compliance scan's record of `contract` on `day`."""
    return scanned(contract, day=day, active=active, status=status, tolerance=1)


def _licence_world(world: PortalWorld) -> dict[str, Customer]:
    """Partner A's customers in yesterday's scan: K-A under-licensed on one of its two
    contracts, K-NEAR near the limit, K-OK compliant, K-IDLE with no installation running, and
    K-RETAIL with no enterprise contract at all. An older scan had K-OK under-licensed."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    partner = world.personas.partner_a
    customers = {"K-A": world.customer_a}
    _scanned(world.contract_soon, day=yesterday, active=16, status=ComplianceStatus.UNDER_LICENSED)
    _scanned(world.contract_later, day=yesterday, active=1, status=ComplianceStatus.COMPLIANT)
    for number, name, active, status in (
        ("K-NEAR", "Nahe Grenze GmbH", 9, ComplianceStatus.NEAR_LIMIT),
        ("K-OK", "Konform KG", 4, ComplianceStatus.COMPLIANT),
        ("K-IDLE", "Ruhig OHG", 0, ComplianceStatus.COMPLIANT),
    ):
        customer = customer_of(partner, customer_number=number, name=name)
        contract = contract_of(
            customer, contract_number=f"V-{number}", product=world.product, seats=10
        )
        _scanned(contract, day=yesterday, active=active, status=status)
        customers[number] = customer
    _scanned(
        Contract.objects.get(contract_number="V-K-OK"),
        day=yesterday - dt.timedelta(days=1),
        active=14,
        status=ComplianceStatus.UNDER_LICENSED,
    )
    customers["K-RETAIL"] = customer_of(partner, customer_number="K-RETAIL", name="Laden e.K.")
    return customers


def _licence_cells(text: str) -> dict[str, str]:
    """Customer number → the visible text of its licence cell, from the list's rows."""
    cells = {}
    for row in re.findall(r"<tr>(.*?)</tr>", text, flags=re.DOTALL):
        number = re.search(r'/portal/customers/([^/"]+)/', row)
        licence = re.search(r'data-label="(?:Licence|Lizenz)">(.*?)</td>', row, flags=re.DOTALL)
        if number and licence:
            cells[number.group(1)] = re.sub(r"<[^>]+>", "", licence.group(1)).strip()
    return cells


# The names of the licence states in each language: under-licensed, near the limit, compliant,
# no installations.
LICENCE_STATE_NAMES = {
    "de": ("unterlizenziert", "nahe der Grenze", "konform", "keine Installationen"),
    "en": ("under-licensed", "near the limit", "compliant", "no installations"),
}


@pytest.mark.parametrize("language", ["de", "en"])
def test_list_shows_each_customers_licence_state_in_the_readers_language(
    portal_world: PortalWorld, client_for: Callable[[str], Client], language: str
) -> None:
    # Given partner A's customers in yesterday's licence scan,
    _licence_world(portal_world)

    # when a reader opens the list in their language,
    text = page_text(client_for("partner_a_user"), "/portal/customers/", language=language)

    # then each customer shows the worst state of its contracts in the latest scan, by name,
    under, near, compliant, idle = LICENCE_STATE_NAMES[language]
    assert _licence_cells(text) == {
        "K-A": under,
        "K-NEAR": near,
        "K-OK": compliant,
        "K-IDLE": idle,
        "K-RETAIL": "–",
    }
    # and no state as a raw code.
    assert "under_licensed" not in re.sub(r'<option value="[^"]*"', "", text)
    assert "no_installations" not in re.sub(r'<option value="[^"]*"', "", text)


@pytest.mark.parametrize(
    ("licence", "expected"),
    [
        ("under_licensed", ["K-A"]),
        ("near_limit", ["K-NEAR"]),
        ("compliant", ["K-OK"]),
        ("no_installations", ["K-IDLE"]),
        ("", ["K-A", "K-IDLE", "K-NEAR", "K-OK", "K-RETAIL"]),
    ],
)
def test_list_narrows_to_one_licence_state(
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    licence: str,
    expected: list[str],
) -> None:
    # Given partner A's customers in yesterday's licence scan,
    _licence_world(portal_world)

    # when the list is narrowed to one licence state,
    query = {"licence": licence, "sort": "number"}
    text = page_text(client_for("partner_a_user"), "/portal/customers/", query)

    # then it holds exactly the customers in that state, and says how many.
    assert sorted(_licence_cells(text)) == expected
    assert f"{len(expected)} customer" in text or f"{len(expected)} Kunde" in text


def test_licence_filter_offers_the_states_by_name(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = page_text(client_for("partner_a_user"), "/portal/customers/", language="de")

    assert '<option value="under_licensed">unterlizenziert</option>' in text
    assert '<option value="no_installations">keine Installationen</option>' in text


def test_an_unknown_licence_state_narrows_nothing(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    _licence_world(portal_world)

    text = page_text(client_for("partner_a_user"), "/portal/customers/", {"licence": "bogus"})

    assert sorted(_licence_cells(text)) == ["K-A", "K-IDLE", "K-NEAR", "K-OK", "K-RETAIL"]


def test_licence_states_of_another_partners_customers_stay_hidden(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner B's customer is under-licensed,
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    _scanned(
        portal_world.contract_b, day=yesterday, active=60, status=ComplianceStatus.UNDER_LICENSED
    )

    # then partner A's under-licensed list is empty, and partner B's holds it.
    a = client_for("partner_a_user").get("/portal/customers/", {"licence": "under_licensed"})
    b = client_for("partner_b_user").get("/portal/customers/", {"licence": "under_licensed"})
    assert _licence_cells(a.content.decode()) == {}
    assert _licence_cells(b.content.decode()) == {"K-B": "under-licensed"} or _licence_cells(
        b.content.decode()
    ) == {"K-B": "unterlizenziert"}


def test_a_partner_with_5000_customers_and_20000_contracts_costs_a_fixed_number_of_queries(
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    django_assert_max_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    # Given partner A with 5,000 customers of four enterprise contracts each, every contract in
    # yesterday's scan, one customer in ten under-licensed,
    partner = portal_world.personas.partner_a
    today = timezone.localdate()
    yesterday = today - dt.timedelta(days=1)
    customers = Customer.objects.bulk_create(
        Customer(customer_number=f"K-S{index:05d}", name=f"Skala {index:05d} GmbH", city="Köln")
        for index in range(5000)
    )
    CustomerAssignment.objects.bulk_create(
        CustomerAssignment(customer=customer, partner=partner, valid_from=LONG_AGO)
        for customer in customers
    )
    contracts = Contract.objects.bulk_create(
        Contract(
            contract_number=f"V-S{index:05d}-{slot}",
            customer=customer,
            partner=partner,
            product=portal_world.product,
            seats=10,
            start_date=today - dt.timedelta(days=100),
            end_date=today + dt.timedelta(days=100 + index % 300),
        )
        for index, customer in enumerate(customers)
        for slot in range(4)
    )
    ComplianceRecord.objects.bulk_create(
        ComplianceRecord(
            contract=contract,
            day=yesterday,
            seats=10,
            active_installations=14 if under else 5,
            peak_installations=14 if under else 5,
            tolerance=1,
            status=ComplianceStatus.UNDER_LICENSED if under else ComplianceStatus.COMPLIANT,
        )
        for position, contract in enumerate(contracts)
        for under in [position % 40 == 0]
    )
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"

    # when the list is shown, narrowed to the under-licensed and sorted by contract figures,
    with django_assert_max_num_queries(13):
        narrowed = client.get("/portal/customers/", {"licence": "under_licensed"})
    with django_assert_max_num_queries(13):
        sorted_page = client.get(
            "/portal/customers/", {"licence": "compliant", "sort": "next_end", "page": "3"}
        )

    # then each answer costs a fixed number of queries and counts exactly.
    assert "500 customers" in narrowed.content.decode()
    assert "4,500 customers" in sorted_page.content.decode() or "4500 customers" in (
        sorted_page.content.decode()
    )
    assert set(_licence_cells(sorted_page.content.decode()).values()) == {"compliant"}


# The customer list as CSV ------------------------------------------------------------------


def _csv(client: Client, query: dict[str, str] | None = None) -> str:
    response = client.get("/portal/customers.csv", query or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="customers-')
    return response.content.decode()


@pytest.mark.today("2026-12-07")
def test_the_customer_export_in_german_is_german_excel_with_names_not_codes(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A's customers in yesterday's licence scan,
    _licence_world(portal_world)
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "de"

    # when a German reader downloads the under-licensed ones,
    text = _csv(client, {"licence": "under_licensed"})

    # then it is German Excel: BOM, semicolons, German dates and the state by name.
    with translation.override("de"):
        headers = ";".join(str(column.label) for column in CSV_COLUMNS)
    customer = portal_world.customer_a
    soon = portal_world.contract_soon.end_date
    assert text.split("\r\n") == [
        f"\ufeff{headers}",
        f"K-A;Anton Maschinenbau AG;{customer.postal_code};{customer.city};Sonstige;2;"
        f"{soon:%d.%m.%Y};unterlizenziert",
        "",
    ]


def test_the_customer_export_in_english_follows_the_search_and_sort_of_the_page(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    customers_from_z(portal_world.personas.partner_a, name="=Zeta")
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"

    everyone = _csv(client, {"sort": "number"}).split("\n")
    searched = _csv(client, {"q": "zeta 1", "sort": "number"}).split("\n")

    # Every page of the list, not only the first 25; formula-like names neutralised.
    assert (
        everyone[0]
        == "Customer number,Name,Postal code,City,Sector,Contracts,Next contract end,Licence"
    )
    assert len(everyone) == 1 + 31 + 1
    assert everyone[1].startswith("K-A,Anton Maschinenbau AG,")
    assert everyone[2].startswith("K-Z00,'=Zeta 00 GmbH,")
    assert [line.split(",")[0] for line in searched[1:-1]] == [f"K-Z1{i}" for i in range(10)]


def test_the_customer_export_holds_only_the_partners_own_customers(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    a_text = _csv(client_for("partner_a_user"))
    b_text = _csv(client_for("partner_b_user"), {"q": "Anton"})

    assert "Anton Maschinenbau AG" in a_text
    assert "Berta Bank eG" not in a_text
    assert b_text.split("\n")[1:] == [""]
    assert "Berta Bank eG" in _csv(client_for("partner_b_user"))


def test_the_customer_page_links_the_export_with_its_filters(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    query = {"q": "Anton", "licence": "under_licensed"}
    text = page_text(client_for("partner_a_user"), "/portal/customers/", query)

    assert 'href="/portal/customers.csv?q=Anton&amp;licence=under_licensed"' in text


def test_the_customer_export_costs_the_same_queries_for_few_or_many_customers(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    _licence_world(portal_world)
    client = client_for("partner_a_user")

    def queries(query: dict[str, str]) -> int:
        with CaptureQueriesContext(connection) as captured:
            _csv(client, query)
        return len(captured.captured_queries)

    few = [queries({}), queries({"licence": "compliant", "sort": "-contracts"})]
    for index in range(40):
        customer = customer_of(
            portal_world.personas.partner_a, customer_number=f"K-M{index:02d}", name=f"M {index}"
        )
        contract_of(customer, contract_number=f"V-M{index:02d}", product=portal_world.product)

    assert [queries({}), queries({"licence": "compliant", "sort": "-contracts"})] == few
