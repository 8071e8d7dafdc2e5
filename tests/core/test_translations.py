"""Every German catalogue is complete and compiled.

The central catalogue (src/channeldesk/locale) holds the strings of every app that does not keep
a catalogue of its own; the apps in the Makefile's OWN_CATALOGUES keep theirs in
src/channeldesk/<app>/locale. After `make messages`, a new string shows up in its catalogue with
an empty msgstr (and a changed one as fuzzy) until someone translates it; these tests, run over
each German catalogue, keep that from being released.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from django.utils import translation

import channeldesk

PACKAGE = Path(channeldesk.__file__).parent
GERMAN = Path("de") / "LC_MESSAGES"
CENTRAL = PACKAGE / "locale" / GERMAN
# The central catalogue, then each app's own (found on disk, so a new app catalogue is covered).
CATALOGUES = [
    CENTRAL,
    *sorted(path.parent for path in PACKAGE.glob(f"*/locale/{GERMAN}/django.po")),
]
# The apps that keep their own catalogue (Makefile: OWN_CATALOGUES) and have one today.
OWN_CATALOGUES = ("backoffice", "feedback", "licensing", "portal", "training", "usage")


def _id(directory: Path) -> str:
    return str(directory.relative_to(PACKAGE))


german_catalogues = pytest.mark.parametrize("directory", CATALOGUES, ids=_id)


def _catalogue(directory: Path) -> Catalog:
    with (directory / "django.po").open("rb") as po:
        return read_po(po, abort_invalid=True)


def _untranslated(message: Message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return not all(string.strip() for string in strings)


def _hashable(text: str | list[str] | tuple[str, ...]) -> str | tuple[str, ...]:
    """A plural entry's forms as a tuple: the .po file gives tuples, the .mo file lists."""
    return text if isinstance(text, str) else tuple(text)


def _label(message: Message) -> str:
    where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
    return f"{message.id!r} ({where})"


def test_the_german_catalogues_checked_are_the_central_one_and_each_apps_own() -> None:
    checked = {_id(directory) for directory in CATALOGUES}

    expected = {_id(CENTRAL)} | {f"{app}/locale/{GERMAN}" for app in OWN_CATALOGUES}
    assert expected <= checked, "a German catalogue is missing"


@german_catalogues
def test_every_german_entry_is_translated_and_none_is_fuzzy(directory: Path) -> None:
    messages = [message for message in _catalogue(directory) if message.id]

    untranslated = [_label(message) for message in messages if _untranslated(message)]
    fuzzy = [_label(message) for message in messages if message.fuzzy]

    assert messages, f"the German catalogue {_id(directory)} is empty"
    assert untranslated == [], "untranslated German entries; translate them, then compile"
    assert fuzzy == [], "fuzzy German entries; check the translation and drop the flag"


@german_catalogues
def test_the_compiled_catalogue_holds_every_translation_of_the_po_file(directory: Path) -> None:
    with (directory / "django.mo").open("rb") as mo:
        compiled = {
            _hashable(message.id): _hashable(message.string)
            for message in read_mo(mo)
            if message.id
        }

    missing = [
        _label(message)
        for message in _catalogue(directory)
        if message.id and compiled.get(_hashable(message.id)) != _hashable(message.string)
    ]

    assert missing == [], f"{_id(directory)}/django.mo is out of date: run compilemessages"


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
