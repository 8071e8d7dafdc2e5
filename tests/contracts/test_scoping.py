"""What each persona sees of customers and contracts, before and after a customer moves.

The rule (contracts.selectors): a partner sees the customers it looks after now and all their
contracts, whoever sold them; after a move the new partner sees them and the old one no longer.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser

from channeldesk.contracts.models import Contract, Customer
from channeldesk.contracts.selectors import (
    contracts_ending_in,
    contracts_of_customer,
    contracts_visible_to,
    customers_visible_to,
)
from channeldesk.contracts.services import customer_partner_change
from channeldesk.core.periods import Period
from tests.contracts.factories import YESTERDAY, contract_of, customer_of
from tests.factories import UserFactory
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def customer_numbers(user: object) -> list[str]:
    customers = customers_visible_to(user=user).order_by("customer_number")  # type: ignore[arg-type]
    return list(customers.values_list("customer_number", flat=True))


def contract_numbers(user: object) -> list[str]:
    contracts = contracts_visible_to(user=user).order_by("contract_number")  # type: ignore[arg-type]
    return list(contracts.values_list("contract_number", flat=True))


@pytest.mark.usefixtures("customers")
def test_each_persona_sees_the_customers_and_contracts_of_its_partner(personas: Personas) -> None:
    everything = ["K-A", "K-B", "K-MOVES"]
    seen = {name: customer_numbers(user) for name, user in personas.all().items()}
    assert seen == {
        "partner_a_admin": ["K-A", "K-MOVES"],
        "partner_a_user": ["K-A", "K-MOVES"],
        "partner_b_user": ["K-B"],
        "staff": everything,
        "support": everything,
    }
    assert contract_numbers(personas.partner_a_user) == ["V-K-A", "V-K-MOVES"]
    assert contract_numbers(personas.partner_b_user) == ["V-K-B"]
    assert contract_numbers(personas.staff) == ["V-K-A", "V-K-B", "V-K-MOVES"]


@pytest.mark.usefixtures("customers")
def test_anonymous_and_outsiders_see_nothing() -> None:
    outsider = UserFactory(username="olga")

    assert customer_numbers(AnonymousUser()) == []
    assert customer_numbers(outsider) == []
    assert contract_numbers(AnonymousUser()) == []
    assert contract_numbers(outsider) == []


def test_after_a_move_the_new_partner_sees_the_customer_and_the_old_one_no_longer(
    personas: Personas, customers: dict[str, Customer]
) -> None:
    customer_partner_change(customer=customers["K-MOVES"], partner=personas.partner_b, on=YESTERDAY)

    assert customer_numbers(personas.partner_a_user) == ["K-A"]
    assert customer_numbers(personas.partner_b_user) == ["K-B", "K-MOVES"]
    # The contract partner A sold goes with the customer: B sees it, A no longer does.
    assert Contract.objects.get(contract_number="V-K-MOVES").partner == personas.partner_a
    assert contract_numbers(personas.partner_a_user) == ["V-K-A"]
    assert contract_numbers(personas.partner_b_user) == ["V-K-B", "V-K-MOVES"]


def test_a_customers_contracts_come_newest_end_first(personas: Personas) -> None:
    customer = customer_of(personas.partner_a)
    contract_of(customer, contract_number="OLD", end_date=dt.date(2026, 3, 31))
    contract_of(customer, contract_number="NEW", end_date=dt.date(2027, 3, 31))
    contract_of(customer_of(personas.partner_a), contract_number="OTHER")

    contracts = contracts_of_customer(
        contracts=contracts_visible_to(user=personas.partner_a_user), customer=customer
    )

    assert [contract.contract_number for contract in contracts] == ["NEW", "OLD"]


def test_contracts_ending_in_a_period_include_its_first_and_not_its_end(
    personas: Personas,
) -> None:
    customer = customer_of(personas.partner_a)
    for number, end in [
        ("MARCH-31", dt.date(2026, 3, 31)),
        ("APRIL-1", dt.date(2026, 4, 1)),
        ("APRIL-30", dt.date(2026, 4, 30)),
        ("MAY-1", dt.date(2026, 5, 1)),
    ]:
        contract_of(customer, contract_number=number, end_date=end)
    contract_of(
        customer_of(personas.partner_b), contract_number="B-APRIL", end_date=dt.date(2026, 4, 15)
    )
    april = Period(start=dt.date(2026, 4, 1), end=dt.date(2026, 5, 1))

    ending = contracts_ending_in(
        contracts=contracts_visible_to(user=personas.partner_a_user), period=april
    )

    assert sorted(ending.values_list("contract_number", flat=True)) == ["APRIL-1", "APRIL-30"]
