"""Template filters that format values for the reader of a letter.

`letter_compose` renders letter templates with the letter's language active, so these filters
write dates and numbers in the recipient's language: `{{ end_date|long_date }}` gives
`1. Dezember 2026` in a German letter and `1 December 2026` in an English one.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django import template
from django.conf import settings
from django.utils import translation

from channeldesk.core.formatting import format_date, format_money, format_number, format_percent

register = template.Library()


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


@register.filter
def long_date(value: dt.date) -> str:
    """`1. Dezember 2026` / `1 December 2026`."""
    return format_date(value, language=_language())


@register.filter
def money(value: Decimal) -> str:
    """`1.234,50 €` / `€1,234.50`, rounded half up to the cent."""
    return format_money(value, language=_language())


@register.filter
def percent(value: Decimal) -> str:
    """Percent points as `12,5 %` / `12.5%`."""
    return format_percent(value, language=_language())


@register.filter
def number(value: int | Decimal) -> str:
    """A count with digit grouping: `1.250` / `1,250`."""
    return format_number(value, language=_language())
