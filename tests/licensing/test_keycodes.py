"""Keycodes: the format catches every typo, the MAC every forgery, the database holds no code."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

import pytest
from django.core import serializers
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from channeldesk.contracts.models import ContractStatus
from channeldesk.licensing.keycodes import (
    ALPHABET,
    KeycodeFormatError,
    keycode_compose,
    keycode_normalise,
    keycode_parse,
    mac_valid,
)
from channeldesk.licensing.models import Keycode, KeycodeStatus
from channeldesk.licensing.services import (
    LicensingError,
    keycode_check,
    keycode_issue,
    keycode_revoke,
    keycode_rotate,
    keycodes_follow_renewals,
)
from tests.licensing.factories import enterprise_contract, keycode_rows

SECRET = b"s" * 32
codes = st.builds(
    lambda key_id, serial: keycode_compose(key_id=key_id, serial=serial, secret=SECRET),
    st.integers(0, 1023),
    st.integers(0, 2**50 - 1),
)


def _symbols(code: str) -> str:
    return code.replace("-", "")


@given(code=codes, position=st.integers(0, 24), replacement=st.sampled_from(ALPHABET))
def test_every_single_symbol_substitution_is_a_typo(
    code: str, position: int, replacement: str
) -> None:
    symbols = _symbols(code)
    if symbols[position] == replacement:
        return
    typo = symbols[:position] + replacement + symbols[position + 1 :]
    with pytest.raises(KeycodeFormatError) as raised:
        keycode_parse(typo)
    assert raised.value.reason == "typo"


@given(code=codes, position=st.integers(0, 23))
def test_every_adjacent_transposition_is_a_typo(code: str, position: int) -> None:
    symbols = _symbols(code)
    if symbols[position] == symbols[position + 1]:
        return
    swapped = (
        symbols[:position] + symbols[position + 1] + symbols[position] + symbols[position + 2 :]
    )
    with pytest.raises(KeycodeFormatError) as raised:
        keycode_parse(swapped)
    assert raised.value.reason == "typo"


def test_all_typos_of_one_code_exhaustively() -> None:
    symbols = _symbols(keycode_compose(key_id=7, serial=123_456_789, secret=SECRET))
    variants = [
        symbols[:i] + c + symbols[i + 1 :] for i in range(25) for c in ALPHABET if c != symbols[i]
    ] + [
        symbols[:i] + symbols[i + 1] + symbols[i] + symbols[i + 2 :]
        for i in range(24)
        if symbols[i] != symbols[i + 1]
    ]
    undetected = []
    for variant in variants:
        try:
            keycode_parse(variant)
            undetected.append(variant)
        except KeycodeFormatError:
            pass
    assert len(variants) > 25 * 31
    assert undetected == []


@given(code=codes)
@hypothesis_settings(max_examples=50)
def test_a_code_reads_back_however_it_is_typed(code: str) -> None:
    sloppy = " ".join(_symbols(code).lower()).replace("1", "l").replace("0", "o")
    parsed = keycode_parse(sloppy)
    assert mac_valid(parsed, secret=SECRET)
    assert keycode_normalise(sloppy) == code


def test_the_format_is_five_groups_of_five_crockford_symbols() -> None:
    code = keycode_compose(key_id=1, serial=5, secret=SECRET)
    groups = code.split("-")
    assert [len(group) for group in groups] == [5] * 5
    assert set("".join(groups)) <= set(ALPHABET)
    assert not set("ILOU") & set(code)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "ABC",
        "U" * 25,
        "10100-003NQ-K8NR7-2627C-1H0H",
        "10100-003NQ-K8NR7-2627C-1H0H0-1",
        "\u0661" * 25,  # Arabic-Indic digits, which int() would take
    ],
)
def test_malformed_text_is_a_typo(text: str) -> None:
    with pytest.raises(KeycodeFormatError) as raised:
        keycode_parse(text)
    assert raised.value.reason == "typo"


@given(serial=st.integers(0, 2**50 - 1), mac_flip=st.integers(0, 54))
@hypothesis_settings(max_examples=50)
def test_a_tampered_mac_with_a_fixed_check_symbol_is_refused(serial: int, mac_flip: int) -> None:
    """Someone who knows the format can recompute the check symbol, not the MAC."""
    from channeldesk.licensing import keycodes

    parsed = keycode_parse(keycode_compose(key_id=1, serial=serial, secret=SECRET))
    forged = parsed._replace(mac=parsed.mac ^ (1 << mac_flip))
    assert not mac_valid(forged, secret=SECRET)
    assert keycodes.check_symbol_value(0) == 0


# --- With the database -------------------------------------------------------------------------


def test_a_random_code_is_unknown(db: None) -> None:
    for _ in range(20):
        code = keycode_compose(key_id=1, serial=secrets.randbelow(2**50), secret=b"x" * 32)
        assert keycode_check(text=code).reason == "unknown"


def test_issued_code_is_valid_typed_sloppily(keycode: Any) -> None:
    check = keycode_check(text=keycode.code.lower().replace("-", " "), today=dt.date(2026, 11, 27))
    assert check.valid
    assert check.reason == ""
    assert check.keycode == keycode.keycode


def test_a_typo_is_reported_before_any_query(keycode: Any, django_assert_num_queries: Any) -> None:
    symbols = _symbols(keycode.code)
    # Swap the first two neighbours that differ (swapping equal ones is no typo at all).
    at = next(i for i in range(3, len(symbols) - 1) if symbols[i] != symbols[i + 1])
    typo = symbols[:at] + symbols[at + 1] + symbols[at] + symbols[at + 2 :]
    with django_assert_num_queries(0):
        assert keycode_check(text=typo).reason == "typo"


def test_code_of_an_unissued_serial_with_the_right_key_is_unknown(keycode: Any) -> None:
    code = keycode_compose(key_id=1, serial=(keycode.keycode.serial + 1) % 2**50, secret=b"1" * 32)
    assert keycode_check(text=code).reason == "unknown"


def test_code_of_another_key_id_is_other_key(keycode: Any, settings: Any) -> None:
    foreign = keycode_compose(key_id=9, serial=keycode.keycode.serial, secret=b"9" * 32)
    assert keycode_check(text=foreign).reason == "other_key"
    settings.LICENSING_KEYCODE_RETIRED_KEY_IDS = [1]
    settings.LICENSING_KEYCODE_KEY_ID = 2
    assert keycode_check(text=keycode.code).reason == "other_key"


def test_code_made_with_another_secret_under_our_key_id_is_unknown(keycode: Any) -> None:
    forged = keycode_compose(key_id=1, serial=keycode.keycode.serial, secret=b"z" * 32)
    assert keycode_check(text=forged).reason == "unknown"


def test_revoked_code_is_revoked(keycode: Any) -> None:
    keycode_revoke(keycode=keycode.keycode, reason="leaked")
    assert keycode_check(text=keycode.code).reason == "revoked"
    with pytest.raises(LicensingError) as raised:
        keycode_revoke(keycode=keycode.keycode, reason="again")
    assert raised.value.code == "already_revoked"


def test_ended_contracts(personas: Any) -> None:
    running = enterprise_contract(personas.partner_a, number="V-RUN")
    code = keycode_issue(contract=running).code
    assert keycode_check(text=code, today=dt.date(2027, 3, 31)).valid
    assert keycode_check(text=code, today=dt.date(2027, 4, 1)).reason == "expired"
    running.status = ContractStatus.CANCELLED
    running.save()
    assert keycode_check(text=code, today=dt.date(2027, 3, 31)).valid
    assert keycode_check(text=code, today=dt.date(2027, 4, 1)).reason == "contract_ended"


def test_one_active_keycode_per_contract(contract: Any, keycode: Any) -> None:
    before = keycode_rows()
    with pytest.raises(LicensingError) as raised:
        keycode_issue(contract=contract)
    assert raised.value.code == "keycode_exists"
    assert keycode_rows() == before


def test_service_contracts_get_no_keycode(personas: Any) -> None:
    from channeldesk.catalog.models import ProductKind
    from tests.factories import ProductFactory

    service = ProductFactory(sku="SVC-1", kind=ProductKind.SERVICE)
    contract = enterprise_contract(personas.partner_a, number="V-SVC", product=service)
    with pytest.raises(LicensingError) as raised:
        keycode_issue(contract=contract)
    assert raised.value.code == "not_enterprise"
    assert keycode_rows() == []


def test_rotation_revokes_the_old_code_and_moves_the_installations(keycode: Any) -> None:
    from channeldesk.licensing.models import Installation

    installation = Installation.objects.create(
        keycode=keycode.keycode,
        fingerprint="ab" * 32,
        installation_uuid="00000000-0000-0000-0000-000000000001",
        first_seen_on=dt.date(2026, 11, 1),
        last_seen_on=dt.date(2026, 11, 1),
        last_seen_at=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    rotated = keycode_rotate(keycode=keycode.keycode, reason="posted on a forum")
    assert rotated.code != keycode.code
    assert keycode_check(text=keycode.code).reason == "revoked"
    assert keycode_check(text=rotated.code, today=dt.date(2026, 11, 27)).valid
    assert rotated.keycode.replaces == keycode.keycode
    installation.refresh_from_db()
    assert installation.keycode == rotated.keycode


def test_the_keycode_follows_a_renewal_once_it_has_started(contract: Any, keycode: Any) -> None:
    from channeldesk.contracts.services import contract_renew

    follow_up = contract_renew(
        contract=contract, contract_number="V-1-2", end_date=dt.date(2028, 3, 31), seats=40
    )
    assert keycode_check(text=keycode.code, today=dt.date(2027, 3, 31)).contract == contract
    check = keycode_check(text=keycode.code, today=dt.date(2027, 4, 1))
    assert check.valid
    assert check.contract == follow_up
    assert keycodes_follow_renewals(today=dt.date(2027, 3, 31)) == 0
    assert keycodes_follow_renewals(today=dt.date(2027, 4, 1)) == 1
    assert keycodes_follow_renewals(today=dt.date(2027, 4, 1)) == 0
    assert Keycode.objects.get().contract == follow_up
    with pytest.raises(LicensingError):
        keycode_issue(contract=follow_up)


def test_a_database_dump_yields_no_valid_keycode(keycode: Any, personas: Any) -> None:
    """Everything the database holds about keycodes, in every form a dump has it, contains no
    code and no MAC; the code needs the secret, which is not in the database."""
    other = keycode_issue(contract=enterprise_contract(personas.partner_b, number="V-2"))
    dump = serializers.serialize("json", Keycode.objects.all())
    rows = json.dumps(keycode_rows(), default=str)
    for issued_code in (keycode.code, other.code):
        for text in (dump, rows):
            assert issued_code not in text
            assert issued_code.replace("-", "") not in text
            assert str(keycode_parse(issued_code).mac) not in text
    # What the dump does hold (key id and serial) makes a code only with the secret.
    for row in keycode_rows():
        guessed = keycode_compose(key_id=row["key_id"], serial=row["serial"], secret=b"\0" * 32)
        assert keycode_check(text=guessed).reason == "unknown"
    assert {row["status"] for row in keycode_rows()} == {KeycodeStatus.ACTIVE}
