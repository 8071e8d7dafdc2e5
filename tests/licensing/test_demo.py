"""The licensing demo: keycodes for every enterprise contract in force, machines up to a budget."""

from __future__ import annotations

import datetime as dt

import pytest

from channeldesk.catalog.models import ProductKind
from channeldesk.commands.demo import licensing as demo
from channeldesk.commands.demo.population import DemoPlan
from channeldesk.licensing.models import Installation, Keycode
from tests.contracts.factories import contract_of, customer_of
from tests.factories import ProductFactory
from tests.personas import Personas

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)


def _world(personas: Personas) -> list:
    product = ProductFactory(sku="EN-EP-STD", kind=ProductKind.ENTERPRISE)
    contracts = []
    for number in ("K-1", "K-2", "K-3"):
        customer = customer_of(personas.partner_a, customer_number=number)
        contracts.append(
            contract_of(
                customer,
                product=product,
                contract_number=f"V-{number}",
                seats=40,
                start_date=dt.date(2026, 1, 1),
                end_date=dt.date(2027, 12, 31),
            )
        )
    return contracts


def test_every_contract_gets_a_keycode_and_machines_for_about_its_seats(
    personas: Personas,
) -> None:
    contracts = _world(personas)
    lines: list[str] = []

    demo.demo_licensing_load(
        plan=DemoPlan(seed=1, partners=1, order_lines=0, today=TODAY), write=lines.append
    )
    reported = len(lines)
    demo.demo_licensing_load(
        plan=DemoPlan(seed=1, partners=1, order_lines=0, today=TODAY), write=lines.append
    )

    assert Keycode.objects.count() == len(contracts)
    for contract in contracts:
        machines = Installation.objects.filter(keycode__contract=contract).count()
        assert machines >= 14  # 35 %-97 % of 40 seats at least, more when under-licensed
    assert len(lines) == reported  # the second load found nothing to do
    assert "stops at" not in lines[0]


def test_beyond_the_machine_budget_customers_get_keycodes_but_no_machines(
    personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    contracts = _world(personas)
    monkeypatch.setattr(demo, "MACHINE_BUDGET", 1)
    lines: list[str] = []

    demo.demo_licensing_load(
        plan=DemoPlan(seed=1, partners=1, order_lines=0, today=TODAY), write=lines.append
    )

    assert Keycode.objects.count() == len(contracts)
    with_machines = [
        contract.contract_number
        for contract in contracts
        if Installation.objects.filter(keycode__contract=contract).exists()
    ]
    assert with_machines == ["V-K-1"]  # the first customer, whole; then the budget is spent
    assert "the demo stops at 1" in lines[0]
