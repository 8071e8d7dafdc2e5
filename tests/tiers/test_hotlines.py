"""Support hotlines per tier (R8, R9): validated numbers, the partner's line, call routing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from channeldesk.core.models import TokenScope
from channeldesk.core.tokens import service_token_create
from channeldesk.partners.models import Contact
from channeldesk.tiers.hotlines import (
    CallerNumberInvalid,
    caller_numbers_refresh,
    hotline_for_partner,
    phone_display,
    support_route,
)
from channeldesk.tiers.models import Tier, validate_e164
from channeldesk.tiers.selectors import policy_get
from channeldesk.tiers.services import TierError, tier_policy_publish
from tests.factories import PartnerFactory
from tests.tiers.factories import AS_OF, previous_tier

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 7, 1)


@pytest.mark.parametrize("number", ["+493012345610", "+4989123456780", "+43158058"])
def test_valid_e164_numbers_are_accepted(number: str) -> None:
    validate_e164(number)


@pytest.mark.parametrize("number", ["030 12345610", "+49 30 12345610", "+49123", "+4930abc", ""])
def test_other_forms_and_invalid_numbers_are_refused(number: str) -> None:
    with pytest.raises(ValidationError, match=r"E\.164"):
        validate_e164(number)


def test_numbers_are_national_in_german_and_international_otherwise() -> None:
    assert phone_display("+493012345610", language="de") == "030 12345610"
    assert phone_display("+493012345610", language="en") == "+49 30 12345610"
    assert phone_display("+43158058", language="de") == "+43 1 58058"


def test_a_partner_calls_its_tiers_line_and_an_untiered_one_the_entry_line() -> None:
    gold, untiered = PartnerFactory(), PartnerFactory()
    previous_tier(gold, "gold")

    line = hotline_for_partner(partner=gold, on=TODAY)
    entry = hotline_for_partner(partner=untiered, on=TODAY)

    assert line is not None
    assert entry is not None
    assert (line.tier_code, line.phone, line.priority, line.callback_minutes) == (
        "gold",
        "+493012345610",
        1,
        30,
    )
    assert (entry.tier_code, entry.phone, entry.priority) == ("silver", "+493012345620", 2)
    assert line.hours("de") == "Mo–Fr 7–20 Uhr, Sa 9–14 Uhr"


def test_a_call_is_routed_by_partner_number_or_by_the_callers_number() -> None:
    partner = PartnerFactory(partner_number="P-1", name="Alpha", phone="+49 89 2345678")
    other = PartnerFactory(partner_number="P-2", phone="")
    Contact.objects.create(partner=other, name="Otto", phone="0711 1234567")
    previous_tier(partner, "gold")
    previous_tier(other, "silver")
    assert caller_numbers_refresh() == 2

    by_number = support_route(on=TODAY, partner_number="P-1")
    by_e164 = support_route(on=TODAY, caller="+49892345678")
    by_national = support_route(on=TODAY, caller="089 2345678")
    by_contact = support_route(on=TODAY, caller="+497111234567")

    assert by_number.as_dict() == {
        "known": True,
        "matched_by": "partner_number",
        "partner": {"partner_number": "P-1", "name": "Alpha"},
        "tier": {"code": "gold", "name_de": "Gold-Partner", "name_en": "Gold Partner"},
        "hotline": {
            "number": "+493012345610",
            "display_de": "030 12345610",
            "display_en": "+49 30 12345610",
            "hours_de": "Mo–Fr 7–20 Uhr, Sa 9–14 Uhr",
            "hours_en": "Mon–Fri 07:00–20:00, Sat 09:00–14:00",
            "callback_minutes": 30,
        },
        "priority": 1,
    }
    assert (by_e164.partner_number, by_e164.matched_by) == ("P-1", "caller")
    assert by_national.partner_number == "P-1"
    assert (by_contact.partner_number, by_contact.tier) == ("P-2", "silver")


def test_a_number_typed_into_the_register_routes_after_the_refresh() -> None:
    partner = PartnerFactory(phone="089/2345678")
    caller_numbers_refresh()
    partner.phone = "+49 40 1234567"
    partner.save()

    before = support_route(on=TODAY, caller="+49401234567")
    caller_numbers_refresh()
    after = support_route(on=TODAY, caller="+49401234567")
    old = support_route(on=TODAY, caller="+49892345678")

    assert (before.partner_number, after.partner_number) == (None, partner.partner_number)
    assert old.partner_number is None


def test_an_unknown_caller_gets_the_entry_tiers_line() -> None:
    route = support_route(on=TODAY, caller="+4930999999")

    assert route.as_dict()["partner"] is None
    assert route.tier is None
    assert route.hotline is not None
    assert route.hotline.phone == "+493012345620"


def test_a_caller_number_that_is_no_number_is_refused() -> None:
    with pytest.raises(CallerNumberInvalid):
        support_route(on=TODAY, caller="hello")


def test_under_the_new_policy_the_entry_line_is_the_authorised_partners() -> None:
    tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)

    route = support_route(on=AS_OF, caller="+4930999999")

    assert route.hotline is not None
    assert route.hotline.tier_code == "authorized"


def test_a_policy_with_a_tier_without_hotline_cannot_be_published() -> None:
    Tier.objects.filter(policy__code="default", code="silver").update(hotline_phone="")

    with pytest.raises(TierError, match="Tier 'silver' has no support hotline"):
        tier_policy_publish(policy=policy_get(reference="default"), effective_from=AS_OF)


def test_the_phone_system_routes_through_the_api_with_its_token() -> None:
    partner = PartnerFactory(partner_number="P-1", phone="+49 89 2345678")
    previous_tier(partner, "gold")
    caller_numbers_refresh()
    client = APIClient()
    secret = service_token_create(name="PBX", scope=TokenScope.SUPPORT).secret
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")

    known = client.get("/api/v1/support/route/", {"caller": "+49892345678"})
    invalid = client.get("/api/v1/support/route/", {"caller": "hello"})

    assert known.status_code == 200
    assert (known.json()["partner"]["partner_number"], known.json()["priority"]) == ("P-1", 1)
    assert invalid.status_code == 400
    assert invalid.json()["error"]["details"][0]["field"] == "caller"
