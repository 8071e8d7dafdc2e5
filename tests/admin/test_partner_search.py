"""The admin's partner search finds a telephone number of the partner or of one of its contacts,
whatever way it is written (R9: the support desk types what the caller's display shows)."""

from __future__ import annotations

import pytest
from django.test import Client

from channeldesk.partners.models import Contact
from channeldesk.tiers.hotlines import caller_numbers_refresh
from tests.factories import PartnerFactory
from tests.personas import Personas


@pytest.fixture
def numbers(personas: Personas) -> None:
    personas.partner_a.phone = "+49 89 1234567"
    personas.partner_a.save(update_fields=["phone"])
    Contact.objects.create(partner=personas.partner_b, name="Berta Beta", phone="030 98765-43")
    PartnerFactory(partner_number="C-3000", name="Gamma GmbH", phone="+49 40 5555555")
    caller_numbers_refresh()


def _found(client: Client, search: str) -> list[str]:
    response = client.get("/admin/partners/partner/", {"q": search})
    assert response.status_code == 200
    return sorted(partner.partner_number for partner in response.context["cl"].result_list)


@pytest.mark.parametrize(
    "search", ["089 1234567", "+49 (0)89 123 45 67", "0049-89-1234567", "089/1234567"]
)
def test_support_desk_finds_a_partner_by_its_number_in_any_format(
    search: str, numbers: None, support_client: Client
) -> None:
    assert _found(support_client, search) == ["A-1000"]


def test_support_desk_finds_a_partner_by_a_contacts_number(
    numbers: None, support_client: Client
) -> None:
    assert _found(support_client, "+49 30 9876543") == ["B-2000"]


def test_an_unknown_number_finds_nobody_and_names_still_work(
    numbers: None, support_client: Client
) -> None:
    assert _found(support_client, "089 7654321") == []
    assert _found(support_client, "Gamma") == ["C-3000"]
    assert _found(support_client, "A-1000") == ["A-1000"]
