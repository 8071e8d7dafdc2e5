"""Under-licensing detection (R12): the daily scan, its episodes, true-up quotes.

The scan writes one `ComplianceRecord` per enterprise contract in force on the day, in **one
INSERT … SELECT** over the contracts, an aggregate of the installations and the previous day's
records (PostgreSQL and SQLite alike):

1. Active installations per contract: not retired, first seen on or before the day, last seen
   within LICENSING_ACTIVE_DAYS of it, under any keycode that licenses the contract now.
2. Tolerance: max(LICENSING_TOLERANCE_SEATS, ⌈seats × LICENSING_TOLERANCE_PERCENT / 100⌉).
3. Over: active > seats + tolerance. `over_since` carries over from the contract's previous
   record while the contract stays over, and starts afresh otherwise. The previous record is
   the latest one within the persistence window before the day (normally yesterday's): a scan
   that was skipped does not restart the window, a record older than the window does.
4. Status: under-licensed once over on LICENSING_PERSISTENCE_DAYS days in a row (heavily
   under-licensed when active ≥ LICENSING_HEAVY_FACTOR × seats as well); otherwise near the
   limit from LICENSING_NEAR_LIMIT_PERCENT % utilisation; otherwise compliant.
5. Peak: the highest active count in the contract's term so far (the previous record's peak
   or today's count).

Running the scan for a day again replaces that day's records (ON CONFLICT … DO UPDATE), so a
repeated or late run changes nothing. Missed days are caught up in order (`compliance_run`),
from the data known at the time of the run.

Episodes: an under-licensed contract without an open episode gets one (its true-up quote is
stored with it); an open episode whose contract is no longer under-licensed is closed. The
partner is told once per episode (`notices.py`). The opening and closing emit the webhook events
`licence.under_licensed` and `licence.compliant_again` in the scan's transaction, all of a day's
in one call (`webhook_events.py`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from itertools import batched
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone

from channeldesk.contracts.models import Contract, CustomerAssignment
from channeldesk.contracts.selectors import NoPartnerAssigned, customer_partner_on
from channeldesk.core.money import money_round
from channeldesk.licensing.models import (
    UNDER_LICENSED_STATUSES,
    ComplianceEpisode,
    ComplianceRecord,
)
from channeldesk.licensing.services import installations_mark_stale, keycodes_follow_renewals
from channeldesk.licensing.webhook_events import compliance_transitions_emit
from channeldesk.partners.models import Partner
from channeldesk.pricing.selectors import NoTierInForce, PriceQuote, price_quote

# Catch-up after a downtime goes back at most this far.
MAX_CATCH_UP_DAYS = 31
QUOTE_CHUNK = 500

_SCAN_SQL = """
INSERT INTO licensing_compliancerecord
    (contract_id, day, seats, active_installations, peak_installations, tolerance,
     over_since, status)
SELECT contract_id, %(day)s, seats, active, peak, tolerance, over_since,
    CASE
        WHEN over_since IS NOT NULL AND over_since <= %(persisted_since)s THEN
            CASE WHEN active >= seats * %(heavy)s THEN 'heavily_under_licensed'
                 ELSE 'under_licensed' END
        WHEN active * 100 >= seats * %(near)s THEN 'near_limit'
        ELSE 'compliant'
    END
FROM (
    SELECT contract_id, seats, active, tolerance,
        CASE WHEN previous_peak > active THEN previous_peak ELSE active END AS peak,
        CASE WHEN active > seats + tolerance
             THEN COALESCE(previous_over_since, %(day)s) ELSE NULL END AS over_since
    FROM (
        SELECT c.id AS contract_id, c.seats AS seats,
            COALESCE(counted.active, 0) AS active,
            COALESCE(previous.peak_installations, 0) AS previous_peak,
            previous.over_since AS previous_over_since,
            CASE WHEN (c.seats * %(percent)s + 99) / 100 > %(minimum)s
                 THEN (c.seats * %(percent)s + 99) / 100 ELSE %(minimum)s END AS tolerance
        FROM contracts_contract c
        JOIN catalog_product p ON p.id = c.product_id AND p.kind = 'enterprise'
        LEFT JOIN (
            SELECT k.contract_id, COUNT(*) AS active
            FROM licensing_installation i
            JOIN licensing_keycode k ON k.id = i.keycode_id
            WHERE i.state <> 'retired' AND i.last_seen_on >= %(active_from)s
              AND i.first_seen_on <= %(day)s
            GROUP BY k.contract_id
        ) counted ON counted.contract_id = c.id
        LEFT JOIN licensing_compliancerecord previous
            ON previous.contract_id = c.id AND previous.day = (
                SELECT MAX(earlier.day) FROM licensing_compliancerecord earlier
                WHERE earlier.contract_id = c.id
                  AND earlier.day < %(day)s AND earlier.day >= %(previous_from)s
            )
        WHERE c.start_date <= %(day)s AND c.end_date >= %(day)s
    ) base
) scanned
WHERE 1 = 1
ON CONFLICT (contract_id, day) DO UPDATE SET
    seats = excluded.seats,
    active_installations = excluded.active_installations,
    peak_installations = excluded.peak_installations,
    tolerance = excluded.tolerance,
    over_since = excluded.over_since,
    status = excluded.status
"""


@dataclass(frozen=True)
class ScanResult:
    day: dt.date
    contracts: int
    by_status: dict[str, int]
    episodes_opened: int
    episodes_closed: int


def _parameters(day: dt.date) -> dict[str, Any]:
    adapt = connection.ops.adapt_datefield_value
    return {
        "day": adapt(day),
        "previous_from": adapt(day - dt.timedelta(days=settings.LICENSING_PERSISTENCE_DAYS)),
        "active_from": adapt(day - dt.timedelta(days=settings.LICENSING_ACTIVE_DAYS - 1)),
        "persisted_since": adapt(day - dt.timedelta(days=settings.LICENSING_PERSISTENCE_DAYS - 1)),
        "percent": settings.LICENSING_TOLERANCE_PERCENT,
        "minimum": settings.LICENSING_TOLERANCE_SEATS,
        "near": settings.LICENSING_NEAR_LIMIT_PERCENT,
        "heavy": settings.LICENSING_HEAVY_FACTOR,
    }


def compliance_scan(*, day: dt.date, with_quotes: bool = True) -> ScanResult:
    """Write the day's compliance records and open/close the episodes (one transaction)."""
    with transaction.atomic():
        keycodes_follow_renewals(today=day)
        with connection.cursor() as cursor:
            cursor.execute(_SCAN_SQL, _parameters(day))
            contracts = cursor.rowcount
        closed = _episodes_close(day=day)
        opened = _episodes_open(day=day)
        compliance_transitions_emit(day=day)
        if with_quotes:
            episodes_quote()
    by_status = dict(
        ComplianceRecord.objects.filter(day=day)
        .values("status")
        .annotate(count=Count("pk"))
        .values_list("status", "count")
    )
    return ScanResult(
        day=day,
        contracts=contracts,
        by_status=by_status,
        episodes_opened=opened,
        episodes_closed=closed,
    )


def compliance_run(*, today: dt.date | None = None) -> list[ScanResult]:
    """Scan every day from the one after the last scanned day through `today` (at most
    MAX_CATCH_UP_DAYS back); today is always scanned again. Idempotent."""
    today = today or timezone.localdate()
    last = (
        ComplianceRecord.objects.filter(day__lt=today)
        .order_by("-day")
        .values_list("day", flat=True)
        .first()
    )
    first = (
        today
        if last is None
        else max(last + dt.timedelta(days=1), today - dt.timedelta(days=MAX_CATCH_UP_DAYS))
    )
    results = []
    day = first
    while day <= today:
        results.append(compliance_scan(day=day))
        day += dt.timedelta(days=1)
    return results


@dataclass(frozen=True)
class ComplianceSweepResult:
    """What one run of the daily licensing sweep did; the whole numbers are its job's log
    counts."""

    stale_installations: int
    days_scanned: int
    episodes_opened: int
    episodes_closed: int
    notices_queued: int
    digest_queued: bool
    scans: list[ScanResult]


def compliance_sweep(*, today: dt.date, with_notices: bool = True) -> ComplianceSweepResult:
    """The daily licensing sweep, as the job `licensing_daily_compliance` and `channeldesk
    compliance scan` run it, so the two cannot drift apart. Idempotent: a repeated run on a
    day replaces that day's records and queues nothing twice.

    1. Installations not seen within LICENSING_ACTIVE_DAYS become stale, before the scan
       counts the active ones.
    2. Scan every day since the last scan through `today` (`compliance_run`).
    3. Unless `with_notices` is off: the partner notice of every new episode (once per
       episode) and vendor staff's digest of the day (once per day), into the outbox.
    """
    # notices.py builds on this module (`partners_on`), so it is imported when the sweep runs.
    from channeldesk.licensing.notices import digest_send, notices_send  # noqa: PLC0415

    stale = installations_mark_stale(today=today)
    scans = compliance_run(today=today)
    notices_queued, digest_queued = 0, False
    if with_notices:
        notices_queued = notices_send().queued
        digest_queued = digest_send(day=today)
    return ComplianceSweepResult(
        stale_installations=stale,
        days_scanned=len(scans),
        episodes_opened=sum(scan.episodes_opened for scan in scans),
        episodes_closed=sum(scan.episodes_closed for scan in scans),
        notices_queued=notices_queued,
        digest_queued=digest_queued,
        scans=scans,
    )


_UNDER = tuple(str(status) for status in UNDER_LICENSED_STATUSES)


def _episodes_close(*, day: dt.date) -> int:
    still_under = ComplianceRecord.objects.filter(day=day, status__in=_UNDER).values("contract_id")
    return (
        ComplianceEpisode.objects.filter(ended_on__isnull=True, started_on__lt=day)
        .exclude(contract_id__in=still_under)
        .update(ended_on=day)
    )


def _episodes_open(*, day: dt.date) -> int:
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO licensing_complianceepisode "
            "(contract_id, started_on, seats, active_installations) "
            "SELECT r.contract_id, r.day, r.seats, r.active_installations "
            "FROM licensing_compliancerecord r "
            "WHERE r.day = %s AND r.status IN (%s, %s) AND NOT EXISTS ("
            "  SELECT 1 FROM licensing_complianceepisode e "
            "  WHERE e.contract_id = r.contract_id "
            "  AND (e.ended_on IS NULL OR e.started_on = r.day))",
            [adapt(day), *_UNDER],
        )
        return cursor.rowcount


# --- True-up quotes ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TrueUpQuote:
    """The missing seats priced for the rest of the term at the partner's tier discount.

    `price` is the pricing strategy's quote for the missing seats over a whole term; the term
    fraction (remaining days / days of the term, both ends inclusive) scales its list and net
    amount, each rounded once, half up, to the cent.
    """

    contract_number: str
    missing_seats: int
    remaining_days: int
    term_days: int
    price: PriceQuote
    list_amount: Decimal
    net_amount: Decimal

    def as_dict(self) -> dict[str, Any]:
        return {
            "contract_number": self.contract_number,
            "missing_seats": self.missing_seats,
            "remaining_days": self.remaining_days,
            "term_days": self.term_days,
            "price": self.price.as_dict(),
            "list_amount": str(self.list_amount),
            "net_amount": str(self.net_amount),
            "currency": self.price.currency,
        }


def trueup_quote(
    *, contract: Contract, missing_seats: int, on: dt.date, partner: Partner | None = None
) -> TrueUpQuote:
    """Price `missing_seats` of the contract's product for the rest of its term, for the partner
    who looks after the customer on `on` (looked up unless given). Raises `NoPartnerAssigned`
    or `NoTierInForce`."""
    if partner is None:
        partner = customer_partner_on(customer=contract.customer, on=on)
    if partner is None:
        raise NoPartnerAssigned(f"Nobody looks after {contract.customer_id} on {on}.")
    price = price_quote(partner=partner, product=contract.product, quantity=missing_seats, on=on)
    term_days = (contract.end_date - contract.start_date).days + 1
    remaining_days = max(0, (contract.end_date - max(on, contract.start_date)).days + 1)
    fraction = Decimal(remaining_days) / Decimal(term_days)
    return TrueUpQuote(
        contract_number=contract.contract_number,
        missing_seats=missing_seats,
        remaining_days=remaining_days,
        term_days=term_days,
        price=price,
        list_amount=money_round(price.list_amount * fraction),
        net_amount=money_round(price.net_amount * fraction),
    )


def partners_on(*, customer_ids: list[int], on: dt.date) -> dict[int, Partner]:
    """Who looked after each customer on a day (one query)."""
    spans = (
        CustomerAssignment.objects.filter(customer_id__in=customer_ids, valid_from__lte=on)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=on))
        .select_related("partner")
    )
    return {span.customer_id: span.partner for span in spans}


def episodes_quote() -> int:
    """Store the true-up quote of every open episode that has none yet (the gap at its start),
    in chunks: one query for the partners, one price per episode, one bulk update. A partner
    without a tier gets no quote (the episode keeps the explanation instead)."""
    episodes = ComplianceEpisode.objects.filter(
        ended_on__isnull=True, quote__isnull=True
    ).select_related("contract__customer", "contract__product")
    quoted = 0
    for chunk in batched(episodes.iterator(chunk_size=QUOTE_CHUNK), QUOTE_CHUNK):
        customer_ids = sorted({episode.contract.customer_id for episode in chunk})
        for day in {episode.started_on for episode in chunk}:
            partners = partners_on(customer_ids=customer_ids, on=day)
            for episode in (item for item in chunk if item.started_on == day):
                episode.quote = _episode_quote(
                    episode=episode, partner=partners.get(episode.contract.customer_id)
                )
        ComplianceEpisode.objects.bulk_update(chunk, ["quote"])
        quoted += len(chunk)
    return quoted


def _episode_quote(*, episode: ComplianceEpisode, partner: Partner | None) -> dict[str, Any]:
    missing = max(0, episode.active_installations - episode.seats)
    try:
        if partner is None:
            raise NoPartnerAssigned("Nobody looks after the customer.")
        return trueup_quote(
            contract=episode.contract, missing_seats=missing, on=episode.started_on, partner=partner
        ).as_dict()
    except (NoTierInForce, NoPartnerAssigned) as error:
        return {"error": str(error), "missing_seats": missing}
