"""`demo serve`: the logins worth trying; then the demo runs the process set of `channeldesk
serve` (commands/processes.py): web server, scheduler and a job worker, stopped together.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from channeldesk.catalog.models import Order
from channeldesk.commands.demo.accounts import PARTNER_PASSWORD, partner_username
from channeldesk.core.periods import last_complete_period
from channeldesk.feedback.selectors import policy_open_for_feedback
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import AssignmentSource
from channeldesk.training.selectors import partners_blocked_by_training
from channeldesk.usage.models import Statement

# The demo's web server: two gunicorn workers whatever the machine (a laptop with 16 cores
# needs no 33 for one visitor); one job worker besides the scheduler.
DEMO_WEB_WORKERS = 2
DEMO_JOB_WORKERS = 1
# At most one order per half-year: no more than four in the two years of demo orders.
NEAR_NON_BUYER_ORDERS = 4


@dataclass(frozen=True, slots=True)
class PartnerExample:
    """A demo partner whose partner-user login is worth trying."""

    partner_number: str
    name: str
    username: str
    password: str
    why: str


def partner_examples() -> list[PartnerExample]:
    """A partner that was Gold and a near non-buyer (at most one order in the last complete
    half-year and few in all), both with a partner user: the two ends of the seed's programme
    change."""
    latest = Order.objects.aggregate(latest=Max("order_date"))["latest"] or timezone.localdate()
    period = last_complete_period(latest)
    with_user = Partner.objects.filter(memberships__isnull=False).order_by("partner_number")
    initial = Q(
        tier_assignments__source=AssignmentSource.INITIAL,
        tier_assignments__valid_to__isnull=True,
    )
    gold = with_user.filter(initial, tier_assignments__tier__code="gold").first()
    near_non_buyer = (
        with_user.filter(initial, tier_assignments__tier__code="silver")
        .annotate(
            recent_orders=Count(
                "orders",
                filter=Q(orders__order_date__gte=period.start, orders__order_date__lt=period.end),
                distinct=True,
            ),
            all_orders=Count("orders", distinct=True),
        )
        .filter(recent_orders__lte=1, all_orders__gte=1, all_orders__lte=NEAR_NON_BUYER_ORDERS)
        .first()
    )
    examples = []
    if gold is not None:
        examples.append(_example(gold, "was Gold under the previous programme"))
    if near_non_buyer is not None:
        examples.append(_example(near_non_buyer, "near non-buyer, Silver under the previous one"))
    billed = (
        with_user.filter(pk__in=Statement.objects.values("partner_id"))
        .exclude(pk__in=[example.pk for example in (gold, near_non_buyer) if example])
        .first()
    )
    if billed is not None:
        examples.append(_example(billed, "resells managed services: usage statements"))
    # One line per login: a partner already shown is not shown again for another reason.
    shown = [example.partner_number for example in examples]
    untrained = _held_back_by_training(with_user.exclude(partner_number__in=shown), as_of=latest)
    if untrained is not None:
        examples.append(
            _example(untrained, "the draft programme holds it out of Gold: two-day course missing")
        )
    return examples


def _held_back_by_training(with_user: QuerySet[Partner], *, as_of: dt.date) -> Partner | None:
    """A partner with a login that the draft open for feedback keeps out of its better tier
    only for want of a course (R7): its portal home says so and names the course."""
    policy = policy_open_for_feedback()
    if policy is None:
        return None
    blocked = partners_blocked_by_training(policy=policy, as_of=as_of)
    numbers = {entry.partner_number for entries in blocked.values() for entry in entries}
    return with_user.filter(partner_number__in=numbers).first()


def _example(partner: Partner, why: str) -> PartnerExample:
    return PartnerExample(
        partner_number=partner.partner_number,
        name=partner.name,
        username=partner_username(partner_number=partner.partner_number),
        password=PARTNER_PASSWORD,
        why=why,
    )
