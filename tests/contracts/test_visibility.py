"""The customer-visibility filter of the big lists (`customers_visible_filter`): the same rule
as `customers_visible_to`, whether the scope is an id list (PostgreSQL) or a subquery (SQLite).
"""

from __future__ import annotations

import pytest

from channeldesk.contracts.models import Contract, Customer
from channeldesk.contracts.selectors import (
    customers_visible_filter,
    customers_visible_scope,
    customers_visible_to,
)
from channeldesk.contracts.services import customer_partner_change
from tests.contracts.factories import YESTERDAY
from tests.personas import Personas

pytestmark = pytest.mark.django_db


def _customers(user: object) -> list[str]:
    rows = Customer.objects.filter(customers_visible_filter(user=user, field="pk"))  # type: ignore[arg-type]
    return sorted(rows.values_list("customer_number", flat=True))


def _contracts(user: object) -> list[str]:
    rows = Contract.objects.filter(customers_visible_filter(user=user, field="customer_id"))  # type: ignore[arg-type]
    return sorted(rows.values_list("contract_number", flat=True))


@pytest.mark.usefixtures("customers")
def test_the_filter_keeps_what_customers_visible_to_keeps_for_every_persona(
    personas: Personas,
) -> None:
    for name, user in personas.all().items():
        expected = sorted(customers_visible_to(user=user).values_list("customer_number", flat=True))

        assert _customers(user) == expected, name
        assert _contracts(user) == [f"V-{number}" for number in expected], name


@pytest.mark.usefixtures("customers")
def test_one_scope_serves_several_filters_of_a_request(personas: Personas) -> None:
    scope = customers_visible_scope(user=personas.partner_b_user)

    customers = Customer.objects.filter(
        customers_visible_filter(user=personas.partner_b_user, field="pk", scope=scope)
    )
    contracts = Contract.objects.filter(
        customers_visible_filter(user=personas.partner_b_user, field="customer_id", scope=scope)
    )

    assert list(customers.values_list("customer_number", flat=True)) == ["K-B"]
    assert list(contracts.values_list("contract_number", flat=True)) == ["V-K-B"]


def test_a_moved_customer_leaves_the_old_partners_filter(
    personas: Personas, customers: dict[str, Customer]
) -> None:
    customer_partner_change(customer=customers["K-MOVES"], partner=personas.partner_b, on=YESTERDAY)

    assert _customers(personas.partner_a_user) == ["K-A"]
    assert _customers(personas.partner_b_user) == ["K-B", "K-MOVES"]
    assert _contracts(personas.partner_b_user) == ["V-K-B", "V-K-MOVES"]
