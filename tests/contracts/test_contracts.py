"""Contracts change state only through the services: create, renew, cancel, end date, expire."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from channeldesk.catalog.models import ProductKind
from channeldesk.contracts import services
from channeldesk.contracts.models import Contract, ContractStatus
from channeldesk.contracts.services import (
    ContractError,
    contract_cancel,
    contract_change_end_date,
    contract_create,
    contract_renew,
    contracts_expire,
    customer_partner_change,
)
from tests.contracts.factories import (
    contract_of,
    contracts_state,
    customer_of,
    enterprise_product,
)
from tests.factories import PartnerFactory, ProductFactory

pytestmark = pytest.mark.django_db

START, END = dt.date(2025, 4, 1), dt.date(2026, 3, 31)
NEXT_END = dt.date(2027, 3, 31)  # where the renewals below end


def refused(code: str, action: object, **arguments: object) -> None:
    """Run a service that must refuse with `code`, and check that it changed nothing."""
    before = contracts_state()
    with pytest.raises(ContractError) as refusal:
        action(**arguments)  # type: ignore[operator]
    assert refusal.value.code == code
    assert contracts_state() == before


def renewal_refused(contract: Contract, number: str) -> None:
    """Renewing `contract` into `number` is refused as not renewable, and changes nothing."""
    refused(
        "not_renewable",
        contract_renew,
        contract=contract,
        contract_number=number,
        end_date=NEXT_END,
    )


# --- Creating ----------------------------------------------------------------------------------


def test_a_new_contract_is_active_and_sold_by_the_partner_looking_after_the_customer() -> None:
    partner = PartnerFactory()
    customer = customer_of(partner)

    contract = contract_create(
        contract_number="V-1",
        customer=customer,
        product=enterprise_product(),
        seats=25,
        start_date=START,
        end_date=END,
    )

    stored = Contract.objects.get(contract_number="V-1")
    assert (stored.partner, stored.seats, stored.status, stored.renews) == (
        partner,
        25,
        ContractStatus.ACTIVE,
        None,
    )
    assert (stored.start_date, stored.end_date) == (START, END)
    assert contract == stored


def test_a_retail_product_gets_no_contract() -> None:
    retail = ProductFactory(sku="BOX-1", kind=ProductKind.RETAIL)

    refused(
        "product_not_contractable",
        contract_create,
        contract_number="V-1",
        customer=customer_of(PartnerFactory()),
        product=retail,
        seats=1,
        start_date=START,
        end_date=END,
    )


def test_a_contract_cannot_end_before_it_starts() -> None:
    refused(
        "end_before_start",
        contract_create,
        contract_number="V-1",
        customer=customer_of(PartnerFactory()),
        product=enterprise_product(),
        seats=1,
        start_date=START,
        end_date=START - dt.timedelta(days=1),
    )


# --- Renewing ----------------------------------------------------------------------------------


def test_renewing_creates_the_follow_up_and_marks_the_contract_renewed() -> None:
    customer = customer_of(PartnerFactory())
    contract = contract_of(
        customer, contract_number="V-1", seats=10, start_date=START, end_date=END
    )

    follow_up = contract_renew(contract=contract, contract_number="V-2", end_date=NEXT_END)

    stored = Contract.objects.get(contract_number="V-1")
    assert stored.status == ContractStatus.RENEWED
    assert contract.status == ContractStatus.RENEWED
    assert (
        follow_up.renews,
        follow_up.customer,
        follow_up.product,
        follow_up.seats,
        follow_up.start_date,
        follow_up.end_date,
        follow_up.status,
    ) == (
        stored,
        customer,
        stored.product,
        10,
        dt.date(2026, 4, 1),
        dt.date(2027, 3, 31),
        ContractStatus.ACTIVE,
    )


def test_the_follow_up_is_sold_by_the_partner_looking_after_the_customer_now() -> None:
    seller, successor = PartnerFactory(), PartnerFactory()
    customer = customer_of(seller)
    contract = contract_of(customer, start_date=START, end_date=END)
    customer_partner_change(customer=customer, partner=successor)

    follow_up = contract_renew(contract=contract, contract_number="V-2", end_date=NEXT_END)

    assert (contract.partner, follow_up.partner) == (seller, successor)


def test_a_renewal_may_change_seats_product_and_start() -> None:
    contract = contract_of(customer_of(PartnerFactory()), start_date=START, end_date=END)
    bigger = enterprise_product("ENT-PLUS")

    follow_up = contract_renew(
        contract=contract,
        contract_number="V-2",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        seats=40,
        product=bigger,
    )

    assert (follow_up.product, follow_up.seats, follow_up.start_date) == (
        bigger,
        40,
        dt.date(2026, 1, 1),
    )


def test_an_expired_contract_can_still_be_renewed() -> None:
    contract = contract_of(customer_of(PartnerFactory()), status=ContractStatus.EXPIRED)

    follow_up = contract_renew(contract=contract, contract_number="V-2", end_date=NEXT_END)

    assert (contract.status, follow_up.renews) == (ContractStatus.RENEWED, contract)


def test_a_second_renewal_is_refused_and_changes_nothing() -> None:
    contract = contract_of(customer_of(PartnerFactory()), start_date=START, end_date=END)
    contract_renew(contract=contract, contract_number="V-2", end_date=NEXT_END)

    renewal_refused(contract, "V-3")


def test_a_stale_copy_of_a_renewed_contract_cannot_renew_it_again() -> None:
    contract = contract_of(customer_of(PartnerFactory()), start_date=START, end_date=END)
    stale = Contract.objects.get(pk=contract.pk)
    contract_renew(contract=contract, contract_number="V-2", end_date=NEXT_END)

    renewal_refused(stale, "V-3")


def test_a_cancelled_contract_is_not_renewed() -> None:
    contract = contract_of(customer_of(PartnerFactory()), status=ContractStatus.CANCELLED)

    renewal_refused(contract, "V-2")


def test_a_renewal_starting_before_the_renewed_contract_is_refused() -> None:
    contract = contract_of(customer_of(PartnerFactory()), start_date=START, end_date=END)

    refused(
        "renewal_starts_too_early",
        contract_renew,
        contract=contract,
        contract_number="V-2",
        start_date=START,
        end_date=NEXT_END,
    )


def test_renewing_is_one_transaction(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a renewal that fails after the follow-up was written, before the old one is marked
    contract = contract_of(customer_of(PartnerFactory()), start_date=START, end_date=END)
    before = contracts_state()

    def fail(**arguments: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_mark_renewed", fail)

    # When the renewal runs, then it fails and the follow-up is gone with it
    with pytest.raises(RuntimeError):
        contract_renew(contract=contract, contract_number="V-2", end_date=NEXT_END)
    assert contracts_state() == before


# --- Cancelling --------------------------------------------------------------------------------


def test_cancelling_keeps_the_end_date_and_records_the_reason() -> None:
    contract = contract_of(customer_of(PartnerFactory()), start_date=START, end_date=END)

    contract_cancel(contract=contract, reason="  Customer switched vendor.  ")

    stored = Contract.objects.get(pk=contract.pk)
    assert (stored.status, stored.end_date, stored.cancellation_reason) == (
        ContractStatus.CANCELLED,
        END,
        "Customer switched vendor.",
    )
    assert stored.cancelled_at is not None
    assert contract.status == ContractStatus.CANCELLED


@pytest.mark.parametrize(
    "status", [ContractStatus.RENEWED, ContractStatus.EXPIRED, ContractStatus.CANCELLED]
)
def test_only_an_active_contract_can_be_cancelled(status: ContractStatus) -> None:
    contract = contract_of(customer_of(PartnerFactory()), status=status)

    refused("not_active", contract_cancel, contract=contract, reason="No longer needed")


def test_a_cancellation_needs_a_reason() -> None:
    contract = contract_of(customer_of(PartnerFactory()))

    refused("reason_missing", contract_cancel, contract=contract, reason="   ")


# --- Changing the end date ---------------------------------------------------------------------


def test_the_end_date_of_an_active_contract_can_move() -> None:
    contract = contract_of(customer_of(PartnerFactory()), start_date=START, end_date=END)

    contract_change_end_date(contract=contract, end_date=dt.date(2026, 6, 30))

    assert Contract.objects.get(pk=contract.pk).end_date == dt.date(2026, 6, 30)
    assert contract.end_date == dt.date(2026, 6, 30)


def test_the_same_end_date_again_changes_nothing() -> None:
    contract = contract_of(customer_of(PartnerFactory()), start_date=START, end_date=END)
    before = contracts_state()

    contract_change_end_date(contract=contract, end_date=END)

    assert contracts_state() == before


def test_an_end_date_before_the_start_is_refused() -> None:
    contract = contract_of(customer_of(PartnerFactory()), start_date=START, end_date=END)

    refused(
        "end_before_start",
        contract_change_end_date,
        contract=contract,
        end_date=START - dt.timedelta(days=1),
    )


@pytest.mark.parametrize(
    "status", [ContractStatus.RENEWED, ContractStatus.EXPIRED, ContractStatus.CANCELLED]
)
def test_only_an_active_contracts_end_date_can_change(status: ContractStatus) -> None:
    contract = contract_of(customer_of(PartnerFactory()), status=status)

    refused("not_active", contract_change_end_date, contract=contract, end_date=dt.date(2027, 1, 1))


# --- The expiry sweep --------------------------------------------------------------------------


def test_the_sweep_expires_active_contracts_whose_end_date_has_passed() -> None:
    customer = customer_of(PartnerFactory())
    ended = contract_of(customer, contract_number="ENDED", end_date=dt.date(2026, 3, 31))
    last_day = contract_of(customer, contract_number="LAST-DAY", end_date=dt.date(2026, 4, 1))
    cancelled = contract_of(
        customer,
        contract_number="CANCELLED",
        end_date=dt.date(2026, 3, 31),
        status=ContractStatus.CANCELLED,
    )
    renewed = contract_of(
        customer,
        contract_number="RENEWED",
        end_date=dt.date(2026, 3, 31),
        status=ContractStatus.RENEWED,
    )

    expired = contracts_expire(today=dt.date(2026, 4, 1))

    statuses = dict(Contract.objects.values_list("contract_number", "status"))
    assert expired == 1
    assert statuses == {
        ended.contract_number: ContractStatus.EXPIRED,
        last_day.contract_number: ContractStatus.ACTIVE,
        cancelled.contract_number: ContractStatus.CANCELLED,
        renewed.contract_number: ContractStatus.RENEWED,
    }


def test_running_the_sweep_again_changes_nothing() -> None:
    contract_of(customer_of(PartnerFactory()), end_date=dt.date(2026, 3, 31))
    contracts_expire(today=dt.date(2026, 4, 1))
    before = contracts_state()

    again = contracts_expire(today=dt.date(2026, 4, 1))
    a_day_late = contracts_expire(today=dt.date(2026, 4, 2))

    assert (again, a_day_late) == (0, 0)
    assert contracts_state() == before


def test_the_sweep_runs_as_of_today_by_default() -> None:
    today = timezone.localdate()
    customer = customer_of(PartnerFactory())
    contract_of(customer, contract_number="YESTERDAY", end_date=today - dt.timedelta(days=1))
    contract_of(customer, contract_number="TODAY", end_date=today)

    assert contracts_expire() == 1
    assert dict(Contract.objects.values_list("contract_number", "status")) == {
        "YESTERDAY": ContractStatus.EXPIRED,
        "TODAY": ContractStatus.ACTIVE,
    }
