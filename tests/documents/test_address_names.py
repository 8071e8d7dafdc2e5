"""A name too wide for the envelope window is split over two address lines where it can be."""

from __future__ import annotations

from channeldesk.documents.letters import address_name_lines

WIDE_WORD = "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft"


def test_a_name_that_fits_the_window_stays_on_one_line() -> None:
    assert address_name_lines("Müller Maschinenbau GmbH") == ("Müller Maschinenbau GmbH",)


def test_a_wide_name_is_split_at_the_last_space_that_lets_the_first_line_fit() -> None:
    name = "Müller Maschinenbau und Anlagentechnik Süd GmbH & Co. KG"

    assert address_name_lines(name) == (
        "Müller Maschinenbau und Anlagentechnik",
        "Süd GmbH & Co. KG",
    )


def test_a_name_that_fits_on_no_two_lines_is_passed_on_whole_for_the_letter_to_refuse() -> None:
    assert address_name_lines(f"{WIDE_WORD} mbH") == (f"{WIDE_WORD} mbH",)
    assert address_name_lines(f"Kurz {WIDE_WORD}") == (f"Kurz {WIDE_WORD}",)
