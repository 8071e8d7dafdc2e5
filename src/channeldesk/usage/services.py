"""Writes of the usage domain: service terms, subscriptions, senders, re-rating requests.

Ingesting events exactly once, set-based, is `channeldesk.usage.ingest`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import connection
from django.db.models import Max
from django.utils.translation import gettext as _

from channeldesk.catalog.models import Product, ProductKind
from channeldesk.contracts.models import Contract
from channeldesk.core.errors import DomainError
from channeldesk.core.models import ServiceToken, TokenScope
from channeldesk.usage.models import (
    DEFAULT_TIME_ZONE,
    BillingUnit,
    PeriodStatus,
    RerateRequest,
    ServiceTerms,
    Subscription,
    SubscriptionSender,
    UsagePeriod,
)


class UsageError(DomainError):
    """A usage request the data does not allow; `code` is machine-readable."""


# --- Terms, subscriptions, senders ----------------------------------------------------------


def service_terms_set(
    *, product: Product, billing_unit: BillingUnit | str, prorate: bool = False
) -> ServiceTerms:
    """Say how a managed-service product is billed (creates or updates its terms)."""
    if product.kind != ProductKind.SERVICE:
        raise UsageError(
            _("%(sku)s is not a managed-service product.") % {"sku": product.sku},
            code="not_a_service",
        )
    unit = BillingUnit(billing_unit)
    terms, _created = ServiceTerms.objects.update_or_create(
        product=product,
        defaults={"billing_unit": unit, "prorate": prorate and unit == BillingUnit.USER_MONTH},
    )
    return terms


def subscription_create(
    *,
    contract: Contract,
    subscription_key: str,
    time_zone: str = DEFAULT_TIME_ZONE,
    minimum_units: Decimal | None = None,
) -> Subscription:
    """Make a service contract meterable under `subscription_key`."""
    if not ServiceTerms.objects.filter(product_id=contract.product_id).exists():
        raise UsageError(
            _("Contract %(number)s is not for a metered managed service.")
            % {"number": contract.contract_number},
            code="not_metered",
        )
    time_zone_check(time_zone)
    return Subscription.objects.create(
        contract=contract,
        subscription_key=subscription_key,
        time_zone=time_zone,
        minimum_units=minimum_units,
    )


def time_zone_check(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            _("%(name)s is not a known time zone.") % {"name": name}, code="invalid_time_zone"
        ) from None


def sender_grant(*, token: ServiceToken, subscriptions: Iterable[Subscription]) -> int:
    """Let a `usage` service token send for these subscriptions; returns how many were new."""
    if token.scope != TokenScope.USAGE:
        raise UsageError(_("Only a token of scope usage can send usage."), code="wrong_scope")
    rows = [SubscriptionSender(token=token, subscription=item) for item in subscriptions]
    before = SubscriptionSender.objects.filter(token=token).count()
    SubscriptionSender.objects.bulk_create(rows, ignore_conflicts=True)
    return SubscriptionSender.objects.filter(token=token).count() - before


def last_closed_month() -> dt.date | None:
    """The latest month that is closing or closed: its events and earlier ones are late."""
    month: dt.date | None = UsagePeriod.objects.filter(
        status__in=[PeriodStatus.CLOSING, PeriodStatus.CLOSED]
    ).aggregate(latest=Max("month"))["latest"]
    return month


def rerate_request(*, months: Iterable[tuple[int, dt.date]]) -> None:
    """Ask for (subscription, month) to be re-rated at the next close: insert or bump version."""
    pairs = sorted(set(months))
    if not pairs:
        return
    table = RerateRequest._meta.db_table
    values = ", ".join(["(%s, %s, 1, 0)"] * len(pairs))
    params: list[Any] = [value for sub, month in pairs for value in (sub, month.isoformat())]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (subscription_id, month, version, rated_version) "  # noqa: S608 - table names and integer ids, no input
            f"VALUES {values} ON CONFLICT (subscription_id, month) "
            f"DO UPDATE SET version = {table}.version + 1",
            params,
        )
