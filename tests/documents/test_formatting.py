"""Babel formats for letters: the reader's language decides, not the active UI language."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.utils import translation

from channeldesk.core.formatting import (
    UnsupportedLanguage,
    format_date,
    format_money,
    format_number,
    format_percent,
)

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "1. Dezember 2026"), ("en", "1 December 2026"), ("de-AT", "1. Dezember 2026")],
)
def test_dates_are_written_out_in_the_readers_language(language: str, expected: str) -> None:
    assert format_date(dt.date(2026, 12, 1), language=language) == expected


@pytest.mark.parametrize(
    ("language", "amount", "expected"),
    [
        ("de", Decimal("1234.5"), f"1.234,50{NBSP}€"),
        ("en", Decimal("1234.5"), "€1,234.50"),
        ("de", Decimal("-0.5"), f"-0,50{NBSP}€"),
    ],
)
def test_money_has_cents_grouping_and_the_euro_sign(
    language: str, amount: Decimal, expected: str
) -> None:
    assert format_money(amount, language=language) == expected


def test_money_is_rounded_half_up_like_every_stored_amount() -> None:
    # Babel on its own rounds half to even and would print 2,34 €.
    assert format_money(Decimal("2.345"), language="de") == f"2,35{NBSP}€"
    assert format_money(Decimal("2.345"), language="en") == "€2.35"


@pytest.mark.parametrize(
    ("language", "percent", "expected"),
    [
        ("de", Decimal("12.50"), f"12,5{NBSP}%"),
        ("en", Decimal("12.50"), "12.5%"),
        ("de", Decimal("20.00"), f"20{NBSP}%"),
    ],
)
def test_percent_points_keep_their_decimals_without_trailing_zeros(
    language: str, percent: Decimal, expected: str
) -> None:
    assert format_percent(percent, language=language) == expected


def test_counts_are_grouped_for_the_reader() -> None:
    assert format_number(1250, language="de") == "1.250"
    assert format_number(1250, language="en") == "1,250"


def test_a_language_letters_are_not_written_in_is_refused() -> None:
    with pytest.raises(UnsupportedLanguage, match=r"^Language 'fr' is not supported"):
        format_date(dt.date(2026, 12, 1), language="fr")


def test_template_filters_write_in_the_active_letter_language() -> None:
    template = Template(
        "{% load letter_format %}{{ day|long_date }} | {{ amount|money }} | "
        "{{ discount|percent }} | {{ seats|number }}"
    )
    context = {
        "day": dt.date(2026, 12, 1),
        "amount": Decimal("1234.5"),
        "discount": Decimal("12.5"),
        "seats": 1250,
    }

    with translation.override("de"):
        german = template.render(Context(context))
    with translation.override("en"):
        english = template.render(Context(context))

    assert german == f"1. Dezember 2026 | 1.234,50{NBSP}€ | 12,5{NBSP}% | 1.250"
    assert english == "1 December 2026 | €1,234.50 | 12.5% | 1,250"
