"""Builders of the tiers tests: the products partners buy, their orders, and a tier they held
before; evaluations run as of AS_OF."""

import datetime as dt
from decimal import Decimal

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import AssignmentSource, TierAssignment, TierOverride, TierPolicy
from tests.factories import ProductFactory, order_with_lines

# Evaluations in these tests run as of 1 July 2026: the evaluation half-year is H1 2026 and the
# revenue window the 12 months July 2025 – June 2026.
AS_OF = dt.date(2026, 7, 1)


def retail_product() -> Product:
    return ProductFactory(sku="BOX-AV", kind=ProductKind.RETAIL, list_price=Decimal("39.90"))


def enterprise_product() -> Product:
    return ProductFactory(sku="ENT-SEAT", kind=ProductKind.ENTERPRISE, list_price=Decimal("100.00"))


def buy(
    partner: Partner,
    product: Product,
    *,
    times: int,
    amount: Decimal,
    start: dt.date = dt.date(2026, 1, 10),
    step_days: int = 20,
) -> None:
    """`times` orders of one line each, `step_days` apart from `start`."""
    for index in range(times):
        order_with_lines(
            partner,
            start + dt.timedelta(days=step_days * index),
            [(product, 10, amount)],
        )


def previous_tier(
    partner: Partner,
    code: str,
    *,
    valid_from: dt.date = dt.date(2020, 1, 1),
    source: str = AssignmentSource.INITIAL,
    reasons: list[dict[str, object]] | None = None,
) -> TierAssignment:
    """The tier `code` of the `previous` policy for `partner`, from `valid_from` on (by default
    held since 2020, from the initial assignment), with the criteria `reasons` recorded (none by
    default)."""
    policy = TierPolicy.objects.get(code="previous")
    return TierAssignment.objects.create(
        partner=partner,
        policy=policy,
        tier=policy.tiers.get(code=code),
        valid_from=valid_from,
        source=source,
        reasons=reasons or [],
    )


def gold_override(
    partner: Partner, *, reason: str, valid_until: dt.date | None = None
) -> TierOverride:
    """Gold for `partner` by a vendor's decision, from 1 January 2026 until `valid_until`."""
    return TierOverride.objects.create(
        partner=partner,
        tier_code="gold",
        reason=reason,
        valid_from=dt.date(2026, 1, 1),
        valid_until=valid_until,
    )
