"""Decimals in JSON documents: one rule for every face that answers with JSON.

A whole number becomes a JSON number (`35`, not `"35.00"`), anything with a fraction an exact
string (`"128063.16"`): JSON's numbers are binary floats to most readers, and an amount must not
come back as 128063.16000000001. The tier reports (`tiers/reports.py`), the reasons stored with
a tier assignment (`tiers/evaluation.py`), the API and the CLI's `--format json` all use it, so
a figure reads the same wherever it is asked for.
"""

from __future__ import annotations

from decimal import Decimal
from typing import overload


@overload
def json_number(value: Decimal | int) -> int | str: ...
@overload
def json_number(value: None) -> None: ...
@overload
def json_number(value: Decimal | int | None) -> int | str | None: ...
def json_number(value: Decimal | int | None) -> int | str | None:
    """Whole numbers as int, others as their exact text; None stays None."""
    if value is None:
        return None
    if isinstance(value, int) or value == value.to_integral_value():
        return int(value)
    return str(value)
