"""A closed month with statements for partner A and partner B (API access and admin rows)."""

from __future__ import annotations

import datetime as dt

from channeldesk.partners.models import Partner
from channeldesk.tiers.models import TierAssignment
from channeldesk.usage.closing import period_close
from channeldesk.usage.ingest import usage_events_ingest
from channeldesk.usage.models import Statement
from tests.tiers.factories import previous_tier
from tests.usage.factories import after_grace, at, event, metered_contract

OCTOBER = dt.date(2026, 10, 1)


def _tiered(partner: Partner, code: str) -> None:
    if not TierAssignment.objects.filter(partner=partner).exists():
        previous_tier(partner, code)


def october_statements(
    partner_a: Partner, partner_b: Partner, *, with_tiers: bool = True
) -> dict[str, Statement]:
    """October 2026 closed: A's customer used 3 user-days, B's customer 2 (once per world).

    A is Silver (25 %), B Gold (30 %); without tiers (the admin walk, whose tier tests count
    the assignments) both pay list price.
    """
    existing = Statement.objects.filter(period=OCTOBER)
    if existing.exists():
        return {statement.partner.partner_number: statement for statement in existing}
    if with_tiers:
        _tiered(partner_a, "silver")
        _tiered(partner_b, "gold")
    metered_contract(partner_a, key="SUB-A", customer_number="K-UA")
    metered_contract(partner_b, key="SUB-B", customer_number="K-UB")
    usage_events_ingest(
        events=[
            event("a1", "ua1", at(1), key="SUB-A"),
            event("a2", "ua2", at(1), key="SUB-A"),
            event("a3", "ua1", at(2), key="SUB-A"),
            event("b1", "ub1", at(3), key="SUB-B"),
            event("b2", "ub1", at(4), key="SUB-B"),
        ]
    )
    period_close(month=OCTOBER, now=after_grace())
    return {
        statement.partner.partner_number: statement
        for statement in Statement.objects.filter(period=OCTOBER)
    }
