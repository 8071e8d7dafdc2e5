"""Signing secrets of webhook subscriptions: made once, shown once, stored sealed.

A secret has the Standard Webhooks form `whsec_<base64 of 32 random bytes>`, which the stock
libraries (`standardwebhooks` for Python, Node.js, Go, …) take as it is. It is stored sealed
(`notifications.sealing`: Fernet under a key derived from SECRET_KEY with HKDF for this one
purpose), so whoever reads the database or the admin cannot sign in the vendor's name; only
the send step (`webhooks.sending`) opens it. Keys from SECRET_KEY_FALLBACKS still open secrets
sealed before a rotation.
"""

from __future__ import annotations

import base64
import secrets

from channeldesk.notifications.sealing import seal_bytes, unseal_bytes

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
SECRET_BYTES = 32
# HKDF's "info": the key that seals webhook secrets opens nothing else (not outbox bodies).
_PURPOSE = b"channeldesk.webhooks.signing-secret.v1"


def webhook_secret_generate() -> str:
    """A new signing secret, `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def webhook_secret_seal(secret: str) -> str:
    """The secret as stored in `WebhookSubscription.secret_sealed`."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("A webhook signing secret starts with 'whsec_'.")
    return seal_bytes(secret.encode("ascii"), purpose=_PURPOSE)


def webhook_secret_unseal(sealed: str) -> str:
    """The secret of `webhook_secret_seal`; ValueError when no configured key opens it."""
    return unseal_bytes(sealed, purpose=_PURPOSE).decode("ascii")
