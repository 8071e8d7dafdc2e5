"""The keycode format: 25 Crockford Base32 symbols in five groups, with a check symbol and a MAC.

    SSSSS-SSSSS-SSSSS-SSSSS-SSSSS   (S: one symbol; 125 bits, most significant first)
    version 5 bits · key id 10 bits · serial 50 bits · MAC 55 bits · check symbol 5 bits

- Crockford Base32 (`0-9 A-Z` without I, L, O, U): case-insensitive; I and L read as 1, O as 0;
  spaces and dashes anywhere are ignored, so a code dictated over the phone or pasted without
  dashes works.
- The **check symbol** is Damm's algorithm over the quasigroup `x ∘ y = a·x + y` in GF(32)
  (a a primitive element, the field built on x⁵ + x² + 1). This quasigroup is totally
  anti-symmetric, so every single-symbol substitution and every transposition of two adjacent
  symbols (the check symbol included) changes the result: a typo is reported as a typo, before
  any key or database is asked. Because the operation is linear over GF(2), the fold over all
  symbols is five parities of the 125-bit number, computed with `int.bit_count`.
- The **MAC** is HMAC-SHA256 with the key id's secret over the version, key id and serial,
  truncated to 55 bits: without the secret a valid code cannot be made (one guess in 3.6·10¹⁶).
- The database keeps only the key id and the serial; the MAC is computed again from the secret,
  so a copy of the database yields no working code.

Nothing here touches the database; `licensing.services.keycode_check` adds the lookup.
"""

from __future__ import annotations

import hmac
from typing import NamedTuple

from channeldesk.core.errors import DomainError

FORMAT_VERSION = 1
SYMBOLS = 25
GROUP = 5
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
MAC_DOMAIN = b"channeldesk-keycode"

VERSION_BITS, KEY_ID_BITS, SERIAL_BITS, MAC_BITS, CHECK_BITS = 5, 10, 50, 55, 5
MAX_KEY_ID = (1 << KEY_ID_BITS) - 1
MAX_SERIAL = (1 << SERIAL_BITS) - 1
_MAC_MASK = (1 << MAC_BITS) - 1
_FIELD_POLYNOMIAL = 0b100101  # x⁵ + x² + 1, primitive: a = x generates GF(32)*


class KeycodeFormatError(DomainError):
    """The text is not a well-formed keycode; `reason` is "typo" (a wrong, missing, extra or
    swapped symbol) or "unknown" (a well-formed code of a format version this system lacks)."""

    code = "keycode_malformed"

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ParsedKeycode(NamedTuple):
    """What a well-formed keycode says; whether its MAC is right is `mac_valid`'s question."""

    version: int
    key_id: int
    serial: int
    mac: int


def _times_alpha(value: int) -> int:
    value <<= 1
    return value ^ _FIELD_POLYNOMIAL if value & 0b100000 else value


def _damm_step(interim: int, symbol: int) -> int:
    return _times_alpha(interim) ^ symbol


def _parity_masks(symbols: int) -> tuple[int, ...]:
    """Five masks over a number of `symbols` symbols whose parities are the bits of the Damm
    fold over those symbols (the fold is linear over GF(2): the contribution of each bit is the
    fold of that bit alone)."""
    masks = [0] * CHECK_BITS
    for position in range(symbols * 5):
        symbol_index, bit = divmod(position, 5)  # symbol_index counts from the right
        interim = 0
        for index in range(symbols - 1, -1, -1):
            interim = _damm_step(interim, (1 << bit) if index == symbol_index else 0)
        for output_bit in range(CHECK_BITS):
            if interim >> output_bit & 1:
                masks[output_bit] |= 1 << position
    return tuple(masks)


_DATA_MASKS = _parity_masks(SYMBOLS - 1)
_FULL_MASKS = _parity_masks(SYMBOLS)


def _fold(value: int, masks: tuple[int, ...]) -> int:
    """The Damm fold of a number: five parities (unrolled, it runs per check-in)."""
    mask0, mask1, mask2, mask3, mask4 = masks
    return (
        ((value & mask0).bit_count() & 1)
        | ((value & mask1).bit_count() & 1) << 1
        | ((value & mask2).bit_count() & 1) << 2
        | ((value & mask3).bit_count() & 1) << 3
        | ((value & mask4).bit_count() & 1) << 4
    )


def check_symbol_value(data: int) -> int:
    """The check symbol for the 24 data symbols (120 bits): the c with fold ∘ c = 0."""
    return _times_alpha(_fold(data, _DATA_MASKS))


def _translation() -> dict[int, int | None]:
    """Crockford symbol → Python's base-32 digit (0-9a-v); separators dropped; anything else
    becomes "!", which `int(…, 32)` refuses."""
    table: dict[int, int | None] = {code: ord("!") for code in range(128)}
    for value, symbol in enumerate(ALPHABET):
        digit = ord("0123456789abcdefghijklmnopqrstuv"[value])
        table[ord(symbol)] = table[ord(symbol.lower())] = digit
    for alias, symbol in (("I", "1"), ("L", "1"), ("O", "0")):
        table[ord(alias)] = table[ord(alias.lower())] = table[ord(symbol)]
    for separator in " -\t":
        table[ord(separator)] = None
    return table


_TRANSLATION = _translation()


def keycode_normalise(text: str) -> str:
    """The canonical spelling (upper case, I/L→1, O→0, dashes every five symbols), or raises
    `KeycodeFormatError` like `keycode_parse`."""
    value = _value_of(text)
    symbols = "".join(ALPHABET[(value >> (5 * index)) & 31] for index in range(SYMBOLS - 1, -1, -1))
    return "-".join(symbols[start : start + GROUP] for start in range(0, SYMBOLS, GROUP))


def _value_of(text: str) -> int:
    digits = text.translate(_TRANSLATION) if text.isascii() else "!"
    if len(digits) != SYMBOLS or "!" in digits:
        raise KeycodeFormatError(
            f"Not a keycode: expected {SYMBOLS} symbols of 0-9 and A-Z without U "
            "(five groups of five).",
            reason="typo",
        )
    value = int(digits, 32)
    if _fold(value, _FULL_MASKS):
        raise KeycodeFormatError(
            "The check symbol does not match: a symbol is mistyped or two are swapped.",
            reason="typo",
        )
    return value


def keycode_parse(text: str) -> ParsedKeycode:
    """Parse a typed keycode: raises `KeycodeFormatError` for anything but a well-formed code
    of this format version. The MAC is not checked here (see `mac_valid`)."""
    value = _value_of(text)
    version = value >> 120
    if version != FORMAT_VERSION:
        raise KeycodeFormatError(f"Keycode format version {version} is unknown.", reason="unknown")
    return ParsedKeycode(
        version=version,
        key_id=(value >> 110) & MAX_KEY_ID,
        serial=(value >> 60) & MAX_SERIAL,
        mac=(value >> CHECK_BITS) & _MAC_MASK,
    )


def _mac(*, secret: bytes, version: int, key_id: int, serial: int) -> int:
    header = (version << (KEY_ID_BITS + SERIAL_BITS)) | (key_id << SERIAL_BITS) | serial
    digest = hmac.digest(secret, MAC_DOMAIN + header.to_bytes(9, "big"), "sha256")
    return int.from_bytes(digest[:7], "big") >> 1  # 56 bits → 55


def mac_valid(parsed: ParsedKeycode, *, secret: bytes) -> bool:
    """Whether the code's MAC is the one the secret gives (constant-time comparison)."""
    expected = _mac(
        secret=secret, version=parsed.version, key_id=parsed.key_id, serial=parsed.serial
    )
    return hmac.compare_digest(expected.to_bytes(7, "big"), parsed.mac.to_bytes(7, "big"))


def keycode_verify(
    text: str, *, secrets_by_key_id: dict[int, bytes], retired: frozenset[int]
) -> tuple[int, int] | str:
    """(key id, serial) of a well-formed code with the right MAC, else the reason: "typo",
    "unknown" (another format version, or a MAC the secret does not give: never issued) or
    "other_key" (a key id without a secret, or retired). The hot path of every check-in, so it
    works on the 125-bit number directly instead of going through `keycode_parse`."""
    try:
        value = _value_of(text)
    except KeycodeFormatError as error:
        return error.reason
    if value >> 120 != FORMAT_VERSION:
        return "unknown"
    key_id = (value >> 110) & MAX_KEY_ID
    secret = secrets_by_key_id.get(key_id)
    if secret is None or key_id in retired:
        return "other_key"
    digest = hmac.digest(secret, MAC_DOMAIN + (value >> 60).to_bytes(9, "big"), "sha256")
    expected = (int.from_bytes(digest[:7], "big") >> 1).to_bytes(7, "big")
    if not hmac.compare_digest(expected, ((value >> CHECK_BITS) & _MAC_MASK).to_bytes(7, "big")):
        return "unknown"
    return key_id, (value >> 60) & MAX_SERIAL


def keycode_compose(*, key_id: int, serial: int, secret: bytes) -> str:
    """The keycode for a key id and serial under the key id's secret, formatted in groups."""
    if not 0 <= key_id <= MAX_KEY_ID or not 0 <= serial <= MAX_SERIAL:
        raise ValueError("Key id or serial out of range.")
    mac = _mac(secret=secret, version=FORMAT_VERSION, key_id=key_id, serial=serial)
    data = (
        (FORMAT_VERSION << (KEY_ID_BITS + SERIAL_BITS + MAC_BITS))
        | (key_id << (SERIAL_BITS + MAC_BITS))
        | (serial << MAC_BITS)
        | mac
    )
    value = (data << CHECK_BITS) | check_symbol_value(data)
    symbols = "".join(ALPHABET[(value >> (5 * index)) & 31] for index in range(SYMBOLS - 1, -1, -1))
    return "-".join(symbols[start : start + GROUP] for start in range(0, SYMBOLS, GROUP))


def keycode_mask(code: str) -> str:
    """A code with its middle hidden, for lists and partners: `7K3QD-*****-*****-*****-*9XZ4`."""
    groups = code.split("-")
    return "-".join([groups[0], "*****", "*****", "*****", "*" + groups[-1][1:]])
