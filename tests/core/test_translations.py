"""The central German catalogue (src/channeldesk/locale) is complete and compiled.

It holds the strings of every app that does not keep a catalogue of its own. After
`make messages`, a new string shows up here with an empty msgstr (and a changed one as fuzzy)
until someone translates it; these tests keep that from being released.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.utils import translation

import channeldesk

CATALOGUE = Path(channeldesk.__file__).parent / "locale" / "de" / "LC_MESSAGES"


def _catalogue() -> Catalog:
    with (CATALOGUE / "django.po").open("rb") as po:
        return read_po(po, abort_invalid=True)


def _untranslated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not all(string.strip() for string in strings)


def _label(message: Message) -> str:
    where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
    return f"{message.id!r} ({where})"


def test_every_german_entry_is_translated_and_none_is_fuzzy() -> None:
    messages = [message for message in _catalogue() if message.id]

    untranslated = [_label(message) for message in messages if _untranslated(message)]
    fuzzy = [_label(message) for message in messages if message.fuzzy]

    assert messages, "the central German catalogue is empty"
    assert untranslated == [], "untranslated German entries; translate them, then compile"
    assert fuzzy == [], "fuzzy German entries; check the translation and drop the flag"


def test_the_compiled_catalogue_holds_every_translation_of_the_po_file() -> None:
    with (CATALOGUE / "django.mo").open("rb") as mo:
        compiled = {message.id: message.string for message in read_mo(mo) if message.id}

    missing = [
        _label(message)
        for message in _catalogue()
        if message.id and compiled.get(message.id) != message.string
    ]

    assert missing == [], "django.mo is out of date: run compilemessages"


@pytest.mark.parametrize(
    ("english", "german"),
    [
        ("Contracts", "Verträge"),
        ("reminder schedule", "Erinnerungsplan"),
        ("Documents", "Dokumente"),
    ],
)
def test_labels_of_the_domains_read_in_german(english: str, german: str) -> None:
    with translation.override("de"):
        assert translation.gettext(english) == german
