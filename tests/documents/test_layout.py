"""The rendered letter read back with pdfplumber: DIN 5008 Form B positions, texts, fonts."""

import dataclasses
import io

import pdfplumber
import pytest

from channeldesk.documents.rendering import RenderedPdf
from channeldesk.documents.services import letter_render
from tests.documents.factories import (
    INFORMATION,
    POINTS_PER_MILLIMETRE,
    RECIPIENT,
    Word,
    page_texts,
    plain_letter,
    renewal_letter,
    words,
)

WINDOW = {"left": 20.0, "top": 45.0, "right": 105.0, "bottom": 90.0}
RETURN_ZONE_BOTTOM = 45.0 + 17.7
RETURN_LINE = "ChannelDesk Software GmbH · Musterstraße 1 · 10115 Berlin"


@pytest.fixture(scope="module")
def german() -> RenderedPdf:
    return letter_render(letter=renewal_letter("de"))


@pytest.fixture(scope="module")
def english() -> RenderedPdf:
    return letter_render(letter=renewal_letter("en"))


@pytest.fixture(scope="module")
def two_pages() -> RenderedPdf:
    return letter_render(letter=plain_letter(paragraphs=8))


def _find(found: list[Word], *texts: str) -> list[Word]:
    """The first run of consecutive words that reads `texts`."""
    for start in range(len(found)):
        run = found[start : start + len(texts)]
        if tuple(word.text for word in run) == texts:
            return run
    raise AssertionError(f"{' '.join(texts)!r} is not on the page")


def _inside(word: Word, *, left: float, top: float, right: float, bottom: float) -> bool:
    return left <= word.left and word.right <= right and top <= word.top and word.bottom <= bottom


def test_every_recipient_word_lies_in_the_window_below_the_return_zone(
    german: RenderedPdf,
) -> None:
    found = words(german.pdf)

    lines = [_find(found, *line.split()) for line in RECIPIENT]

    recipient_zone = {**WINDOW, "top": RETURN_ZONE_BOTTOM}
    assert all(_inside(word, **recipient_zone) for line in lines for word in line)
    assert [round(line[0].left, 1) for line in lines] == [25.0] * 5


def test_the_return_line_lies_in_the_top_17_7_mm_of_the_window(german: RenderedPdf) -> None:
    found = words(german.pdf)

    return_line = _find(found, *RETURN_LINE.split())

    return_zone = {**WINDOW, "bottom": RETURN_ZONE_BOTTOM}
    assert all(_inside(word, **return_zone) for word in return_line)


def test_the_information_block_starts_125_mm_from_the_left_and_50_mm_from_the_top(
    german: RenderedPdf,
) -> None:
    found = words(german.pdf)

    first_label = _find(found, "Unser", "Zeichen")[0]
    date_row = _find(found, "Datum", "17.", "Oktober", "2026")

    assert round(first_label.left, 1) == 125.0
    assert 50.0 <= first_label.top <= 51.0
    assert round(date_row[0].left, 1) == 125.0
    assert _find(found, "Ansprechpartner", "Alpha", "Systemhaus", "GmbH")
    assert _find(found, "Telefon", "+49", "40", "1234567")
    assert _find(found, "E-Mail", "vertrieb@alpha.example")


def test_fold_marks_at_105_and_210_mm_and_the_hole_mark_at_148_5_mm(german: RenderedPdf) -> None:
    with pdfplumber.open(io.BytesIO(german.pdf)) as document:
        marks = [
            (
                round(rect["top"] / POINTS_PER_MILLIMETRE, 1),
                round(rect["x0"] / POINTS_PER_MILLIMETRE, 1),
                round(rect["x1"] / POINTS_PER_MILLIMETRE, 1),
            )
            for rect in document.pages[0].rects
        ]

    assert marks == [(105.0, 5.0, 10.0), (148.5, 5.0, 13.0), (210.0, 5.0, 10.0)]


def test_the_text_keeps_the_margins_25_mm_left_and_20_mm_right(two_pages: RenderedPdf) -> None:
    for page in range(2):
        text = [word for word in words(two_pages.pdf, page) if word.top > 20]
        body = [word for word in text if word.top > 98 or page == 1]

        assert round(min(word.left for word in body), 1) == 25.0
        assert max(word.right for word in body) <= 190.0


def test_the_subject_starts_two_lines_below_the_address_field(german: RenderedPdf) -> None:
    subject = _find(words(german.pdf), "Ihr", "Vertrag", "V-2026-0042", "endet")

    assert 98.46 <= subject[0].top <= 99.5


@pytest.mark.parametrize(
    ("letter", "phrases"),
    [
        (
            "german",
            [
                "Ihr Vertrag V-2026-0042 endet am 1. Dezember 2026",
                "Ihr Vertrag über 1.250 Arbeitsplätze für ChannelDesk Enterprise endet am",
                "Wenn Sie nichts unternehmen, endet der Vertrag am 1. Dezember 2026.",
                "Datum 17. Oktober 2026",
                "Mit freundlichen Grüßen",
            ],
        ),
        (
            "english",
            [
                "Your contract V-2026-0042 ends on 1 December 2026",
                "Your contract for 1,250 seats of ChannelDesk Enterprise ends on",
                "If you do nothing, the contract ends on 1 December 2026.",
                "Our reference V-2026-0042",
                "Date 17 October 2026",
                "Yours faithfully",
            ],
        ),
    ],
    ids=["german", "english"],
)
def test_each_letter_reads_in_its_language_with_its_formats(
    letter: str, phrases: list[str], request: pytest.FixtureRequest
) -> None:
    """German formats in the German letter, British ones in the English letter."""
    rendered: RenderedPdf = request.getfixturevalue(letter)
    text = page_texts(rendered.pdf)[0]

    assert rendered.page_count == 1
    assert [phrase for phrase in phrases if phrase not in text] == []


def test_follow_up_pages_name_the_sender_and_the_page(two_pages: RenderedPdf) -> None:
    first, second = page_texts(two_pages.pdf)
    header = [word for word in words(two_pages.pdf, 1) if word.bottom < 25.0]

    assert two_pages.page_count == 2
    assert "Seite" not in first
    assert [word.text for word in header] == [
        "ChannelDesk",
        "Software",
        "GmbH",
        "Seite",
        "2",
        "von",
        "2",
    ]
    assert round(header[-1].right, 1) == 190.0
    assert second.endswith("Mit freundlichen Grüßen\nChannelDesk Software GmbH")


def test_the_footer_with_the_senders_details_is_on_the_first_page_only(
    two_pages: RenderedPdf,
) -> None:
    first_page_footer = [word.text for word in words(two_pages.pdf, 0) if word.top > 270]
    second_page_footer = [word.text for word in words(two_pages.pdf, 1) if word.top > 270]

    assert first_page_footer[:3] == ["ChannelDesk", "Software", "GmbH"]
    assert "vertrieb@channeldesk.example" in first_page_footer
    assert second_page_footer == []


def test_the_same_letter_is_laid_out_the_same_after_other_letters(german: RenderedPdf) -> None:
    # The bytes may differ: fontTools stamps each font subset with the time it was made.
    again = letter_render(letter=renewal_letter("de"))

    assert words(again.pdf) == words(german.pdf)
    assert again.page_count == german.page_count


def test_the_recipients_reference_heads_the_information_block_when_given() -> None:
    information = dataclasses.replace(INFORMATION, your_reference="Bestellung 4711")
    letter = dataclasses.replace(plain_letter(), information=information)

    found = words(letter_render(letter=letter).pdf)

    first_row = _find(found, "Ihr", "Zeichen", "Bestellung", "4711")
    assert round(first_row[0].left, 1) == 125.0
    assert 50.0 <= first_row[0].top <= 51.0
    assert _find(found, "Unser", "Zeichen", "V-2026-0042")[0].top > first_row[0].bottom
