"""Dates, amounts and percentages written the way a German or English reader expects them.

Letters, e-mails and statements go to customers and partners in *their* language, which is not
necessarily the language of the UI that is active in the thread. So every function here takes
the language as an argument instead of reading Django's active translation.

English is written the British way (`1 December 2026`, `€1,234.50`): the vendor's customers are
in Europe, and the day-month order matches the German text beside it. German amounts and
percentages keep Babel's no-break space before `€` and `%`, so a line never wraps between the
number and its unit.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from channeldesk.core.money import CURRENCY, HUNDRED, money_round

LOCALES = {"de": "de_DE", "en": "en_GB"}
SUPPORTED_LANGUAGES = tuple(LOCALES)


class UnsupportedLanguage(ValueError):
    """A text was asked for in a language ChannelDesk does not write."""


def babel_locale(language: str) -> str:
    """The Babel locale for `de` or `en`; regional codes such as `de-AT` fall back to the base."""
    base = language.lower().replace("_", "-").split("-")[0]
    try:
        return LOCALES[base]
    except KeyError:
        supported = ", ".join(SUPPORTED_LANGUAGES)
        raise UnsupportedLanguage(
            f"Language '{language}' is not supported (supported: {supported})."
        ) from None


def format_date(day: dt.date, *, language: str) -> str:
    """A date in words: `1. Dezember 2026` or `1 December 2026`."""
    from babel.dates import format_date as babel_format_date  # noqa: PLC0415 - Babel: not at every start

    return babel_format_date(day, format="long", locale=babel_locale(language))


def format_date_range(start: dt.date, last_day: dt.date, *, language: str) -> str:
    """`1. Juli – 31. Dezember 2026` / `1 July – 31 December 2026` (the year once when shared)."""
    if start.year != last_day.year:
        first = format_date(start, language=language)
    else:
        from babel.dates import format_date as babel_format_date  # noqa: PLC0415 - Babel: not at every start

        pattern = "d. MMMM" if language.startswith("de") else "d MMMM"
        first = babel_format_date(start, format=pattern, locale=babel_locale(language))
    return f"{first} – {format_date(last_day, language=language)}"


def format_datetime(moment: dt.datetime, *, language: str) -> str:
    """An instant in the business time zone, in words and 24 hours: `1. Dezember 2026, 14:05`
    or `1 December 2026, 14:05` (never `12/01/2026 2:05 p.m.`)."""
    from babel.dates import format_datetime as babel_format_datetime  # noqa: PLC0415 - Babel: not at every start

    local = timezone.localtime(moment)
    pattern = "d. MMMM y, HH:mm" if babel_locale(language) == "de_DE" else "d MMMM y, HH:mm"
    return babel_format_datetime(local, pattern, locale=babel_locale(language))


def format_money(amount: Decimal, *, language: str, currency: str = CURRENCY) -> str:
    """An amount with its currency, rounded by the one money rule first: `1.234,50 €`, `€1,234.50`.

    Rounding here (half up, to the cent) keeps a printed amount equal to the stored one; Babel
    alone would round half to even.
    """
    from babel.numbers import format_currency  # noqa: PLC0415 - Babel: not at every start

    return format_currency(money_round(amount), currency, locale=babel_locale(language))


def format_percent(percent: Decimal, *, language: str) -> str:
    """A percentage given in percent points (`Decimal("12.5")`): `12,5 %` or `12.5%`.

    ChannelDesk stores discounts as percent points, so the value is divided by 100 here; the
    digits after the decimal point are kept as given, without trailing zeros.
    """
    from babel.numbers import format_percent as babel_format_percent  # noqa: PLC0415 - Babel: not at every start

    return babel_format_percent(
        percent / HUNDRED, locale=babel_locale(language), decimal_quantization=False
    )


def format_number(number: int | Decimal, *, language: str) -> str:
    """A count or quantity with the reader's digit grouping: `1.250` or `1,250`."""
    from babel.numbers import format_decimal  # noqa: PLC0415 - Babel: not at every start

    return format_decimal(number, locale=babel_locale(language), decimal_quantization=False)


def format_figure(value: object, *, unit: str, language: str) -> str:
    """A figure as recorded in JSON (a number, or a string of one): an amount when `unit` is
    `EUR`, else a number; "–" when there is none, and anything else as it is."""
    if value in (None, ""):
        return "–"
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if unit == "EUR":
        return format_money(amount, language=language)
    return format_number(amount, language=language)
