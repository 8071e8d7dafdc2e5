"""`keycode_check`: keycodes checked per second in-process (format, check symbol, key, MAC), and
the ratio to the bare HMAC-SHA256 of the same number of messages in the same run.

Target (issue 4, section 5): ratio ≥ 0.25. No database: the check that runs before any lookup
(`licensing.services.keycode_verify_format`) is measured, over distinct codes typed the way
people type them (lower case, spaces instead of dashes).
"""

from __future__ import annotations

import argparse
import hmac
import os
import statistics
import time

from common import emit, peak_rss_mib
from licensing_support import SECRET, keys_environment

CODES = {"small": 20_000, "full": 200_000}
RUNS = {"small": 3, "full": 5}
TARGET_RATIO = 0.25


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(CODES), default="small")
    parser.add_argument("--runs", type=int)
    options = parser.parse_args()
    keys_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
    import django

    django.setup()
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
    checks, macs = [], []
    # Interleaved in slices of 1,000, so that both see the same share of a busy machine.
    for _ in range(runs):
        check_seconds = mac_seconds = 0.0
        for first in range(0, count, 1_000):
            start = time.perf_counter()
            for code in codes[first : first + 1_000]:
                keycode_verify_format(code)
            check_seconds += time.perf_counter() - start
            start = time.perf_counter()
            for message in messages[first : first + 1_000]:
                hmac.digest(SECRET, message, "sha256")
            mac_seconds += time.perf_counter() - start
        checks.append(count / check_seconds)
        macs.append(count / mac_seconds)
    check_rate, mac_rate = statistics.median(checks), statistics.median(macs)
    emit(
        "keycode_check.checks_per_second",
        check_rate,
        "checks/s",
        baseline=round(mac_rate, 1),
        baseline_name="bare hmac.digest(secret, message, 'sha256') per code",
        ratio=round(check_rate / mac_rate, 3),
        target=f">= {TARGET_RATIO}",
        meets_target=check_rate / mac_rate >= TARGET_RATIO,
        codes=count,
        runs=runs,
        scale=options.scale,
        peak_rss_mib=round(peak_rss_mib(), 1),
    )


if __name__ == "__main__":
    main()
