"""Where the licensing keys come from: the keycode HMAC secrets (by key id) and the Ed25519 key
that signs certificates and activation answers.

1. Production sets them in the environment: `LICENSING_KEYCODE_KEYS` ("1:<base64>,2:<base64>",
   at least 32 random bytes each), `LICENSING_KEYCODE_KEY_ID` (the id new codes are issued
   under), `LICENSING_SIGNING_KEY` (base64 of the 32-byte Ed25519 seed) and
   `LICENSING_SIGNING_KEY_ID`. Several app servers then agree on the keys, and none of them is in
   the database: a copy of the database yields no working keycode.
2. Unset, both come from one key file (`LICENSING_KEY_FILE`, default `var/licensing-keys.json`),
   created with random keys on first use (mode 0600, created exclusively, so two processes
   starting at once end up with the same file). That serves development, the tests, the demo and
   a single-host installation. It is deliberately not derived from SECRET_KEY: rotating the
   session secret must not invalidate every keycode in the field, and a leaked SECRET_KEY must
   not leak the licence keys. `channeldesk check --deploy` warns (licensing.W001) when a
   server without DEBUG runs on the key file, because a second host would create other keys.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.core.signals import setting_changed

MIN_SECRET_BYTES = 32
MAX_KEY_ID = 1023  # two Crockford symbols


class KeyConfigurationError(RuntimeError):
    """The configured key material is unusable (bad base64, too short, unknown current id)."""


@dataclass(frozen=True)
class KeyMaterial:
    keycode_secrets: dict[int, bytes]
    keycode_key_id: int
    retired_key_ids: frozenset[int]
    signing_key: Ed25519PrivateKey
    signing_key_id: str
    source: str  # "environment" or the key file's path

    @property
    def public_key(self) -> Ed25519PublicKey:
        return self.signing_key.public_key()

    @property
    def public_key_base64(self) -> str:
        raw = self.public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return base64.b64encode(raw).decode()


_current: KeyMaterial | None = None


def key_material() -> KeyMaterial:
    """The keys in force: read once per process (a check-in asks for them per keycode), and
    again after a licensing setting changes (tests; Django's `setting_changed`)."""
    global _current  # noqa: PLW0603 - a per-process cache of the configuration
    if _current is None:
        _current = _material_from_settings()
    return _current


def _material_from_settings() -> KeyMaterial:
    return _load(
        settings.LICENSING_KEYCODE_KEYS,
        settings.LICENSING_KEYCODE_KEY_ID,
        tuple(settings.LICENSING_KEYCODE_RETIRED_KEY_IDS),
        settings.LICENSING_SIGNING_KEY,
        settings.LICENSING_SIGNING_KEY_ID,
        str(settings.LICENSING_KEY_FILE),
    )


def key_material_reset(**kwargs: object) -> None:
    """Forget the cached keys; connected to `setting_changed` for the LICENSING_* settings."""
    global _current  # noqa: PLW0603
    setting = kwargs.get("setting")
    if setting is None or str(setting).startswith("LICENSING_"):
        _current = None


@cache
def _load(  # noqa: PLR0917 - positional, so that functools.cache can key on them
    keycode_keys: str,
    key_id: int,
    retired: tuple[int, ...],
    signing_key: str,
    signing_key_id: str,
    key_file: str,
) -> KeyMaterial:
    stored = None if keycode_keys and signing_key else _key_file(Path(key_file))
    secrets_by_id = _parse_secrets(keycode_keys) if keycode_keys else _file_secrets(stored)
    seed = _decode(signing_key, "LICENSING_SIGNING_KEY") if signing_key else None
    if seed is None:
        seed = _decode(str((stored or {})["signing_key"]), "signing_key")
    if len(seed) != 32:
        raise KeyConfigurationError("The Ed25519 signing key must be a 32-byte seed.")
    if key_id not in secrets_by_id:
        raise KeyConfigurationError(f"LICENSING_KEYCODE_KEY_ID {key_id} has no secret.")
    return KeyMaterial(
        keycode_secrets=secrets_by_id,
        keycode_key_id=key_id,
        retired_key_ids=frozenset(retired),
        signing_key=Ed25519PrivateKey.from_private_bytes(seed),
        signing_key_id=signing_key_id,
        source="environment" if stored is None else key_file,
    )


def _parse_secrets(text: str) -> dict[int, bytes]:
    result = {}
    for item in text.split(","):
        key_id, _, value = item.strip().partition(":")
        if not key_id.isdigit() or not 0 <= int(key_id) <= MAX_KEY_ID:
            raise KeyConfigurationError(f"LICENSING_KEYCODE_KEYS: bad key id in {item!r}.")
        secret = _decode(value, f"LICENSING_KEYCODE_KEYS[{key_id}]")
        if len(secret) < MIN_SECRET_BYTES:
            raise KeyConfigurationError(f"Keycode secret {key_id} is shorter than 32 bytes.")
        result[int(key_id)] = secret
    return result


def _file_secrets(stored: dict[str, object] | None) -> dict[int, bytes]:
    keycode_keys = dict((stored or {}).get("keycode_keys", {}))  # type: ignore[call-overload]
    return {
        int(key_id): _decode(str(value), "keycode_keys") for key_id, value in keycode_keys.items()
    }


def _decode(value: str, name: str) -> bytes:
    try:
        return base64.b64decode(value.strip(), validate=True)
    except ValueError as error:
        raise KeyConfigurationError(f"{name} is not valid base64.") from error


def _key_file(path: Path) -> dict[str, object]:
    """The key file's content; created with fresh random keys when it does not exist yet."""
    if not path.exists():
        content = {
            "keycode_keys": {
                str(settings.LICENSING_KEYCODE_KEY_ID): base64.b64encode(
                    secrets.token_bytes(MIN_SECRET_BYTES)
                ).decode()
            },
            "signing_key": base64.b64encode(secrets.token_bytes(32)).decode(),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written completely under a temporary name, then linked into place: a process that
        # starts at the same moment either links first or finds the complete file.
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(content, handle)
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass  # another process was first: use its keys
        finally:
            temporary.unlink()
    loaded: dict[str, object] = json.loads(path.read_text())
    return loaded


setting_changed.connect(key_material_reset, dispatch_uid="licensing-key-material")
