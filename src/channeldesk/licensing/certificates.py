"""Signed licence documents: certificates for offline sites and the answers to activations.

Both are *signed tokens* of one shape, `<prefix>.<body>.<signature>`:

- `body` is the canonical JSON of the content (keys sorted, no spaces, UTF-8), base64url
  without padding; the signature covers exactly these bytes, so a verifier never has to
  re-serialise anything;
- `signature` is the Ed25519 signature of the body bytes, base64url without padding;
- the prefix names the kind (`CDLC1` a licence certificate, `CDLA1` an activation answer), and
  the body repeats it in `"kind"`, so one kind can never be passed off as the other.

`token_verify` at the end of this module is the verifier for product teams: it needs only the
standard library and `cryptography`, and the vendor's public key (`GET
/api/v1/licensing/public-key`, base64 of the 32 raw bytes). docs/licensing.md prints it.
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import lru_cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from channeldesk.core.errors import DomainError

CERTIFICATE_PREFIX = "CDLC1"
ANSWER_PREFIX = "CDLA1"
KINDS = {CERTIFICATE_PREFIX: "licence-certificate", ANSWER_PREFIX: "activation-answer"}


def canonical_json(content: dict[str, Any]) -> bytes:
    """The one serialisation that is signed: sorted keys, no whitespace, UTF-8."""
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def token_sign(*, prefix: str, content: dict[str, Any], key: Ed25519PrivateKey) -> str:
    """A signed token of `content` (which must carry the prefix's kind)."""
    if content.get("kind") != KINDS[prefix]:
        raise ValueError(f"A {prefix} token must have kind {KINDS[prefix]!r}.")
    body = canonical_json(content)
    return f"{prefix}.{_b64encode(body)}.{_b64encode(key.sign(body))}"


# --- Verification: copy from here into a product (standard library + cryptography) ------------


class TokenInvalid(DomainError):
    """The token is malformed, of another kind, or its signature does not verify."""

    code = "token_invalid"


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise TokenInvalid("not base64url") from error


@lru_cache(maxsize=16)
def _public_key(public_key: str) -> Ed25519PublicKey:
    """The key object, loaded once per key (verifying many certificates in a row is common)."""
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))


def token_verify(token: str, *, public_key: str, prefix: str = CERTIFICATE_PREFIX) -> dict:  # type: ignore[type-arg]
    """The signed content of a ChannelDesk token, or `TokenInvalid`.

    `public_key` is the vendor's Ed25519 public key, base64 of its 32 raw bytes. Check the
    content's `valid_until` (certificates) or `installation_id` (answers) afterwards: the
    signature says who wrote it, not that it still applies.
    """
    parts = token.strip().split(".")
    if len(parts) != 3 or parts[0] != prefix:
        raise TokenInvalid(f"not a {prefix} token")
    body, signature = _b64decode(parts[1]), _b64decode(parts[2])
    key = _public_key(public_key)
    try:
        key.verify(signature, body)
    except InvalidSignature as error:
        raise TokenInvalid("the signature does not verify") from error
    content = json.loads(body)
    if not isinstance(content, dict) or content.get("kind") != KINDS[prefix]:
        raise TokenInvalid("the content is of another kind")
    return content
