"""Customers: the list, a customer's contracts and reminders, the letter PDF, scoped to the
partner who looks after the customer now."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from channeldesk.contracts.services import customer_partner_change
from tests.contracts.factories import contract_of, customer_of
from tests.portal.world import PDF, PortalWorld


def test_list_shows_only_the_partners_customers(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = client_for("partner_a_user").get("/portal/customers/").content.decode()

    assert "Anton Maschinenbau AG" in text
    assert "Berta Bank eG" not in text


def test_list_searches_sorts_and_pages(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    partner = portal_world.personas.partner_a
    for index in range(30):
        customer_of(partner, customer_number=f"K-Z{index:02d}", name=f"Zeta {index:02d} GmbH")
    client = client_for("partner_a_user")

    searched = client.get("/portal/customers/", {"q": "anton"}).content.decode()
    by_number_desc = client.get("/portal/customers/", {"sort": "number"}).content.decode()
    page_two = client.get("/portal/customers/", {"sort": "name", "page": "2"}).content.decode()

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
    response = client_for("partner_a_user").get(
        "/portal/customers/", {"q": "Anton"}, headers={"HX-Request": "true"}
    )

    text = response.content.decode()
    assert "<html" not in text
    assert "Anton Maschinenbau AG" in text


def test_detail_shows_contracts_and_the_letter_the_customer_got(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = client_for("partner_a_user")
    client.cookies["django_language"] = "en"

    text = client.get("/portal/customers/K-A/").content.decode()

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
    # One more for the licence trend of the enterprise contracts.
    with django_assert_max_num_queries(13):
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
        text = client.get("/portal/customers/", {"sort": sort}).content.decode()
        numbers = ["K-SOON", "K-A", "K-MANY", "K-NONE"]
        return sorted(numbers, key=lambda number: text.index(f">{number}<"))

    # then the soonest end comes first and customers without an active contract last,
    assert order("next_end") == ["K-SOON", "K-A", "K-MANY", "K-NONE"]
    # and the most contracts first, ties by customer number.
    assert order("-contracts") == ["K-MANY", "K-A", "K-SOON", "K-NONE"]
