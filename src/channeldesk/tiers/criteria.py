"""The registry of criterion kinds a tier policy can use (R5, R7).

A kind says which per-partner figure it measures and how that figure is compared with the
criterion's threshold. The order-line kinds of a policy are measured together in one aggregate
query over the order lines (see `selectors.tiers_measure`); adding such a kind means writing its
aggregate expression here, registered with `@_order_line_kind`.

A domain above the tiers (training) adds its own kind with `criterion_kind_register` from its
`AppConfig.ready()`: such a kind brings a *set-based measure* instead of an aggregate, one query
that returns the figure of every partner at once. The tiers never import that domain; they only
call what it registered.

Figures are measured over the policy's *evaluation period* (the last complete calendar half-year
before the as-of date, by default), except revenue, which covers the `months` whole months that
end with the evaluation period (12 by default).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Aggregate, Count, DecimalField, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from channeldesk.catalog.models import ProductKind
from channeldesk.core.periods import Period, months_ending


@dataclass(frozen=True)
class MeasureContext:
    """What a kind needs to build its measure: the evaluation period, the evaluation date and the
    tier the criterion belongs to (a grace period may depend on the tier a partner holds)."""

    period: Period
    as_of: dt.date | None = None
    tier_code: str = ""
    # One dict per compiled policy, shared by all its criteria: a kind may gather its criteria
    # here to measure them together in one query.
    shared: dict[str, Any] = field(default_factory=dict, compare=False)


# A measured figure: counts are int, amounts Decimal; both compare exactly with Decimal.
Figure = Decimal | int
# A set-based measure: given the partners to measure (None: all), each partner's figure in one
# query. Partners it leaves out measure 0.
SetMeasure = Callable[[Collection[int] | None], dict[int, Figure]]


@dataclass(frozen=True)
class CriterionKind:
    """One kind of criterion. Exactly one of `aggregate` (a column of the order-line aggregate)
    and `measure` (a set-based query of its own) is given."""

    code: str
    label: Any  # a lazy translation
    unit: str
    is_numeric: bool
    # (parameters, context) -> (metric key, aggregate). Criteria that measure the same thing share
    # one metric key and so one column of the aggregate query.
    aggregate: (
        Callable[[dict[str, Any], MeasureContext], tuple[str, Aggregate | Coalesce]] | None
    ) = None
    default_comparison: str = "at_least"
    # (parameters, context) -> (metric key, set-based measure), for kinds of other domains.
    measure: Callable[[dict[str, Any], MeasureContext], tuple[str, SetMeasure]] | None = None
    # A requirement (a training, say) is not a performance figure: a partner whose performance
    # qualifies for a better tier but who misses only requirements is "held back", and is told
    # what is missing.
    is_requirement: bool = False
    # parameters -> extra fields for the reasons (e.g. {"course": "G2D"}), so a partner is told
    # exactly what is missing.
    details: Callable[[dict[str, Any]], dict[str, Any]] | None = None
    # (parameters, threshold, language) -> what the criterion asks for, as a phrase in that
    # language (for tier notices); without it the notice uses the label.
    describe: Callable[[dict[str, Any], Decimal | None, str], str] | None = None
    # parameters -> problems that keep a policy using it from being published.
    check: Callable[[dict[str, Any]], list[str]] | None = None


# Every kind by code: the order-line kinds below, then those other domains register.
KINDS: dict[str, CriterionKind] = {}


def _order_line_kind[AggregateT: Callable[..., tuple[str, Aggregate | Coalesce]]](
    code: str, label: Any, unit: str, *, is_numeric: bool = True
) -> Callable[[AggregateT], AggregateT]:
    """Register the decorated aggregate expression as the order-line kind `code`."""

    def register(aggregate: AggregateT) -> AggregateT:
        KINDS[code] = CriterionKind(
            code=code, label=label, unit=unit, is_numeric=is_numeric, aggregate=aggregate
        )
        return aggregate

    return register


def _in_period(period: Period) -> Q:
    return Q(order_date__gte=period.start, order_date__lt=period.end)


@_order_line_kind("orders", _("orders in the evaluation period"), unit="orders")
def _orders(parameters: dict[str, Any], context: MeasureContext) -> tuple[str, Aggregate]:
    # Credit notes are not orders: only orders with at least one positive line count.
    return "orders", Count(
        "order_id", distinct=True, filter=_in_period(context.period) & Q(quantity__gt=0)
    )


@_order_line_kind("revenue", _("net revenue over the last months"), unit="EUR")
def _revenue(parameters: dict[str, Any], context: MeasureContext) -> tuple[str, Coalesce]:
    months = int(parameters.get("months", 12))
    window = months_ending(context.period.end, months)
    # An explicit output field keeps the sum exact to the cent on SQLite too, where the database
    # adds REAL values and Django has to turn the float back into a Decimal.
    cents = DecimalField(max_digits=16, decimal_places=2)
    return f"revenue_{months}m", Coalesce(
        Sum("net_amount", filter=_in_period(window), output_field=cents),
        Value(Decimal(0)),
        output_field=cents,
    )


@_order_line_kind(
    "beyond_retail", _("buys more than retail products"), unit="lines", is_numeric=False
)
def _beyond_retail(parameters: dict[str, Any], context: MeasureContext) -> tuple[str, Aggregate]:
    # Positive lines of any non-retail product in the period; zero means "retail only" (or nothing).
    return "non_retail_lines", Count(
        "id",
        filter=_in_period(context.period)
        & Q(quantity__gt=0)
        & ~Q(product__kind=ProductKind.RETAIL),
    )


@_order_line_kind(
    "distinct_products", _("distinct products in the evaluation period"), unit="products"
)
def _distinct_products(
    parameters: dict[str, Any], context: MeasureContext
) -> tuple[str, Aggregate]:
    return "distinct_products", Count(
        "product_id", distinct=True, filter=_in_period(context.period) & Q(quantity__gt=0)
    )


class CriterionKindConflict(ValueError):
    """Another kind is already registered under this code."""


def criterion_kind_register(kind: CriterionKind) -> None:
    """Add a kind of another domain to the registry (call it from `AppConfig.ready()`).

    Registering the same kind again (a second `ready()` in tests) is a no-op; another kind under
    a code already taken is refused, so two domains can never silently share one code.
    """
    if (kind.aggregate is None) == (kind.measure is None):
        raise ValueError(f"Criterion kind '{kind.code}' needs an aggregate or a measure, not both.")
    registered = KINDS.get(kind.code)
    if registered is not None and registered != kind:
        raise CriterionKindConflict(f"A criterion kind '{kind.code}' is already registered.")
    KINDS[kind.code] = kind


def criterion_holds(
    kind: CriterionKind, value: Figure, threshold: Decimal | None, comparison: str
) -> bool:
    """Numeric kinds compare with the threshold; yes/no kinds hold when the measure is positive."""
    if not kind.is_numeric:
        return value > 0
    if threshold is None:
        return True
    if comparison == "at_most":
        return value <= threshold
    return value >= threshold
