"""Licence certificates verify with an independent Ed25519 implementation (PyNaCl); any
changed byte fails; the dependency-free verifier agrees."""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone
from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey

from channeldesk.licensing.certificates import (
    ANSWER_PREFIX,
    CERTIFICATE_PREFIX,
    TokenInvalid,
    canonical_json,
    token_verify,
)
from channeldesk.licensing.keys import key_material
from channeldesk.licensing.models import LicenceCertificate
from channeldesk.licensing.services import LicensingError, certificate_issue, keycode_revoke

NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _nacl_verify(token: str, public_key: str) -> dict[str, Any]:
    _prefix, body, signature = token.split(".")
    VerifyKey(base64.b64decode(public_key)).verify(_b64(body), _b64(signature))
    content: dict[str, Any] = json.loads(_b64(body))
    return content


def test_certificate_verifies_with_pynacl(keycode: Any, contract: Any) -> None:
    certificate = certificate_issue(contract=contract, now=NOW)
    content = _nacl_verify(certificate.token, key_material().public_key_base64)
    assert content == certificate.body
    assert content["kind"] == "licence-certificate"
    assert content["contract"] == "V-1"
    assert content["seats"] == 20
    assert content["valid_from"] == "2026-11-27"
    assert content["valid_until"] == "2027-02-25"  # 90 days, before the contract's end
    assert content["key_id"] == "test-key"
    assert _b64(certificate.token.split(".")[1]) == canonical_json(content)


def test_certificate_never_outlives_the_contract(keycode: Any, contract: Any) -> None:
    certificate = certificate_issue(contract=contract, now=dt.datetime(2027, 3, 1, tzinfo=dt.UTC))
    assert certificate.valid_until == dt.date(2027, 3, 31)


def test_every_changed_byte_fails(keycode: Any, contract: Any) -> None:
    certificate = certificate_issue(contract=contract, now=NOW)
    public_key = key_material().public_key_base64
    prefix, body, signature = certificate.token.split(".")
    raw_body, raw_signature = _b64(body), _b64(signature)
    encode = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    for position in range(0, len(raw_body), 7):
        changed = bytearray(raw_body)
        changed[position] ^= 0x01
        token = f"{prefix}.{encode(bytes(changed))}.{signature}"
        with pytest.raises(BadSignatureError):
            _nacl_verify(token, public_key)
        with pytest.raises(TokenInvalid):
            token_verify(token, public_key=public_key)
    for position in range(len(raw_signature)):
        changed = bytearray(raw_signature)
        changed[position] ^= 0x80
        token = f"{prefix}.{body}.{encode(bytes(changed))}"
        with pytest.raises(BadSignatureError):
            _nacl_verify(token, public_key)


def test_the_documented_verifier_accepts_and_refuses(keycode: Any, contract: Any) -> None:
    certificate = certificate_issue(contract=contract, now=NOW)
    public_key = key_material().public_key_base64
    assert token_verify(certificate.token, public_key=public_key) == certificate.body
    other_key = base64.b64encode(bytes(32)).decode()
    with pytest.raises((TokenInvalid, ValueError)):
        token_verify(certificate.token, public_key=other_key)
    # A certificate is not an activation answer, and the other way round.
    with pytest.raises(TokenInvalid):
        token_verify(certificate.token, public_key=public_key, prefix=ANSWER_PREFIX)
    relabelled = ANSWER_PREFIX + certificate.token.removeprefix(CERTIFICATE_PREFIX)
    with pytest.raises(TokenInvalid):
        token_verify(relabelled, public_key=public_key, prefix=ANSWER_PREFIX)
    for broken in ("", "CDLC1", "CDLC1.a.b.c", "CDLC1.!!!.???"):
        with pytest.raises(TokenInvalid):
            token_verify(broken, public_key=public_key)


def test_no_certificate_without_an_active_keycode(keycode: Any, contract: Any) -> None:
    keycode_revoke(keycode=keycode.keycode, reason="test")
    with pytest.raises(LicensingError) as raised:
        certificate_issue(contract=contract, now=NOW)
    assert raised.value.code == "no_keycode"
    assert LicenceCertificate.objects.count() == 0


def test_no_certificate_for_an_ended_contract(keycode: Any, contract: Any) -> None:
    with pytest.raises(LicensingError) as raised:
        certificate_issue(contract=contract, now=dt.datetime(2027, 4, 2, tzinfo=dt.UTC))
    assert raised.value.code == "contract_ended"
    assert timezone.is_aware(NOW)
