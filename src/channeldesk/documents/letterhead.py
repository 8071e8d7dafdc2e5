"""The vendor's letterhead, read from the `CHANNELDESK_LETTERHEAD` setting.

The setting is a plain dict; every key is optional and falls back to `DEFAULT_LETTERHEAD`, so a
fresh installation prints presentable letters before anyone has configured anything. The
defaults are obvious placeholders (`Musterstraße`, `.example` addresses) and carry no legal
details: the register court, managing directors or VAT number go into `footer_columns` once
the vendor sets them.

    CHANNELDESK_LETTERHEAD = {
        "name": "Example Software GmbH",          # top right of page 1, signature, follow-ups
        "address_lines": ["Hauptstraße 5", "80331 München"],
        "phone": "+49 89 123456-0",
        "email": "vertrieb@example.com",
        "website": "www.example.com",
        "return_line": "",                       # empty: name · address lines
        "footer_columns": [                      # empty: address | phone, e-mail, web
            ["Example Software GmbH", "Hauptstraße 5", "80331 München"],
            ["Geschäftsführung: Erika Muster", "Amtsgericht München HRB 123456"],
            ["USt-IdNr. DE123456789", "IBAN DE02 1203 0000 0000 2020 51"],
        ],
    }
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from channeldesk.documents.rendering import (
    ADDRESS_TEXT_WIDTH_MM,
    RETURN_LINE_FONT_SIZE_PT,
    text_width_mm,
)

SETTING = "CHANNELDESK_LETTERHEAD"

DEFAULT_LETTERHEAD: dict[str, Any] = {
    "name": "ChannelDesk Software GmbH",
    "address_lines": ["Musterstraße 1", "10115 Berlin"],
    "phone": "+49 30 1234567-0",
    "email": "vertrieb@channeldesk.example",
    "website": "www.channeldesk.example",
    "return_line": "",
    "footer_columns": [],
}


@dataclass(frozen=True)
class Letterhead:
    """Who sends the letter: printed in the head, the return line, the footer and follow-ups."""

    name: str
    address_lines: tuple[str, ...]
    phone: str
    email: str
    website: str
    return_line: str
    footer_columns: tuple[tuple[str, ...], ...]


def letterhead_from_settings() -> Letterhead:
    """The configured letterhead, every missing key taken from `DEFAULT_LETTERHEAD`.

    An unknown key is refused rather than ignored: a misspelt `adress_lines` would otherwise
    print the placeholder address on every letter without anyone noticing.
    """
    configured: Mapping[str, Any] = getattr(settings, SETTING, {})
    unknown = sorted(set(configured) - set(DEFAULT_LETTERHEAD))
    if unknown:
        raise ImproperlyConfigured(f"{SETTING} has unknown keys: {', '.join(unknown)}.")
    values = {**DEFAULT_LETTERHEAD, **configured}
    address_lines = _lines(values["address_lines"])
    return_line = str(values["return_line"]) or " · ".join((values["name"], *address_lines))
    _check_return_line(return_line)
    return Letterhead(
        name=str(values["name"]),
        address_lines=address_lines,
        phone=str(values["phone"]),
        email=str(values["email"]),
        website=str(values["website"]),
        return_line=return_line,
        footer_columns=tuple(_lines(column) for column in values["footer_columns"]),
    )


def _check_return_line(return_line: str) -> None:
    width = text_width_mm(return_line, size_pt=RETURN_LINE_FONT_SIZE_PT)
    if width > ADDRESS_TEXT_WIDTH_MM:
        raise ImproperlyConfigured(
            f"{SETTING}: the return line '{return_line}' is {width:.0f} mm wide, the window "
            f"shows {ADDRESS_TEXT_WIDTH_MM:.0f} mm; set a shorter 'return_line'."
        )


def _lines(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(str(value) for value in values)


def footer_columns(letterhead: Letterhead) -> tuple[tuple[str, ...], ...]:
    """The footer as configured, or the sender's address and ways to reach them."""
    if letterhead.footer_columns:
        return letterhead.footer_columns
    reach = tuple(
        value for value in (letterhead.phone, letterhead.email, letterhead.website) if value
    )
    return ((letterhead.name, *letterhead.address_lines), reach)
