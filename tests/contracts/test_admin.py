"""The customer admin keeps the history of who looks after a customer; contract state is
changed only through the services."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from channeldesk.contracts.models import Customer, CustomerAssignment
from tests.contracts.factories import LONG_AGO, contract_of, customer_of
from tests.personas import Personas

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def customer_form(partner_id: int, spans: int = 0) -> dict[str, object]:
    return {
        "customer_number": "K-1",
        "name": "Stadt Musterstadt",
        "sector": "public_authority",
        "partner": partner_id,
        "street": "",
        "postal_code": "",
        "city": "",
        "country": "DE",
        "language": "de",
        "contact_name": "",
        "contact_email": "",
        "assignments-TOTAL_FORMS": spans,
        "assignments-INITIAL_FORMS": spans,
        "assignments-MIN_NUM_FORMS": 0,
        "assignments-MAX_NUM_FORMS": 1000,
    }


def history() -> list[tuple[str, object, object]]:
    return list(
        CustomerAssignment.objects.order_by("-valid_from").values_list(
            "partner__partner_number", "valid_from", "valid_to"
        )
    )


def test_adding_a_customer_in_the_admin_starts_its_history(
    personas: Personas, staff_client: Client
) -> None:
    response = staff_client.post(
        "/admin/contracts/customer/add/", customer_form(personas.partner_a.pk)
    )

    assert response.status_code == 302
    assert Customer.objects.get().sector == "public_authority"
    assert history() == [("A-1000", TODAY, None)]


def test_choosing_another_partner_in_the_admin_moves_the_customer_today(
    personas: Personas, staff_client: Client
) -> None:
    customer = customer_of(personas.partner_a, customer_number="K-1")

    response = staff_client.post(
        f"/admin/contracts/customer/{customer.pk}/change/",
        customer_form(personas.partner_b.pk, spans=1),
    )

    assert response.status_code == 302
    assert history() == [("B-2000", TODAY, None), ("A-1000", LONG_AGO, TODAY)]


def test_the_contract_page_shows_the_state_fields_read_only(
    personas: Personas, staff_client: Client
) -> None:
    contract = contract_of(customer_of(personas.partner_a))

    response = staff_client.get(f"/admin/contracts/contract/{contract.pk}/change/")

    assert response.status_code == 200
    form_fields = set(response.context["adminform"].form.fields)
    assert form_fields == {
        "contract_number",
        "customer",
        "partner",
        "product",
        "seats",
        "start_date",
    }
