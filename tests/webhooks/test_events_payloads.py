"""The payload catalogue: a model for every event type, published open, validated strictly."""

from __future__ import annotations

import datetime as dt

import pydantic
import pytest

from channeldesk.webhooks.events import EVENT_TYPES, PAYLOAD_VERSION
from channeldesk.webhooks.payloads import PAYLOADS, Envelope, PartnerRef, json_instant


def test_every_event_type_has_a_payload_model() -> None:
    assert set(PAYLOADS) == set(EVENT_TYPES)


@pytest.mark.parametrize("type", sorted(PAYLOADS))
def test_the_published_schema_leaves_objects_open_for_new_fields(type: str) -> None:
    schema = PAYLOADS[type].model_json_schema()

    assert "additionalProperties" not in schema
    assert all(
        definition.get("additionalProperties", True) is not False
        for definition in schema.get("$defs", {}).values()
    )


def test_validation_refuses_a_field_the_schema_does_not_name() -> None:
    with pytest.raises(pydantic.ValidationError):
        PartnerRef.model_validate(
            {"id": 1, "partner_number": "P-1", "name": "A", "email": "a@example.com"}
        )


def test_the_envelope_carries_id_type_version_timestamp_sequence_and_data() -> None:
    envelope = Envelope.model_validate(
        {
            "id": "evt_1",
            "type": "contract.renewed",
            "version": PAYLOAD_VERSION,
            "timestamp": "2026-11-04T11:00:00+00:00",
            "sequence": 7,
            "data": {"partner": {"id": 1}},
        }
    )

    assert (envelope.version, envelope.sequence) == (1, 7)
    assert envelope.timestamp == dt.datetime(2026, 11, 4, 11, tzinfo=dt.UTC)


def test_instants_are_written_in_utc() -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))

    assert json_instant(dt.datetime(2026, 11, 4, 12, tzinfo=berlin)) == "2026-11-04T11:00:00+00:00"
