"""Letters use the fonts shipped in the package and the letterhead from the settings."""

import hashlib
import io
from typing import Any

import pdfplumber
import pytest
from django.core.exceptions import ImproperlyConfigured

from channeldesk.documents import rendering
from channeldesk.documents.letterhead import Letterhead, letterhead_from_settings
from channeldesk.documents.services import letter_render
from tests.documents.factories import page_texts, plain_letter, words

# DejaVu Sans 2.37 as shipped by Debian's fonts-dejavu-core.
SHIPPED_FONTS = {
    "DejaVuSans.ttf": "abdc775b21b1bc470d50c97e790d276f2054b7504e56e5bd3e64f48d68582322",
    "DejaVuSans-Bold.ttf": "0d977336a6d5fba34eab8e3199eb218327161b5143749f802982c2bc34df0c96",
}


def test_the_fonts_and_their_licence_are_in_the_package() -> None:
    directory = rendering.FONTS_DIRECTORY

    digests = {
        name: hashlib.sha256((directory / name).read_bytes()).hexdigest() for name in SHIPPED_FONTS
    }

    assert digests == SHIPPED_FONTS
    assert "Bitstream Vera Fonts Copyright" in (directory / "LICENSE.txt").read_text()
    assert "Arev Fonts Copyright" in (directory / "LICENSE.txt").read_text()


def test_the_font_faces_load_the_package_files_under_a_family_no_system_has() -> None:
    css = rendering.font_face_css()

    for name in SHIPPED_FONTS:
        assert f'src: url("{(rendering.FONTS_DIRECTORY / name).as_uri()}")' in css
    assert css.count('font-family: "ChannelDesk Sans"') == 2
    assert css.count("url(") == 2


def test_every_character_of_a_letter_is_set_in_the_shipped_fonts() -> None:
    # WeasyPrint names an embedded font after its @font-face family; a system font would
    # appear as DejaVuSans or whatever the machine offers.
    pdf = letter_render(letter=plain_letter()).pdf

    with pdfplumber.open(io.BytesIO(pdf)) as document:
        fonts = {char["fontname"].split("+", 1)[1] for char in document.pages[0].chars}

    assert fonts == {"ChannelDesk-Sans", "ChannelDesk-Sans-Bold"}


def test_without_a_setting_the_letterhead_is_the_placeholder(settings: Any) -> None:
    del settings.CHANNELDESK_LETTERHEAD

    letterhead = letterhead_from_settings()

    assert letterhead == Letterhead(
        name="ChannelDesk Software GmbH",
        address_lines=("Musterstraße 1", "10115 Berlin"),
        phone="+49 30 1234567-0",
        email="vertrieb@channeldesk.example",
        website="www.channeldesk.example",
        return_line="ChannelDesk Software GmbH · Musterstraße 1 · 10115 Berlin",
        footer_columns=(),
    )


def test_a_configured_letterhead_is_printed_in_head_return_line_and_footer(
    settings: Any,
) -> None:
    settings.CHANNELDESK_LETTERHEAD = {
        "name": "Nordlicht Software AG",
        "address_lines": ["Hafenstraße 7", "20457 Hamburg"],
        "footer_columns": [["Nordlicht Software AG", "Vorstand: Jan Beispiel"], ["HRB 99999"]],
    }

    pdf = letter_render(letter=plain_letter()).pdf

    text = page_texts(pdf)[0]
    assert text.startswith("Nordlicht Software AG\nHafenstraße 7\n20457 Hamburg\n")
    assert "Nordlicht Software AG · Hafenstraße 7 · 20457 Hamburg" in text
    footer = " ".join(word.text for word in words(pdf) if word.top > 270)
    assert footer == "Nordlicht Software AG HRB 99999 Vorstand: Jan Beispiel"


def test_an_unknown_letterhead_key_is_refused(settings: Any) -> None:
    settings.CHANNELDESK_LETTERHEAD = {"adress_lines": ["Hafenstraße 7"]}

    with pytest.raises(ImproperlyConfigured) as refused:
        letterhead_from_settings()

    assert str(refused.value) == "CHANNELDESK_LETTERHEAD has unknown keys: adress_lines."


def test_a_return_line_wider_than_the_window_is_refused(settings: Any) -> None:
    settings.CHANNELDESK_LETTERHEAD = {
        "name": "Nordlicht Software Aktiengesellschaft für Vertriebssysteme",
        "address_lines": ["Hafenstraße 7", "20457 Hamburg"],
    }

    with pytest.raises(ImproperlyConfigured, match=r"set a shorter 'return_line'\.$"):
        letterhead_from_settings()


def test_the_css_string_escape_keeps_quotes_and_markup_out() -> None:
    assert rendering.css_string('A "B" </style>') == (
        '"A \\000022B\\000022 \\00003c\\00002fstyle\\00003e"'
    )
