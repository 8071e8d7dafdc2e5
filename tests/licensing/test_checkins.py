"""Installations check in: signed activation answers, heartbeat batches, throttling."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.utils import timezone
from nacl.signing import VerifyKey

from channeldesk.licensing.ingest import heartbeats_ingest
from channeldesk.licensing.keys import key_material
from channeldesk.licensing.models import (
    Heartbeat,
    Installation,
    InstallationState,
    LicensingPolicy,
)
from channeldesk.licensing.services import (
    installation_retire,
    installations_mark_stale,
    keycode_revoke,
)
from tests.licensing.factories import enterprise_contract, issued

ACTIVATE = "/api/v1/checkins/activate"
HEARTBEATS = "/api/v1/checkins/heartbeats"
FINGERPRINT = "a1" * 32
NOW = dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC)


def _activation(code: str, **fields: Any) -> dict[str, Any]:
    return {
        "keycode": code,
        "installation_id": str(uuid.uuid4()),
        "fingerprint": FINGERPRINT,
        "hostname_hash": "b2" * 32,
        "product_version": "12.5.1",
        "nonce": "n-1",
        **fields,
    }


def _verified(token: str) -> dict[str, Any]:
    """The answer verified with PyNaCl, independently of the server's code."""
    _prefix, body, signature = token.split(".")
    decode = lambda text: base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))  # noqa: E731
    key = VerifyKey(base64.b64decode(key_material().public_key_base64))
    key.verify(decode(body), decode(signature))
    content: dict[str, Any] = json.loads(decode(body))
    return content


def _state() -> dict[str, list[dict[str, Any]]]:
    return {
        model.__name__: list(model.objects.order_by("pk").values())
        for model in apps.get_app_config("licensing").get_models()
    }


# --- Activation ---------------------------------------------------------------------------------


def test_activation_answers_valid_signed_and_records_the_machine(
    api_client: Any, keycode: Any
) -> None:
    response = api_client.post(ACTIVATE, _activation(keycode.code.lower()), format="json")
    assert response.status_code == 200
    body = response.json()
    content = _verified(body["token"])
    assert content == body["answer"]
    assert content["valid"] is True
    assert content["reason"] is None
    assert content["licence_state"] == "compliant"
    assert content["updates"] is True
    assert content["nonce"] == "n-1"
    assert "customer" not in json.dumps(content)
    installation = Installation.objects.get()
    assert installation.fingerprint == FINGERPRINT
    assert installation.state == InstallationState.ACTIVE
    assert Heartbeat.objects.count() == 1


def test_a_reinstall_on_the_same_machine_is_the_same_installation(
    api_client: Any, keycode: Any
) -> None:
    for _ in range(3):
        assert (
            api_client.post(ACTIVATE, _activation(keycode.code), format="json").status_code == 200
        )
    assert Installation.objects.count() == 1
    assert Heartbeat.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "reason"),
    [("typo", "typo"), ("revoked", "revoked"), ("unknown", "unknown"), ("expired", "expired")],
)
def test_invalid_activation_says_why_signed_and_records_nothing(
    api_client: Any, keycode: Any, contract: Any, change: str, reason: str
) -> None:
    code = keycode.code
    if change == "typo":
        code = code[:-1] + ("0" if code[-1] != "0" else "1")
    elif change == "revoked":
        keycode_revoke(keycode=keycode.keycode, reason="test")
    elif change == "unknown":
        from channeldesk.licensing.keycodes import keycode_compose

        code = keycode_compose(key_id=1, serial=77, secret=b"1" * 32)
    else:
        contract.end_date = dt.date(2026, 6, 30)
        contract.save()
    before = _state()
    response = api_client.post(ACTIVATE, _activation(code), format="json")
    assert response.status_code == 200
    content = _verified(response.json()["token"])
    assert content["valid"] is False
    assert content["reason"] == reason
    assert _state() == before


def test_malformed_activation_is_400_and_writes_nothing(api_client: Any, keycode: Any) -> None:
    before = _state()
    for body in (
        _activation(keycode.code, installation_id="not-a-uuid"),
        _activation(keycode.code, fingerprint="xyz"),
        {"keycode": keycode.code},
    ):
        response = api_client.post(ACTIVATE, body, format="json")
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid"
    assert _state() == before


def test_activation_is_throttled_per_keycode(api_client: Any, keycode: Any, settings: Any) -> None:
    settings.LICENSING_ACTIVATE_RATE_PER_KEYCODE = "3/hour"
    for _ in range(3):
        assert (
            api_client.post(ACTIVATE, _activation(keycode.code), format="json").status_code == 200
        )
    throttled = api_client.post(ACTIVATE, _activation(keycode.code.replace("-", "")), format="json")
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "throttled"
    assert "Retry-After" in throttled
    # Another keycode from the same address still gets through.
    other = issued(enterprise_contract(keycode.keycode.contract.partner, number="V-OTHER"))
    assert api_client.post(ACTIVATE, _activation(other.code), format="json").status_code == 200


def test_activation_is_throttled_per_address(api_client: Any, keycode: Any, settings: Any) -> None:
    settings.LICENSING_ACTIVATE_RATE_PER_ADDRESS = "2/hour"
    assert api_client.post(ACTIVATE, _activation("typo"), format="json").status_code == 200
    assert api_client.post(ACTIVATE, _activation(keycode.code), format="json").status_code == 200
    assert api_client.post(ACTIVATE, _activation(keycode.code), format="json").status_code == 429
    other_address = api_client.post(
        ACTIVATE, _activation(keycode.code), format="json", REMOTE_ADDR="10.0.0.9"
    )
    assert other_address.status_code == 200


def test_under_licensing_blocks_only_new_machines_where_the_policy_says(
    api_client: Any, keycode: Any, contract: Any
) -> None:
    from channeldesk.licensing.models import ComplianceRecord

    api_client.post(ACTIVATE, _activation(keycode.code), format="json")
    ComplianceRecord.objects.create(
        contract=contract,
        day=timezone.localdate(),
        seats=20,
        active_installations=40,
        peak_installations=40,
        tolerance=5,
        over_since=timezone.localdate(),
        status="heavily_under_licensed",
    )
    new_machine = _activation(keycode.code, fingerprint="c3" * 32)
    allowed = _verified(api_client.post(ACTIVATE, new_machine, format="json").json()["token"])
    assert allowed["valid"] is True
    assert allowed["licence_state"] == "heavily_under_licensed"
    LicensingPolicy.objects.create(product=contract.product, block_new_activations=True)
    blocked = _verified(
        api_client.post(
            ACTIVATE, _activation(keycode.code, fingerprint="d4" * 32), format="json"
        ).json()["token"]
    )
    assert blocked["valid"] is False
    assert blocked["reason"] == "activation_blocked"
    known = _verified(
        api_client.post(ACTIVATE, _activation(keycode.code), format="json").json()["token"]
    )
    assert known["valid"] is True  # a known machine keeps its protection
    assert Installation.objects.count() == 2


# --- Heartbeats ---------------------------------------------------------------------------------


def _beat(code: str, number: int, *, seen_at: dt.datetime = NOW, **fields: Any) -> dict[str, Any]:
    return {
        "keycode": code,
        "installation_id": str(uuid.UUID(int=number)),
        "fingerprint": f"{number:064x}",
        "product_version": "12.5.1",
        "seen_at": seen_at.isoformat(),
        **fields,
    }


def test_a_batch_with_duplicates_unknown_and_malformed_items(keycode: Any, personas: Any) -> None:
    revoked = issued(enterprise_contract(personas.partner_b, number="V-REV"))
    keycode_revoke(keycode=revoked.keycode, reason="test")
    from channeldesk.licensing.keycodes import keycode_compose

    unknown = keycode_compose(key_id=1, serial=42, secret=b"1" * 32)
    code = keycode.code
    items = [
        _beat(code, 1),
        _beat(code, 2),
        _beat(code, 1),  # the same heartbeat again
        _beat(code, 1, seen_at=NOW + dt.timedelta(hours=2)),  # same machine, same day
        _beat(unknown, 3),
        _beat(revoked.code, 4),
        _beat(code[:-1] + ("0" if code[-1] != "0" else "1"), 5),
        _beat(code, 6, fingerprint="no-hash"),
        _beat(code, 7, installation_id="nope"),
        _beat(code, 8, seen_at=NOW + dt.timedelta(days=1)),
        _beat(code, 9, seen_at=NOW - dt.timedelta(days=40)),
        {"seen_at": "x"},
        "not an object",
        _beat(code, 10, seen_at=NOW - dt.timedelta(days=1)),
    ]
    result = heartbeats_ingest(items=items, now=NOW + dt.timedelta(hours=3))
    assert result.statuses == [
        "accepted",
        "accepted",
        "duplicate",
        "duplicate",
        "unknown_keycode",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
    ]
    assert result.reasons[5:13] == [
        "revoked",
        "typo",
        "fingerprint_invalid",
        "installation_id_or_seen_at_invalid",
        "seen_at_in_the_future",
        "seen_at_too_old",
        "keycode_missing",
        "not_an_object",
    ]
    assert result.counts == {"accepted": 3, "duplicate": 2, "unknown_keycode": 1, "rejected": 8}
    machines = {row.fingerprint: row for row in Installation.objects.all()}
    assert set(machines) == {f"{1:064x}", f"{2:064x}", f"{10:064x}"}
    assert machines[f"{1:064x}"].last_seen_at == NOW + dt.timedelta(hours=2)
    assert Heartbeat.objects.count() == 3


def test_the_same_batch_twice_counts_once(keycode: Any) -> None:
    items = [_beat(keycode.code, number) for number in range(1, 51)]
    first = heartbeats_ingest(items=items, now=NOW)
    state = _state()
    second = heartbeats_ingest(items=items, now=NOW)
    assert first.counts == {"accepted": 50}
    assert second.counts == {"duplicate": 50}
    assert _state() == state


def test_heartbeats_reactivate_stale_but_not_retired_machines(keycode: Any) -> None:
    heartbeats_ingest(items=[_beat(keycode.code, 1), _beat(keycode.code, 2)], now=NOW)
    assert installations_mark_stale(today=dt.date(2027, 1, 15)) == 2
    assert installations_mark_stale(today=dt.date(2027, 1, 15)) == 0
    retired = Installation.objects.get(fingerprint=f"{2:064x}")
    installation_retire(installation=retired, now=NOW + dt.timedelta(days=2))
    later = NOW + dt.timedelta(days=1)
    heartbeats_ingest(
        items=[_beat(keycode.code, 1, seen_at=later), _beat(keycode.code, 2, seen_at=later)],
        now=later,
    )
    states = dict(Installation.objects.values_list("fingerprint", "state"))
    assert states == {f"{1:064x}": "active", f"{2:064x}": "retired"}


def test_heartbeat_endpoint_answers_per_item(api_client: Any, keycode: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    items = [_beat(keycode.code, 1, seen_at=now), _beat(keycode.code, 1, seen_at=now), {"bad": 1}]
    response = api_client.post(HEARTBEATS, {"heartbeats": items}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert [item["status"] for item in body["results"]] == ["accepted", "duplicate", "rejected"]
    assert body["results"][2]["reason"] == "keycode_missing"


def test_heartbeat_batch_limits(api_client: Any, keycode: Any, settings: Any) -> None:
    settings.LICENSING_HEARTBEAT_BATCH_MAX = 3
    before = _state()
    too_many = [_beat(keycode.code, number) for number in range(4)]
    response = api_client.post(HEARTBEATS, {"heartbeats": too_many}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "batch_too_large"
    for body in ({}, {"heartbeats": []}, {"heartbeats": "x"}, [1, 2]):
        assert api_client.post(HEARTBEATS, body, format="json").status_code == 400
    assert _state() == before


def test_heartbeats_are_throttled_per_address(api_client: Any, keycode: Any, settings: Any) -> None:
    settings.LICENSING_HEARTBEAT_RATE_PER_ADDRESS = "2/minute"
    body = {"heartbeats": [_beat(keycode.code, 1, seen_at=dt.datetime.now(dt.UTC))]}
    assert api_client.post(HEARTBEATS, body, format="json").status_code == 200
    assert api_client.post(HEARTBEATS, body, format="json").status_code == 200
    assert api_client.post(HEARTBEATS, body, format="json").status_code == 429


def test_awkward_product_versions_are_stored_exactly(keycode: Any) -> None:
    version = 'v1,"2"\\{x} ä'
    result = heartbeats_ingest(items=[_beat(keycode.code, 1, product_version=version)], now=NOW)
    assert result.counts == {"accepted": 1}
    assert Installation.objects.get().product_version == version
    assert Heartbeat.objects.get().product_version == version
