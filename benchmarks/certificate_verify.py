"""`certificate_verify`: licence certificates verified per second with the documented verifier
(`licensing.certificates.token_verify`: split, base64url, Ed25519, JSON, kind check), and the
ratio to the bare Ed25519 verify of `cryptography` over the same bytes in the same run.

Target (R12, docs/licensing.md): ratio ≥ 0.8. No database: the certificates are signed in-process
with the same code the service uses.
"""

from __future__ import annotations

import base64

from common import arguments, emit_rates_compared
from licensing_support import django_with_keys

COUNTS = {"small": 2_000, "full": 20_000}
RUNS = {"small": 3, "full": 5}
TARGET_RATIO = 0.8


def main() -> None:
    options = arguments(__doc__ or "", COUNTS)
    django_with_keys()
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

    def verify(part: slice) -> None:
        for token in tokens[part]:
            token_verify(token, public_key=public)

    def verify_bare(part: slice) -> None:
        for signature, body in raw[part]:
            key.verify(signature, body)

    emit_rates_compared(
        "certificate_verify.per_second",
        "certificates/s",
        verify,
        verify_bare,
        count=count,
        step=100,
        runs=runs,
        scale=options.scale,
        at_least=TARGET_RATIO,
        baseline_name="bare Ed25519PublicKey.verify(signature, body) of cryptography",
        certificates=count,
    )


if __name__ == "__main__":
    main()
