"""Builders of the licensing tests: fixed keys, an enterprise contract and its keycode."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from channeldesk.contracts.models import Contract
from channeldesk.licensing.models import Keycode
from channeldesk.licensing.services import IssuedKeycode, keycode_issue
from tests.contracts.factories import contract_of, customer_of

SECRET_1 = base64.b64encode(b"1" * 32).decode()
SECRET_2 = base64.b64encode(b"2" * 32).decode()
SIGNING_SEED = base64.b64encode(bytes(range(32))).decode()
TODAY = dt.date(2026, 11, 27)


def enterprise_contract(
    partner: Any, *, number: str = "V-1", seats: int = 20, **fields: Any
) -> Contract:
    customer = customer_of(partner, customer_number=f"K-{number}", **fields.pop("customer", {}))
    fields.setdefault("start_date", dt.date(2026, 4, 1))
    fields.setdefault("end_date", dt.date(2027, 3, 31))
    return contract_of(customer, contract_number=number, seats=seats, **fields)


def issued(contract: Contract) -> IssuedKeycode:
    return keycode_issue(contract=contract)


def keycode_rows() -> list[dict[str, Any]]:
    return list(Keycode.objects.order_by("pk").values())
