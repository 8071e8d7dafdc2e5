"""Shared pieces of the usage benchmarks: a scratch database with N metered contracts.

`setup()` points Django at `channeldesk_bench_usage` (created and migrated), and
`contracts_ensure(n)` gives the first n of 1,000 user-day service contracts under 10 partners
(Silver, from the `previous` policy that `migrate` installs), each metered as `B-<index>`;
written with bulk inserts, once.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from common import bench_product, setup_scratch_django

MONTH = dt.date(2026, 10, 1)
PARTNERS = 10
MAX_CONTRACTS = 1_000  # every benchmark uses the first n of the same contracts


def setup() -> str:
    return setup_scratch_django("usage")


def contracts_ensure(count: int) -> dict[str, int]:
    """`count` metered user-day contracts (created once); subscription key -> subscription id."""
    from channeldesk.usage.models import Subscription

    if count > MAX_CONTRACTS:
        raise ValueError(f"At most {MAX_CONTRACTS} contracts.")
    keys = dict(
        Subscription.objects.filter(subscription_key__startswith="B-").values_list(
            "subscription_key", "id"
        )
    )
    if len(keys) < MAX_CONTRACTS:
        _contracts_create(MAX_CONTRACTS)
        return contracts_ensure(count)
    return {f"B-{index}": keys[f"B-{index}"] for index in range(count)}


def _contracts_create(count: int) -> None:
    from django.db import transaction

    from channeldesk.catalog.models import ProductKind
    from channeldesk.contracts.models import Contract, Customer, CustomerAssignment
    from channeldesk.partners.models import Partner
    from channeldesk.tiers.models import AssignmentSource, TierAssignment, TierPolicy
    from channeldesk.usage.models import BillingUnit, Subscription
    from channeldesk.usage.services import service_terms_set

    with transaction.atomic():
        product = bench_product(
            sku="BENCH-MDR",
            name="MDR",
            kind=ProductKind.SERVICE,
            list_price=Decimal("0.19"),
            unit="user-day",
        )
        service_terms_set(product=product, billing_unit=BillingUnit.USER_DAY)
        policy = TierPolicy.objects.get(code="previous")
        silver = policy.tiers.get(code="silver")
        partners = []
        for index in range(PARTNERS):
            partner, created = Partner.objects.get_or_create(
                partner_number=f"BP-{index}", defaults={"name": f"Bench Partner {index}"}
            )
            if created:
                TierAssignment.objects.create(
                    partner=partner,
                    policy=policy,
                    tier=silver,
                    valid_from=dt.date(2020, 1, 1),
                    source=AssignmentSource.INITIAL,
                )
            partners.append(partner)
        prefix = f"BK-{count}-"
        customers = Customer.objects.bulk_create(
            Customer(customer_number=f"{prefix}{index}", name=f"Bench Customer {index}")
            for index in range(count)
        )
        CustomerAssignment.objects.bulk_create(
            CustomerAssignment(
                customer=customer,
                partner=partners[index % PARTNERS],
                valid_from=dt.date(2020, 1, 1),
            )
            for index, customer in enumerate(customers)
        )
        contracts = Contract.objects.bulk_create(
            Contract(
                contract_number=f"BV-{count}-{index}",
                customer=customer,
                partner=partners[index % PARTNERS],
                product=product,
                seats=100,
                start_date=dt.date(2026, 1, 1),
                end_date=dt.date(2027, 12, 31),
            )
            for index, customer in enumerate(customers)
        )
        Subscription.objects.bulk_create(
            Subscription(contract=contract, subscription_key=f"B-{index}")
            for index, contract in enumerate(contracts)
        )
