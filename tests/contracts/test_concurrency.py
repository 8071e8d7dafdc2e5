"""Two requests renewing the same contract at once: exactly one follow-up (PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, connections

from channeldesk.contracts.models import Contract, ContractStatus
from channeldesk.contracts.services import ContractError, contract_renew
from tests.contracts.factories import contract_of, customer_of
from tests.factories import PartnerFactory


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_renewals_create_one_follow_up() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time; the race needs PostgreSQL")
    contract = contract_of(customer_of(PartnerFactory()), contract_number="V-1")
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def renew(number: str) -> None:
        try:
            barrier.wait()
            stale = Contract.objects.get(pk=contract.pk)
            contract_renew(contract=stale, contract_number=number, end_date=dt.date(2027, 3, 31))
            outcomes[number] = "renewed"
        except ContractError as refusal:
            outcomes[number] = refusal.code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=renew, args=(number,)) for number in ("V-2", "V-3")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes.values()) == ["not_renewable", "renewed"]
    follow_ups = list(Contract.objects.filter(renews=contract).values_list("contract_number"))
    assert len(follow_ups) == 1
    assert Contract.objects.get(pk=contract.pk).status == ContractStatus.RENEWED
