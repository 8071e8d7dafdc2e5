"""The machine-readable documents of licensing, the same for the API and `channeldesk keycodes`."""

from __future__ import annotations

from typing import Any

from channeldesk.licensing.models import Keycode


def keycode_report(keycode: Keycode, *, code: str) -> dict[str, Any]:
    """A keycode for vendor staff, with `code` as the face shows it (whole or masked)."""
    return {
        "code": code,
        "contract_number": keycode.contract.contract_number,
        "key_id": keycode.key_id,
        "status": keycode.status,
        "issued_at": keycode.issued_at.isoformat(),
        "revoked_at": keycode.revoked_at.isoformat() if keycode.revoked_at else None,
        "revocation_reason": keycode.revocation_reason,
    }
