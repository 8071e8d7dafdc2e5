"""What a letter says, as typed values; `rendering` decides where it goes on the page.

A `Letter` is checked when it is built, so a letter that cannot be printed correctly (seven
address lines that would not fit the envelope window, a language we do not write) fails at the
caller with a sentence saying why, never later as a PDF nobody can post.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from channeldesk.core.formatting import SUPPORTED_LANGUAGES
from channeldesk.documents.letterhead import Letterhead, letterhead_from_settings
from channeldesk.documents.rendering import (
    ADDRESS_TEXT_WIDTH_MM,
    RECIPIENT_FONT_SIZE_PT,
    text_width_mm,
)

# DIN 5008: the address zone of the window holds at most six lines.
MAX_ADDRESS_LINES = 6


class LetterError(ValueError):
    """A letter that cannot be printed as described; the message says why."""


@dataclass(frozen=True)
class Contact:
    """The person the recipient may call or write to about this letter."""

    name: str
    phone: str
    email: str


@dataclass(frozen=True)
class InformationBlock:
    """The block beside the address field: date, references and the contact person."""

    date: dt.date
    our_reference: str
    contact: Contact
    your_reference: str = ""


@dataclass(frozen=True)
class Letter:
    """One letter to one recipient, in the recipient's language (`de` or `en`).

    `recipient` holds the address lines exactly as they go into the window (name, street,
    postal code and city, and for another country the country in capitals). `paragraphs` are
    plain text; a line break inside a paragraph is kept. Below `closing` the letter is signed
    with `signature`, or with the letterhead's name when that is empty.
    """

    language: str
    recipient: tuple[str, ...]
    information: InformationBlock
    subject: str
    salutation: str
    paragraphs: tuple[str, ...]
    closing: str
    signature: str = ""
    letterhead: Letterhead = field(default_factory=letterhead_from_settings)

    def __post_init__(self) -> None:
        check_language(self.language)
        _check_recipient(self.recipient)
        if not self.subject.strip():
            raise LetterError("A letter needs a subject.")
        if not any(paragraph.strip() for paragraph in self.paragraphs):
            raise LetterError("A letter needs at least one paragraph of text.")

    @property
    def signed_by(self) -> str:
        return self.signature or self.letterhead.name


def check_language(language: str) -> None:
    """Refuse a language letters are not written in (the customer record may hold any code)."""
    if language not in SUPPORTED_LANGUAGES:
        raise LetterError(
            f"Letters are written in {' or '.join(SUPPORTED_LANGUAGES)}, not in '{language}'."
        )


def address_name_lines(name: str) -> tuple[str, ...]:
    """A name for the address field: on one line, or split at a space over two when it is wider
    than the window. A name that fits on neither is passed on whole; the letter then refuses it
    with a sentence."""
    if _fits_window(name):
        return (name,)
    words = name.split()
    for cut in range(len(words) - 1, 0, -1):
        first, second = " ".join(words[:cut]), " ".join(words[cut:])
        if _fits_window(first):
            return (first, second) if _fits_window(second) else (name,)
    return (name,)


def _fits_window(line: str) -> bool:
    return text_width_mm(line, size_pt=RECIPIENT_FONT_SIZE_PT) <= ADDRESS_TEXT_WIDTH_MM


def _check_recipient(lines: tuple[str, ...]) -> None:
    if not lines:
        raise LetterError("A letter needs a recipient address.")
    if len(lines) > MAX_ADDRESS_LINES:
        raise LetterError(
            f"The recipient address has {len(lines)} lines; the envelope window holds at most "
            f"{MAX_ADDRESS_LINES}. Shorten it, e.g. by leaving out a department line."
        )
    if any(not line.strip() or "\n" in line for line in lines):
        raise LetterError("Every recipient address line must be one non-empty line of text.")
    for line in lines:
        width = text_width_mm(line, size_pt=RECIPIENT_FONT_SIZE_PT)
        if width > ADDRESS_TEXT_WIDTH_MM:
            raise LetterError(
                f"The address line '{line}' is {width:.0f} mm wide; the envelope window shows "
                f"{ADDRESS_TEXT_WIDTH_MM:.0f} mm. Split or abbreviate it."
            )
