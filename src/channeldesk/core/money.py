"""Money: Decimal amounts in EUR with one rounding rule.

The rule, everywhere in ChannelDesk: amounts are rounded per line, half up, to the cent. Totals are
sums of rounded lines, so a statement's lines always add up to its total.
"""

from decimal import ROUND_HALF_UP, Decimal

CURRENCY = "EUR"
CENT = Decimal("0.01")
HUNDRED = Decimal(100)


def money_round(amount: Decimal) -> Decimal:
    """Round an amount to the cent, half up (the one rule for every line)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def percent_of(amount: Decimal, percent: Decimal) -> Decimal:
    """`percent` % of `amount`, rounded to the cent."""
    return money_round(amount * percent / HUNDRED)


def net_after_discount(amount: Decimal, discount_percent: Decimal) -> Decimal:
    """The amount less a discount in percent, rounded to the cent."""
    return money_round(amount - amount * discount_percent / HUNDRED)
