"""Demo data of the usage domain, loaded by `channeldesk demo load` after the contracts.

1. Billing terms for the catalogue's managed services: per user-day for a product whose unit
   is a day (`user-day`, the catalogue's MS-ZTNA), per user-month for the others (MS-MAIL
   prorated). The demo adds no products: the catalogue is the reference data's.
2. Up to `PARTNERS` partners (the lowest partner numbers with service contracts in force since
   the start of the last closed month, so `p100001`-style logins see statements) get up to
   `CONTRACTS_PER_PARTNER` of those contracts metered, a few with a minimum commitment. The
   customer of each partner's first metered contract also books the per-user-day service (a
   contract from the first day of the last closed month, metered too): no order line ever
   sells it, so the contracts demo never draws it, and statements then count user-days.
3. Every metered contract gets generated usage, from the first day of the last closed month to
   yesterday: its users (a few hundred each, thousands in all) are active on most weekdays and
   some weekend days; remote access (user-day) is used on fewer days, which is what a per-day
   price rewards. The events go through the ingest service, like the platform's would.
4. The last closed month is closed (its statements issued), a few late events of that month
   arrive afterwards (they wait as adjustments for the next statement), and the open months
   are rated.

Idempotent: metered contracts are skipped, event ids are stable, a closed month stays closed.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.commands.demo.population import DemoPlan
from channeldesk.contracts.models import Contract, ContractStatus
from channeldesk.contracts.services import contract_create
from channeldesk.core.periods import add_months
from channeldesk.usage.closing import (
    close_due_on,
    month_is_closed,
    period_rate,
    periods_close_due,
)
from channeldesk.usage.events import EventInput
from channeldesk.usage.ingest import usage_events_ingest
from channeldesk.usage.models import BillingUnit, ServiceTerms, Subscription
from channeldesk.usage.services import service_terms_set, subscription_create

PARTNERS = 4
CONTRACTS_PER_PARTNER = 4
MIN_USERS = 150
MAX_USERS = 400
CHUNK = 10_000
PRORATED = {"MS-MAIL"}
# Chance that a user is active on a weekday / a weekend day, by billing unit.
ACTIVITY = {BillingUnit.USER_MONTH: (0.8, 0.15), BillingUnit.USER_DAY: (0.45, 0.05)}


def demo_usage_load(*, plan: DemoPlan, write: Callable[[str], None]) -> None:
    """Load the usage demo data for the plan; `write` reports a line to the console."""
    today = min(plan.today, timezone.localdate())
    closed = _last_due_month(today)
    _terms_ensure()
    new = _subscriptions_ensure(first_day=closed, today=today)
    events = 0
    rng = random.Random(plan.seed * 31 + 7)
    for subscription in new:
        for chunk in _chunks(_generated(subscription, first=closed, until=today, rng=rng)):
            events += usage_events_ingest(events=chunk).accepted
    now = _noon(today)
    closes = periods_close_due(now=now)
    late = _late_events(new, month=closed, now=now) if closes else 0
    for month in (add_months(closed, 1), today.replace(day=1)):
        if not month_is_closed(month):
            period_rate(month=month)
    issued = sum(result.statements for result in closes if result.closed_now)
    write(
        f"Usage: {len(new)} contracts metered, {events} events, {issued} statements issued "
        f"for {closed:%Y-%m}, {late} late events waiting for the next statement."
    )


def _last_due_month(today: dt.date) -> dt.date:
    month = add_months(today.replace(day=1), -1)
    return month if close_due_on(month) <= today else add_months(month, -1)


def _noon(day: dt.date) -> dt.datetime:
    instant = dt.datetime.combine(day, dt.time(12), tzinfo=ZoneInfo(settings.TIME_ZONE))
    return min(instant, timezone.now())


def _terms_ensure() -> None:
    for product in Product.objects.filter(kind=ProductKind.SERVICE, usage_terms__isnull=True):
        unit = BillingUnit.USER_DAY if "day" in product.unit else BillingUnit.USER_MONTH
        service_terms_set(product=product, billing_unit=unit, prorate=product.sku in PRORATED)


def _subscriptions_ensure(*, first_day: dt.date, today: dt.date) -> list[Subscription]:
    """Step 2: the metered contracts created by this load (none on a second load)."""
    if Subscription.objects.filter(subscription_key__startswith="DEMO-").exists():
        return []
    contracts = (
        Contract.objects.filter(
            product__kind=ProductKind.SERVICE,
            product__usage_terms__isnull=False,
            status=ContractStatus.ACTIVE,
            start_date__lte=first_day,
            end_date__gte=today,
        )
        .select_related("customer", "partner")
        .order_by("partner__partner_number", "contract_number")
    )
    chosen: dict[int, list[Contract]] = {}
    for contract in contracts.iterator():
        # Ordered by partner number: the first partner beyond PARTNERS ends the choice.
        if contract.partner_id not in chosen and len(chosen) == PARTNERS:
            break
        picked = chosen.setdefault(contract.partner_id, [])
        if len(picked) < CONTRACTS_PER_PARTNER:
            picked.append(contract)
    daily = ServiceTerms.objects.filter(billing_unit=BillingUnit.USER_DAY).first()
    if daily is not None:
        for picked in chosen.values():
            picked.insert(0, _daily_contract(picked[0], daily=daily, first_day=first_day))
    contracts_chosen = [contract for picked in chosen.values() for contract in picked]
    # Every fourth metered contract has a minimum commitment of 400 units a month.
    return [
        _subscribe(contract, minimum=Decimal(400) if position % 4 == 3 else None)
        for position, contract in enumerate(contracts_chosen)
    ]


def _daily_contract(contract: Contract, *, daily: ServiceTerms, first_day: dt.date) -> Contract:
    """The per-user-day service booked by the customer of `contract`, for a year from
    `first_day`, with as many seats as that contract (kept when an interrupted load made it)."""
    number = f"{contract.contract_number.rsplit('-', 1)[0]}-ZT"
    existing = Contract.objects.filter(contract_number=number).first()
    if existing is not None:
        return existing
    return contract_create(
        contract_number=number,
        customer=contract.customer,
        partner=contract.partner,
        product=daily.product,
        seats=contract.seats,
        start_date=first_day,
        end_date=add_months(first_day, 12) - dt.timedelta(days=1),
    )


def _subscribe(contract: Contract, *, minimum: Decimal | None) -> Subscription:
    return subscription_create(
        contract=contract,
        subscription_key=f"DEMO-{contract.contract_number}",
        minimum_units=minimum,
    )


def _generated(
    subscription: Subscription, *, first: dt.date, until: dt.date, rng: random.Random
) -> Iterator[EventInput]:
    """Step 3: the subscription's users on each day from `first` to the day before `until`."""
    # A few hundred users per contract (thousands in all), whatever the seats say.
    users = MIN_USERS + subscription.contract.seats % (MAX_USERS - MIN_USERS)
    zone = ZoneInfo(subscription.time_zone)
    terms = ServiceTerms.objects.get(product_id=subscription.contract.product_id)
    on_weekday, on_weekend = ACTIVITY[BillingUnit(terms.billing_unit)]
    key = subscription.subscription_key
    day = first
    while day < until:
        weekday = day.weekday() < 5
        for user in range(users):
            if rng.random() < (on_weekday if weekday else on_weekend):
                hour = rng.randrange(7, 19)
                yield EventInput(
                    event_id=f"{key}-{day:%Y%m%d}-{user}",
                    subscription_key=key,
                    occurred_at=dt.datetime(
                        day.year, day.month, day.day, hour, rng.randrange(60), tzinfo=zone
                    ),
                    user_key=f"user-{user:05d}",
                    service="protect",
                )
        day += dt.timedelta(days=1)


def _chunks(events: Iterator[EventInput]) -> Iterator[list[EventInput]]:
    chunk: list[EventInput] = []
    for item in events:
        chunk.append(item)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _late_events(subscriptions: list[Subscription], *, month: dt.date, now: dt.datetime) -> int:
    """Step 4: a platform re-sends a few events of the closed month that it had missed."""
    late = [
        EventInput(
            event_id=f"{item.subscription_key}-late-{index}",
            subscription_key=item.subscription_key,
            occurred_at=dt.datetime(month.year, month.month, 15, 10, tzinfo=dt.UTC),
            user_key=f"late-user-{index}",
            service="protect",
        )
        for item in subscriptions[:2]
        for index in range(3)
    ]
    return usage_events_ingest(events=late, now=now).accepted if late else 0
