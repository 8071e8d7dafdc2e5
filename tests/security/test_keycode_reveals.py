"""Who sees a whole keycode, and the record of every time someone did (R13; docs/security-admin.md).

The partner who looks after the customer sees it in the portal (it installs the product with
it); vendor staff with `licensing.reveal_keycode` (superusers, channel managers) on its own
admin page; the support desk only masked. Every reveal is a `KeycodeReveal` staff can read.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from channeldesk.licensing.keycodes import keycode_mask
from channeldesk.licensing.models import Keycode, KeycodeReveal, KeycodeStatus, RevealChannel
from channeldesk.licensing.services import keycode_text
from tests.admin.factories import admin_data_build
from tests.personas import Personas, channel_manager_create, sign_in


@pytest.fixture
def keycode(personas: Personas) -> Keycode:
    """Partner A's customer's active keycode (tests/licensing/admin_rows.py), its reveals
    cleared."""
    admin_data_build(personas)
    KeycodeReveal.objects.all().delete()
    return Keycode.objects.select_related("contract").get(status=KeycodeStatus.ACTIVE)


def _client(user: Any) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def _portal_keycode_page(user: Any, keycode: Keycode) -> Any:
    """The portal page of `keycode`'s contract as `user` opens it."""
    return _client(user).get(f"/portal/keycodes/{keycode.contract.contract_number}/")


def _reveals() -> list[tuple[Any, ...]]:
    return list(
        KeycodeReveal.objects.order_by("pk").values_list(
            "keycode_id", "actor__username", "channel", "partner__partner_number"
        )
    )


def test_partner_user_sees_its_customers_keycode_and_the_reveal_is_recorded(
    keycode: Keycode, personas: Personas
) -> None:
    response = _portal_keycode_page(personas.partner_a_user, keycode)

    assert response.status_code == 200
    assert keycode_text(keycode=keycode) in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert _reveals() == [(keycode.pk, "arne", RevealChannel.PORTAL, "A-1000")]


def test_other_partner_gets_no_keycode_and_nothing_is_recorded(
    keycode: Keycode, personas: Personas
) -> None:
    response = _portal_keycode_page(personas.partner_b_user, keycode)

    assert response.status_code == 404
    assert keycode_text(keycode=keycode) not in response.content.decode()
    assert _reveals() == []


def test_support_desk_sees_the_keycode_masked_and_cannot_reveal_it(
    keycode: Keycode, personas: Personas
) -> None:
    client = _client(personas.support)
    code = keycode_text(keycode=keycode)
    reveal_url = f"/admin/licensing/keycode/{keycode.pk}/reveal/"

    page = client.get(f"/admin/licensing/keycode/{keycode.pk}/change/")
    refusals = [client.get(reveal_url), client.post(reveal_url)]

    assert page.status_code == 200
    content = page.content.decode()
    assert keycode_mask(code) in content
    assert code not in content
    assert reveal_url not in content
    assert [response.status_code for response in refusals] == [403, 403]
    assert all(code not in response.content.decode() for response in refusals)
    assert _reveals() == []


def test_channel_manager_reveals_a_keycode_on_its_own_page_and_it_is_recorded(
    keycode: Keycode, personas: Personas
) -> None:
    client = _client(channel_manager_create())
    code = keycode_text(keycode=keycode)
    reveal_url = f"/admin/licensing/keycode/{keycode.pk}/reveal/"

    page = client.get(f"/admin/licensing/keycode/{keycode.pk}/change/")
    asked = client.get(reveal_url)
    asked_reveals = _reveals()
    revealed = client.post(reveal_url)

    assert code not in page.content.decode()
    assert reveal_url in page.content.decode()
    assert asked.status_code == 200
    assert code not in asked.content.decode()
    assert asked_reveals == []
    assert revealed.status_code == 200
    assert code in revealed.content.decode()
    assert "no-store" in revealed["Cache-Control"]
    assert _reveals() == [(keycode.pk, "manager", RevealChannel.ADMIN, None)]


def test_support_desk_reads_who_saw_which_keycode(keycode: Keycode, personas: Personas) -> None:
    _portal_keycode_page(personas.partner_a_user, keycode)

    response = _client(personas.support).get("/admin/licensing/keycodereveal/")

    assert response.status_code == 200
    content = response.content.decode()
    assert keycode.contract.contract_number in content
    assert "arne" in content
    assert keycode_text(keycode=keycode) not in content


def test_the_api_shows_whole_keycodes_to_channel_managers_only_and_records_each(
    keycode: Keycode, personas: Personas
) -> None:
    url = f"/api/v1/licensing/keycodes/{keycode.contract.contract_number}/"
    code = keycode_text(keycode=keycode)

    refused = _client(personas.support).get(url)
    refused_reveals = _reveals()
    shown = _client(channel_manager_create()).get(url)

    assert refused.status_code == 403
    assert code not in refused.content.decode()
    assert refused_reveals == []
    assert shown.status_code == 200
    assert [item["code"] for item in shown.json()] == [code]
    assert _reveals() == [(keycode.pk, "manager", RevealChannel.API, None)]
