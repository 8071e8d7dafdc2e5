"""Sealed bodies: e-mails that carry a secret (a password-reset or invitation link, a code).

Whoever can read the outbox must not be able to read such a secret: the support desk reads
messages in the admin, and a reset link for a superuser read there is the superuser. So the
caller names the secrets of a message (`outbox_enqueue(secrets=...)`); the outbox then stores

- the full text and HTML **sealed** (Fernet: AES-128-CBC with HMAC-SHA256), under a key derived
  from `SECRET_KEY` with HKDF for this one purpose, and
- a **redacted copy** in `text_body` / `html_body`, with every secret replaced by `[redacted]`:
  the only copy any page, the admin, the CLI or an export ever shows.

Only the delivery step (`delivery.email_for`) opens a sealed body. Keys from
`SECRET_KEY_FALLBACKS` still open older messages after a rotation; a message whose key is gone
cannot be built and fails permanently (the link in it could no longer be used anyway).
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.conf import settings

if TYPE_CHECKING:
    from cryptography.fernet import Fernet, MultiFernet

REDACTED = "[redacted]"
# HKDF's "info": a key derived for sealing outbox bodies opens nothing else, and no other use
# of SECRET_KEY (sessions, signing, tokens) yields this key.
_PURPOSE = b"channeldesk.notifications.sealed-body.v1"


@dataclass(frozen=True)
class SealedBody:
    text: str
    html: str


def seal(*, text: str, html: str) -> str:
    """The body, encrypted and authenticated under the current SECRET_KEY's sealing key."""
    payload = json.dumps({"text": text, "html": html}, ensure_ascii=False).encode()
    return seal_bytes(payload, purpose=_PURPOSE)


def unseal(sealed: str) -> SealedBody:
    """The body of `seal`; ValueError when no configured key opens it (or it was altered)."""
    body = json.loads(unseal_bytes(sealed, purpose=_PURPOSE))
    return SealedBody(text=body["text"], html=body["html"])


def seal_bytes(payload: bytes, *, purpose: bytes) -> str:
    """`payload` encrypted and authenticated under a key derived from SECRET_KEY for `purpose`
    (HKDF's "info"): each use of sealing (outbox bodies, webhook secrets) has a key of its own."""
    return _keys(purpose).encrypt(payload).decode("ascii")


def unseal_bytes(sealed: str, *, purpose: bytes) -> bytes:
    """The payload of `seal_bytes` under the same `purpose`; ValueError when no configured key
    (SECRET_KEY, SECRET_KEY_FALLBACKS) opens it, or it was altered."""
    from cryptography.fernet import InvalidToken  # noqa: PLC0415 - not loaded at every start (benchmarks/cli_start.py)

    try:
        return _keys(purpose).decrypt(sealed.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        raise ValueError(
            "The sealed value opens with neither SECRET_KEY nor SECRET_KEY_FALLBACKS."
        ) from None


def redact(text: str, *, secrets: Iterable[str]) -> str:
    """`text` with every secret replaced, also in its HTML-escaped and URL-quoted spellings.

    Longer secrets go first, so a link is replaced whole before the token inside it.
    """
    for secret in sorted(set(secrets), key=len, reverse=True):
        for spelling in {secret, html.escape(secret), quote(secret, safe="/:")}:
            text = text.replace(spelling, REDACTED)
    return text


def _keys(purpose: bytes) -> MultiFernet:
    """The current key first (it seals), then the fallbacks' (they only open)."""
    from cryptography.fernet import MultiFernet  # noqa: PLC0415 - not loaded at every start (benchmarks/cli_start.py)

    secret_keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(secret_key, purpose) for secret_key in secret_keys])


def _fernet(secret_key: str, purpose: bytes) -> Fernet:
    from cryptography.fernet import Fernet  # noqa: PLC0415 - not loaded at every start (benchmarks/cli_start.py)
    from cryptography.hazmat.primitives.hashes import SHA256  # noqa: PLC0415 - not loaded at every start (benchmarks/cli_start.py)
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: PLC0415 - not loaded at every start (benchmarks/cli_start.py)

    key = HKDF(algorithm=SHA256(), length=32, salt=None, info=purpose).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))
