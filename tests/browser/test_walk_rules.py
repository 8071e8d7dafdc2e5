"""The rules of the page walk (tests/browser/walk.py) on known texts: what they flag, and what
ordinary German and English they leave alone. No browser."""

from __future__ import annotations

import pytest

from tests.browser.walk import raw_codes, text_findings

CODES = {"silver", "authorized", "public_authority", "planned", "claimed", "down"}


def findings(text: str, *, language: str, cells: list[str] | None = None) -> list[str]:
    return text_findings(text=text, cells=cells or [], language=language, codes=CODES)


@pytest.mark.parametrize(
    ("text", "cells", "expected"),
    [
        ("Stufe\nsilver", ["silver"], "raw code 'silver'"),
        ("Branche: public_authority", [], "snake_case token 'public_authority'"),
        ("Programm previous@1", [], "technical reference 'previous@1'"),
        ("revenue: 28063.16 / 37500", [], "raw criterion 'revenue: 28063.16 / 37500'"),
        ("planned 5091 · claimed 0", [], "lowercase code in German 'claimed', 'planned'"),
        ("Bewertung: silver → authorized", [], "lowercase code in German 'authorized', 'silver'"),
        ("Gültig ab 2026-12-07.", [], "ISO date in German text"),
    ],
)
def test_a_german_page_with_a_code_or_an_iso_date_is_flagged(
    text: str, cells: list[str], expected: str
) -> None:
    assert expected in findings(text, cells=cells, language="de")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("Sent 12/07/2026 10:07 a.m.", "12-hour time"), ("Sent 12/07/2026", "US date")],
)
def test_an_english_page_with_american_dates_or_times_is_flagged(text: str, expected: str) -> None:
    assert expected in findings(text, language="en")


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Silber-Partner seit 7. Dezember 2026, 10:07 – Nettoumsatz 28.063,16 €", "de"),
        ("Silver Partner since 7 December 2026, 10:07; sign in at p1@partners.example", "en"),
        ("Set up an authenticator app, then go down the list. Valid from 2026-12-07.", "en"),
    ],
)
def test_names_and_local_dates_pass(text: str, language: str) -> None:
    assert findings(text, language=language) == []


@pytest.mark.django_db
def test_a_label_that_equals_its_code_is_text_in_that_language_only() -> None:
    # The partner status `authorized` reads "authorized" in English, "autorisiert" in German.
    assert "authorized" not in raw_codes("en")
    assert "authorized" in raw_codes("de")
    assert {"silver", "public_authority"} <= raw_codes("en")
