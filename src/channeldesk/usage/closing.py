"""Rating an open month, and closing a month: its statements are issued once and never change.

Late events and corrections of closed months are billed by difference: at each close, every
(subscription, month) with a pending `RerateRequest` is rated again from all its events, and
what was billed for it so far (all statement lines of that month) is subtracted, line key by
line key. What remains becomes adjustment lines on this month's statements, positive for late
events, negative (credits) for voids. So whatever the order in which events arrive, the lines
of a month over all statements add up to the rating of all its events: none billed twice, none
lost.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import Decimal
from itertools import groupby

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from channeldesk.audit.services import audit_record
from channeldesk.contracts.models import Contract, Customer
from channeldesk.core.periods import add_months
from channeldesk.partners.models import Partner
from channeldesk.usage.models import (
    LineKind,
    PeriodStatus,
    RatingResult,
    RerateRequest,
    Statement,
    StatementLine,
    Subscription,
    UsageEvent,
    UsagePeriod,
)
from channeldesk.usage.rating import LineKey, RatedLine, month_bounds, month_rate
from channeldesk.usage.services import UsageError, last_closed_month
from channeldesk.usage.webhook_events import statements_issued_emit

ZERO = Decimal(0)


@dataclass(frozen=True)
class PeriodRateResult:
    month: dt.date
    subscriptions: int
    lines: int
    units: Decimal
    net_total: Decimal


@dataclass(frozen=True)
class CloseResult:
    month: dt.date
    closed_now: bool  # False: it was closed before, nothing changed
    statements: int
    lines: int
    adjustment_lines: int
    net_total: Decimal


def month_start(month: dt.date) -> dt.date:
    return month.replace(day=1)


def close_due_on(month: dt.date) -> dt.date:
    """The first business day a month may be closed: its end plus the grace period."""
    return add_months(month_start(month), 1) + dt.timedelta(days=settings.USAGE_CLOSE_GRACE_DAYS)


def month_is_closed(month: dt.date) -> bool:
    latest = last_closed_month()
    return latest is not None and month_start(month) <= latest


def period_rate(*, month: dt.date) -> PeriodRateResult:
    """Rate an open month and store the result, replacing the previous run's (idempotent)."""
    month = month_start(month)
    if month_is_closed(month):
        raise UsageError(
            _("%(month)s is closed; its statements are issued.") % {"month": f"{month:%Y-%m}"},
            code="month_closed",
        )
    lines = month_rate(month=month)
    rated_at = timezone.now()
    with transaction.atomic():
        RatingResult.objects.filter(month=month).delete()
        RatingResult.objects.bulk_create(
            [_rating_result(line, rated_at) for line in lines], batch_size=1000
        )
    return PeriodRateResult(
        month=month,
        subscriptions=len({line.key.subscription_id for line in lines}),
        lines=len(lines),
        units=sum((line.units for line in lines), ZERO),
        net_total=sum((line.net_amount for line in lines), ZERO),
    )


def _rating_result(line: RatedLine, rated_at: dt.datetime) -> RatingResult:
    return RatingResult(month=line.month, **asdict(line.key), **line.figures(), rated_at=rated_at)


def period_close(*, month: dt.date, now: dt.datetime | None = None) -> CloseResult:
    """Close a month once its grace period is over and issue its statements.

    1. Refuse a month whose grace period has not ended, or that is not the month after the
       last closed one (months close in order: "late" means "in a closed month").
    2. Claim the month (`closing`) in a transaction of its own. From its commit on, ingest
       treats the month's events as late and asks for re-rating.
    3. On PostgreSQL, wait for the ingest transactions already inserting (a SHARE lock on the
       events table waits for every open ROW EXCLUSIVE holder, then is released at once). An
       ingest reads the closed month after its insert, so one that saw the month open had
       inserted before step 2 committed and is finished now: its events are rated in step 4.
    4. In one transaction: rate the month, bill pending re-ratings as adjustment lines, write
       one statement per partner, mark the month closed. A repeated or raced close finds the
       month closed and changes nothing (the unique statement per partner and period is the
       hard guard).
    """
    month = month_start(month)
    now = now or timezone.now()
    existing = UsagePeriod.objects.filter(month=month).first()
    if existing is not None and existing.status == PeriodStatus.CLOSED:
        return _summary(month, closed_now=False)
    _check_closable(month, now)
    UsagePeriod.objects.get_or_create(
        month=month, defaults={"status": PeriodStatus.CLOSING, "closing_started_at": now}
    )
    _wait_for_inserts()
    with transaction.atomic():
        period = UsagePeriod.objects.select_for_update().get(month=month)
        if period.status == PeriodStatus.CLOSED:
            return _summary(month, closed_now=False)
        drafts = [_draft(line, is_adjustment=False) for line in month_rate(month=month)]
        drafts += _adjustments(before=month)
        _statements_write(month=month, drafts=drafts, issued_at=now)
        RatingResult.objects.filter(month=month).delete()
        period.status = PeriodStatus.CLOSED
        period.closed_at = now
        period.save(update_fields=["status", "closed_at"])
        summary = _summary(month, closed_now=True)
        _close_audit(period, summary)
    return summary


def _close_audit(period: UsagePeriod, summary: CloseResult) -> None:
    """One audit entry per closed month, with the statements it issued."""
    audit_record(
        action="usage.statements.close",
        target=period,
        changes={"status": (PeriodStatus.CLOSING, PeriodStatus.CLOSED)},
        counts={
            "statements": summary.statements,
            "lines": summary.lines,
            "adjustment lines": summary.adjustment_lines,
        },
        details={"month": summary.month, "net total": summary.net_total},
    )


def _check_closable(month: dt.date, now: dt.datetime) -> None:
    today = timezone.localdate(now)
    if today < close_due_on(month):
        raise UsageError(
            _("%(month)s can be closed from %(day)s (grace period).")
            % {"month": f"{month:%Y-%m}", "day": close_due_on(month).isoformat()},
            code="grace_period",
        )
    latest = last_closed_month()
    if latest is not None and month < latest:
        raise UsageError(_("A later month is already closed."), code="later_month_closed")
    if latest is not None and month > add_months(latest, 1):
        raise UsageError(
            _("Close %(month)s first; months close in order.")
            % {"month": f"{add_months(latest, 1):%Y-%m}"},
            code="earlier_month_open",
        )


def periods_rate_open(*, today: dt.date) -> list[PeriodRateResult]:
    """Rate the open months on this business day: this month, and last month while it waits
    for its close (the hourly job and `usage rate --open`; idempotent, re-rating gives the same
    result), so the portal's preview is at most an hour old."""
    this_month = month_start(today)
    months = (add_months(this_month, -1), this_month)
    return [period_rate(month=month) for month in months if not month_is_closed(month)]


def periods_close_due(*, now: dt.datetime | None = None) -> list[CloseResult]:
    """Close every month whose grace period is over, in order (the job; idempotent).

    Without any closed month, the first month is the earliest with events.
    """
    now = now or timezone.now()
    latest = last_closed_month()
    if latest is not None:
        month = latest if _is_closing(latest) else add_months(latest, 1)
    else:
        first = UsageEvent.objects.order_by("usage_date").values_list("usage_date", flat=True)
        first_day = first.exclude(usage_date=None).first()
        if first_day is None:
            return []
        month = month_start(first_day)
    results = []
    while close_due_on(month) <= timezone.localdate(now):
        results.append(period_close(month=month, now=now))
        month = add_months(month, 1)
    return results


def _is_closing(month: dt.date) -> bool:
    return UsagePeriod.objects.filter(month=month, status=PeriodStatus.CLOSING).exists()


def _wait_for_inserts() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite runs one write transaction at a time: nothing can be in flight.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {UsageEvent._meta.db_table} IN SHARE MODE")


@dataclass(frozen=True, slots=True)
class _Draft:
    key: LineKey
    usage_month: dt.date
    is_adjustment: bool
    billing_unit: str
    units: Decimal
    list_amount: Decimal
    net_amount: Decimal
    first_day: dt.date
    last_day: dt.date


def _draft(line: RatedLine, *, is_adjustment: bool) -> _Draft:
    return _Draft(
        key=line.key,
        usage_month=line.month,
        is_adjustment=is_adjustment,
        billing_unit=line.billing_unit,
        **line.figures(),
    )


def _adjustments(*, before: dt.date) -> list[_Draft]:
    """Adjustment lines for the pending re-ratings of months before `before` (module doc)."""
    requests = list(
        RerateRequest.objects.select_for_update()
        .filter(month__lt=before, version__gt=F("rated_version"))
        .order_by("month", "subscription_id")
    )
    drafts: list[_Draft] = []
    for month, group in groupby(requests, key=lambda request: request.month):
        subscription_ids = {request.subscription_id for request in group}
        drafts += _month_differences(month=month, subscription_ids=subscription_ids)
    for request in requests:
        request.rated_version = request.version
    RerateRequest.objects.bulk_update(requests, ["rated_version"])
    return drafts


@dataclass
class _Billed:
    units: Decimal = ZERO
    list_amount: Decimal = ZERO
    net_amount: Decimal = ZERO
    billing_unit: str = ""
    first_day: dt.date | None = None
    last_day: dt.date | None = None


def billed_so_far(*, month: dt.date, subscription_ids: Iterable[int]) -> dict[LineKey, _Billed]:
    """What the statements billed for a month, per line key (summed in Python: exact on SQLite)."""
    billed: dict[LineKey, _Billed] = defaultdict(_Billed)
    lines = StatementLine.objects.filter(
        usage_month=month, subscription_id__in=list(subscription_ids)
    ).values_list(
        "subscription_id",
        "statement__partner_id",
        "line_kind",
        "tier_code",
        "discount_percent",
        "unit_price",
        "units",
        "list_amount",
        "net_amount",
        "billing_unit",
        "first_day",
        "last_day",
    )
    for row in lines:
        key = LineKey(row[0], row[1], row[2], row[3], _dec(row[4]), _dec(row[5]))
        item = billed[key]
        item.units += _dec(row[6])
        item.list_amount += _dec(row[7])
        item.net_amount += _dec(row[8])
        item.billing_unit = row[9]
        item.first_day = min(filter(None, [item.first_day, row[10]]))
        item.last_day = max(filter(None, [item.last_day, row[11]]))
    return billed


def _dec(value: object) -> Decimal:
    # SQLite hands DecimalFields back through float; the stored values have few places.
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _month_differences(*, month: dt.date, subscription_ids: set[int]) -> list[_Draft]:
    fresh = {line.key: line for line in month_rate(month=month, subscription_ids=subscription_ids)}
    billed = billed_so_far(month=month, subscription_ids=subscription_ids)
    drafts = []
    for key in sorted(set(fresh) | set(billed), key=_sort_key):
        line, before = fresh.get(key), billed.get(key, _Billed())
        units = (line.units if line else ZERO) - before.units
        list_amount = (line.list_amount if line else ZERO) - before.list_amount
        net_amount = (line.net_amount if line else ZERO) - before.net_amount
        if not (units or list_amount or net_amount):
            continue
        first_day = line.first_day if line else before.first_day
        last_day = line.last_day if line else before.last_day
        assert first_day is not None
        assert last_day is not None
        drafts.append(
            _Draft(
                key=key,
                usage_month=month,
                is_adjustment=True,
                billing_unit=line.billing_unit if line else before.billing_unit,
                units=units,
                list_amount=list_amount,
                net_amount=net_amount,
                first_day=first_day,
                last_day=last_day,
            )
        )
    return drafts


def _sort_key(key: LineKey) -> tuple[object, ...]:
    return (key.subscription_id, key.partner_id, key.line_kind, key.tier_code, key.discount_percent)


def _statements_write(*, month: dt.date, drafts: list[_Draft], issued_at: dt.datetime) -> None:
    """One statement per partner with its lines sorted by customer, contract and month."""
    if not drafts:
        return
    subscriptions = dict(
        Subscription.objects.filter(
            pk__in={draft.key.subscription_id for draft in drafts}
        ).values_list("pk", "contract_id")
    )
    contracts = {
        row[0]: row[1:]
        for row in Contract.objects.filter(pk__in=subscriptions.values()).values_list(
            "pk", "contract_number", "customer_id"
        )
    }
    customers = {
        pk: (number, name)
        for pk, number, name in Customer.objects.filter(
            pk__in={row[1] for row in contracts.values()}
        ).values_list("pk", "customer_number", "name")
    }
    partners = dict(
        Partner.objects.filter(pk__in={draft.key.partner_id for draft in drafts}).values_list(
            "pk", "partner_number"
        )
    )

    def order(draft: _Draft) -> tuple[object, ...]:
        number, customer_id = contracts[subscriptions[draft.key.subscription_id]]
        return (
            customers[customer_id][0],
            number,
            draft.is_adjustment,
            draft.usage_month,
            draft.key.line_kind == LineKind.COMMITMENT,
            draft.first_day,
        )

    by_partner: dict[int, list[_Draft]] = defaultdict(list)
    for draft in drafts:
        by_partner[draft.key.partner_id].append(draft)
    statements = Statement.objects.bulk_create(
        [
            Statement(
                partner_id=partner_id,
                period=month,
                number=f"US-{month:%Y-%m}-{partners[partner_id]}",
                issued_at=issued_at,
                list_total=sum((draft.list_amount for draft in lines), ZERO),
                net_total=sum((draft.net_amount for draft in lines), ZERO),
            )
            for partner_id, lines in sorted(by_partner.items())
        ]
    )
    rows = []
    for statement in statements:
        for position, draft in enumerate(sorted(by_partner[statement.partner_id], key=order), 1):
            contract_id = subscriptions[draft.key.subscription_id]
            contract_number, customer_id = contracts[contract_id]
            customer_number, customer_name = customers[customer_id]
            rows.append(
                StatementLine(
                    statement=statement,
                    position=position,
                    contract_id=contract_id,
                    customer_id=customer_id,
                    contract_number=contract_number,
                    customer_number=customer_number,
                    customer_name=customer_name,
                    subscription_id=draft.key.subscription_id,
                    usage_month=draft.usage_month,
                    is_adjustment=draft.is_adjustment,
                    line_kind=draft.key.line_kind,
                    billing_unit=draft.billing_unit,
                    tier_code=draft.key.tier_code,
                    discount_percent=draft.key.discount_percent,
                    unit_price=draft.key.unit_price,
                    units=draft.units,
                    list_amount=draft.list_amount,
                    net_amount=draft.net_amount,
                    first_day=draft.first_day,
                    last_day=draft.last_day,
                )
            )
    StatementLine.objects.bulk_create(rows, batch_size=1000)
    statements_issued_emit(statements=statements, lines=rows)


def _summary(month: dt.date, *, closed_now: bool) -> CloseResult:
    lines = StatementLine.objects.filter(statement__period=month)
    amounts = [_dec(amount) for amount in lines.values_list("net_amount", flat=True)]
    return CloseResult(
        month=month,
        closed_now=closed_now,
        statements=Statement.objects.filter(period=month).count(),
        lines=len(amounts),
        adjustment_lines=lines.filter(is_adjustment=True).count(),
        net_total=sum(amounts, ZERO),
    )


__all__ = ["CloseResult", "PeriodRateResult", "month_bounds", "period_close", "period_rate"]
