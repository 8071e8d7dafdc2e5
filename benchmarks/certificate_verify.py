"""`certificate_verify`: licence certificates verified per second with the documented verifier
(`licensing.certificates.token_verify`: split, base64url, Ed25519, JSON, kind check), and the
ratio to the bare Ed25519 verify of `cryptography` over the same bytes in the same run.

Target (issue 4, section 5): ratio ≥ 0.8. No database: the certificates are signed in-process
with the same code the service uses.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import time

from common import emit, peak_rss_mib
from licensing_support import keys_environment

COUNTS = {"small": 2_000, "full": 20_000}
RUNS = {"small": 3, "full": 5}
TARGET_RATIO = 0.8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", choices=sorted(COUNTS), default="small")
    parser.add_argument("--runs", type=int)
    options = parser.parse_args()
    keys_environment()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
    import django

    django.setup()
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from channeldesk.licensing.certificates import CERTIFICATE_PREFIX, token_sign, token_verify
    from channeldesk.licensing.keys import key_material

    keys = key_material()
    count = COUNTS[options.scale]
    runs = options.runs or RUNS[options.scale]
    tokens = [
        token_sign(
            prefix=CERTIFICATE_PREFIX,
            content={
                "kind": "licence-certificate",
                "format": 1,
                "contract": f"V-{number:08d}",
                "customer": {"number": f"K-{number}", "name": "Landratsamt Musterstadt"},
                "product": {"sku": "EN-EP-STD", "name": "Endpoint Protection"},
                "seats": 250,
                "valid_from": "2026-11-27",
                "valid_until": "2027-02-25",
                "key_id": keys.signing_key_id,
                "issued_at": "2026-11-27T09:00:00+00:00",
            },
            key=keys.signing_key,
        )
        for number in range(count)
    ]
    public = keys.public_key_base64
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public))

    def decoded(token: str) -> tuple[bytes, bytes]:
        _prefix, body, signature = token.split(".")
        pad = lambda text: text + "=" * (-len(text) % 4)  # noqa: E731
        return base64.urlsafe_b64decode(pad(signature)), base64.urlsafe_b64decode(pad(body))

    raw = [decoded(token) for token in tokens]
    verified, bare = [], []
    # Interleaved in slices of 100, so that both see the same share of a busy machine.
    for _ in range(runs):
        verify_seconds = bare_seconds = 0.0
        for start_index in range(0, count, 100):
            start = time.perf_counter()
            for token in tokens[start_index : start_index + 100]:
                token_verify(token, public_key=public)
            verify_seconds += time.perf_counter() - start
            start = time.perf_counter()
            for signature, body in raw[start_index : start_index + 100]:
                key.verify(signature, body)
            bare_seconds += time.perf_counter() - start
        verified.append(count / verify_seconds)
        bare.append(count / bare_seconds)
    rate, bare_rate = statistics.median(verified), statistics.median(bare)
    emit(
        "certificate_verify.per_second",
        rate,
        "certificates/s",
        baseline=round(bare_rate, 1),
        baseline_name="bare Ed25519PublicKey.verify(signature, body) of cryptography",
        ratio=round(rate / bare_rate, 3),
        target=f">= {TARGET_RATIO}",
        meets_target=rate / bare_rate >= TARGET_RATIO,
        certificates=count,
        runs=runs,
        scale=options.scale,
        peak_rss_mib=round(peak_rss_mib(), 1),
    )


if __name__ == "__main__":
    main()
