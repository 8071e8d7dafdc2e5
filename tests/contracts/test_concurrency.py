"""Two requests renewing the same contract at once: exactly one follow-up (PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from channeldesk.contracts.models import Contract, ContractStatus
from channeldesk.contracts.services import ContractError, contract_renew
from tests.contracts.factories import contract_of, customer_of
from tests.factories import PartnerFactory
from tests.operations.races import run_together


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_renewals_create_one_follow_up() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL")
    contract = contract_of(customer_of(PartnerFactory()), contract_number="V-1")

    def renew(number: str) -> str:
        stale = Contract.objects.get(pk=contract.pk)
        try:
            contract_renew(contract=stale, contract_number=number, end_date=dt.date(2027, 3, 31))
        except ContractError as refusal:
            return refusal.code
        return "renewed"

    outcomes = run_together(2, lambda index: renew(("V-2", "V-3")[index]))

    assert sorted(outcomes) == ["not_renewable", "renewed"]  # type: ignore[type-var]
    follow_ups = list(Contract.objects.filter(renews=contract).values_list("contract_number"))
    assert len(follow_ups) == 1
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.RENEWED
