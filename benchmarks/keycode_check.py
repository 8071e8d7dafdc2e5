"""`keycode_check`: keycodes checked per second in-process (format, check symbol, key, MAC), and
the ratio to the bare HMAC-SHA256 of the same number of messages in the same run.

Target (R12, docs/licensing.md): ratio ≥ 0.25. No database: the check that runs before any lookup
(`licensing.services.keycode_verify_format`) is measured, over distinct codes typed the way
people type them (lower case, spaces instead of dashes).
"""

from __future__ import annotations

import hmac

from common import arguments, emit_rates_compared
from licensing_support import SECRET, django_with_keys

CODES = {"small": 20_000, "full": 200_000}
RUNS = {"small": 3, "full": 5}
TARGET_RATIO = 0.25


def main() -> None:
    options = arguments(__doc__ or "", CODES)
    django_with_keys()
    from channeldesk.licensing.keycodes import MAC_DOMAIN, keycode_compose
    from channeldesk.licensing.services import keycode_verify_format

    count = CODES[options.scale]
    runs = options.runs or RUNS[options.scale]
    codes = [
        keycode_compose(key_id=1, serial=serial * 7919, secret=SECRET).lower().replace("-", " ")
        for serial in range(1, count + 1)
    ]
    messages = [MAC_DOMAIN + (serial * 7919).to_bytes(9, "big") for serial in range(1, count + 1)]
    assert all(isinstance(keycode_verify_format(code), tuple) for code in codes[:100])

    def check(part: slice) -> None:
        for code in codes[part]:
            keycode_verify_format(code)

    def check_bare(part: slice) -> None:
        for message in messages[part]:
            hmac.digest(SECRET, message, "sha256")

    emit_rates_compared(
        "keycode_check.checks_per_second",
        "checks/s",
        check,
        check_bare,
        count=count,
        step=1_000,
        runs=runs,
        scale=options.scale,
        at_least=TARGET_RATIO,
        baseline_name="bare hmac.digest(secret, message, 'sha256') per code",
        codes=count,
    )


if __name__ == "__main__":
    main()
