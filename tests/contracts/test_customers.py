"""Customers and the history of who looks after them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from channeldesk.contracts.models import CustomerAssignment, CustomerSector
from channeldesk.contracts.selectors import (
    customer_partner_current,
    customer_partner_history,
    customer_partner_on,
)
from channeldesk.contracts.services import (
    ContractError,
    CustomerDetails,
    customer_create,
    customer_partner_change,
    customer_update,
)
from tests.contracts.factories import LONG_AGO, contracts_state, customer_of
from tests.factories import PartnerFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
YESTERDAY = TODAY - dt.timedelta(days=1)


def spans(customer: object) -> list[tuple[str, dt.date, dt.date | None]]:
    return [
        (span.partner.partner_number, span.valid_from, span.valid_to)
        for span in customer_partner_history(customer=customer)
    ]


def test_a_new_customer_is_looked_after_from_the_day_it_is_created() -> None:
    partner = PartnerFactory(partner_number="P-1")

    customer = customer_create(
        customer_number="K-1",
        details=CustomerDetails(
            name="Stadt Musterstadt", country="DE", sector=CustomerSector.PUBLIC_AUTHORITY
        ),
        partner=partner,
    )

    assert (customer.name, customer.sector, customer.language) == (
        "Stadt Musterstadt",
        "public_authority",
        "de",
    )
    assert spans(customer) == [("P-1", TODAY, None)]


def test_changing_the_partner_closes_the_open_span_and_opens_a_new_one() -> None:
    old, new = PartnerFactory(partner_number="P-OLD"), PartnerFactory(partner_number="P-NEW")
    customer = customer_of(old)

    span = customer_partner_change(customer=customer, partner=new, on=YESTERDAY)

    assert (span.partner, span.valid_from, span.valid_to) == (new, YESTERDAY, None)
    assert spans(customer) == [("P-NEW", YESTERDAY, None), ("P-OLD", LONG_AGO, YESTERDAY)]


def test_who_looks_after_the_customer_is_answered_for_any_date() -> None:
    old, new = PartnerFactory(), PartnerFactory()
    customer = customer_of(old)
    customer_partner_change(customer=customer, partner=new, on=YESTERDAY)

    assert customer_partner_on(customer=customer, on=LONG_AGO - dt.timedelta(days=1)) is None
    assert customer_partner_on(customer=customer, on=LONG_AGO) == old
    assert customer_partner_on(customer=customer, on=YESTERDAY - dt.timedelta(days=1)) == old
    assert customer_partner_on(customer=customer, on=YESTERDAY) == new
    assert customer_partner_current(customer=customer) == new


def test_a_second_change_on_the_same_day_corrects_the_span_in_place() -> None:
    first, wrong, right = PartnerFactory(), PartnerFactory(), PartnerFactory()
    customer = customer_of(first)
    customer_partner_change(customer=customer, partner=wrong, on=YESTERDAY)

    customer_partner_change(customer=customer, partner=right, on=YESTERDAY)

    assert spans(customer) == [
        (right.partner_number, YESTERDAY, None),
        (first.partner_number, LONG_AGO, YESTERDAY),
    ]


def test_the_same_partner_again_changes_nothing() -> None:
    partner = PartnerFactory()
    customer = customer_of(partner)
    before = contracts_state()

    span = customer_partner_change(customer=customer, partner=partner, on=YESTERDAY)

    assert span.valid_from == LONG_AGO
    assert contracts_state() == before


def test_a_change_in_the_future_is_refused_and_changes_nothing() -> None:
    customer = customer_of(PartnerFactory())
    before = contracts_state()

    with pytest.raises(ContractError) as refusal:
        customer_partner_change(
            customer=customer, partner=PartnerFactory(), on=TODAY + dt.timedelta(days=1)
        )

    assert refusal.value.code == "partner_change_in_future"
    assert contracts_state() == before


def test_a_change_before_the_open_span_started_is_refused_and_changes_nothing() -> None:
    customer = customer_of(PartnerFactory(), since=YESTERDAY)
    before = contracts_state()

    with pytest.raises(ContractError) as refusal:
        customer_partner_change(
            customer=customer, partner=PartnerFactory(), on=YESTERDAY - dt.timedelta(days=1)
        )

    assert refusal.value.code == "partner_change_before_start"
    assert contracts_state() == before


def test_the_database_allows_one_open_span_per_customer() -> None:
    customer = customer_of(PartnerFactory())

    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerAssignment.objects.create(
            customer=customer, partner=PartnerFactory(), valid_from=YESTERDAY
        )


def test_updating_a_customer_writes_only_what_changed() -> None:
    customer = customer_of(PartnerFactory(), name="Alt GmbH", city="Bonn")
    details = CustomerDetails(
        name="Neu GmbH",
        street=customer.street,
        postal_code=customer.postal_code,
        city="Köln",
        country="DE",
        language="en",
        sector=CustomerSector.FINANCE,
        contact_name=customer.contact_name,
        contact_email=customer.contact_email,
    )

    customer_update(customer=customer, details=details)
    customer.refresh_from_db()

    assert (customer.name, customer.city, customer.language, customer.sector) == (
        "Neu GmbH",
        "Köln",
        "en",
        "finance",
    )


def test_updating_a_customer_with_its_own_values_leaves_it_untouched() -> None:
    customer = customer_of(PartnerFactory())
    details = CustomerDetails(
        name=customer.name,
        street=customer.street,
        postal_code=customer.postal_code,
        city=customer.city,
        country=customer.country,
        language=customer.language,
        sector=customer.sector,
        contact_name=customer.contact_name,
        contact_email=customer.contact_email,
    )
    before = contracts_state()

    customer_update(customer=customer, details=details)

    assert contracts_state() == before
