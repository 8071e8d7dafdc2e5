"""Ingest of usage events from the managed-service platform, exactly once (R13).

Ingest is set-based. The batch is checked in memory against its subscriptions (one query), then
written in one statement: on PostgreSQL a COPY into a session-local staging table and one
`INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`, whose returned keys are the accepted
events; on SQLite, where a write transaction holds the database lock from its first statement,
a look-up of the keys already stored and a bulk insert of the rest. The named unique constraint
`usage_event_unique_sender_id` is what makes a repeated or raced event a duplicate. Events for
a month already closing or closed ask for that month to be re-rated (`services.rerate_request`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from channeldesk.core.metrics import ingest_record
from channeldesk.core.models import ServiceToken
from channeldesk.core.periods import add_months
from channeldesk.usage.events import EventInput, Rejection
from channeldesk.usage.models import (
    EventKind,
    Subscription,
    UsageEvent,
)
from channeldesk.usage.services import (
    last_closed_month,
    rerate_request,
)

ACCEPTED = "accepted"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass
class IngestReport:
    """Per item of the batch, in its order: accepted, duplicate or rejected (with a reason)."""

    statuses: list[str]
    rejections: dict[int, Rejection] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return self.statuses.count(status)

    @property
    def accepted(self) -> int:
        return self.count(ACCEPTED)

    @property
    def duplicates(self) -> int:
        return self.count(DUPLICATE)

    @property
    def rejected(self) -> int:
        return self.count(REJECTED)


@dataclass(frozen=True, slots=True)
class _Target:
    pk: int
    zone: ZoneInfo
    start: dt.date
    end: dt.date


_ZONES: dict[str, ZoneInfo] = {}


def _zone(name: str) -> ZoneInfo:
    zone = _ZONES.get(name)
    if zone is None:
        zone = _ZONES[name] = ZoneInfo(name)
    return zone


def usage_events_ingest(
    *,
    events: Sequence[EventInput | Rejection],
    sender: ServiceToken | None = None,
    now: dt.datetime | None = None,
) -> IngestReport:
    """Store a batch of events exactly once and answer per item (see the module docstring).

    1. Look up the batch's subscriptions (only the sender's own, when a sender is given: another
       one is reported like an unknown key, so a sender learns nothing about other contracts).
    2. Check each event: known subscription, not in the future beyond the allowed skew, its day
       (in the subscription's time zone) within the contract. The second of two items with the
       same event id in one batch is a duplicate.
    3. Insert, skipping event ids already stored; the skipped ones are duplicates.
    4. Events (and corrections of events) of a month already closed ask for a re-rating, which
       the next close bills as adjustment lines.
    """
    now = now or timezone.now()
    statuses = [REJECTED] * len(events)
    report = IngestReport(statuses=statuses)
    rows = _checked_rows(events, _targets(events, sender), now, report)
    if not rows:
        _ingest_count(report)
        return report
    with transaction.atomic():
        stored = _insert(rows)
        _request_reratings(rows, stored)
    for index, row in rows.items():
        statuses[index] = ACCEPTED if (row[0], row[1]) in stored else DUPLICATE
    _ingest_count(report)
    return report


def _ingest_count(report: IngestReport) -> None:
    """The batch's outcomes and rejection reasons for /metrics (core.metrics)."""
    ingest_record(
        kind="usage_event",
        outcomes=(
            (status, report.rejections[index].reason if status == REJECTED else "")
            for index, status in enumerate(report.statuses)
        ),
    )


def usage_events_check(
    *,
    events: Sequence[EventInput | Rejection],
    sender: ServiceToken | None = None,
    now: dt.datetime | None = None,
) -> IngestReport:
    """Steps 1 and 2 of `usage_events_ingest` only: what would be rejected; nothing is stored."""
    report = IngestReport(statuses=[REJECTED] * len(events))
    rows = _checked_rows(events, _targets(events, sender), now or timezone.now(), report)
    for index in rows:
        report.statuses[index] = ACCEPTED
    return report


def _targets(
    events: Sequence[EventInput | Rejection], sender: ServiceToken | None
) -> dict[str, _Target]:
    keys = {item.subscription_key for item in events if isinstance(item, EventInput)}
    subscriptions = Subscription.objects.filter(subscription_key__in=keys)
    if sender is not None:
        subscriptions = subscriptions.filter(senders__token=sender)
    rows = subscriptions.values_list(
        "subscription_key", "pk", "time_zone", "contract__start_date", "contract__end_date"
    )
    return {key: _Target(pk, _zone(zone), start, end) for key, pk, zone, start, end in rows}


type _Row = tuple[int, str, str, str, str, dt.datetime, dt.date | None, int, str | None]


class _LocalDays:
    """The day of an instant in a time zone, fast: the zone's UTC offset is looked up once per
    quarter hour of UTC (since 1972 every zone's offset is a multiple of 15 minutes and changes
    on a quarter hour), and each day's `date` is built once."""

    __slots__ = ("days", "offsets")

    def __init__(self) -> None:
        self.offsets: dict[tuple[ZoneInfo, int], float] = {}
        self.days: dict[int, dt.date] = {}

    def on(self, stamp: float, zone: ZoneInfo) -> dt.date:
        quarter = int(stamp // 900)
        offset = self.offsets.get((zone, quarter))
        if offset is None:
            moment = dt.datetime.fromtimestamp(quarter * 900, zone)
            offset = self.offsets[zone, quarter] = moment.utcoffset().total_seconds()  # type: ignore[union-attr]
        number = int((stamp + offset) // 86400)
        day = self.days.get(number)
        if day is None:
            day = self.days[number] = _EPOCH + dt.timedelta(days=number)
        return day


_EPOCH = dt.date(1970, 1, 1)


def _checked_rows(
    events: Sequence[EventInput | Rejection],
    targets: dict[str, _Target],
    now: dt.datetime,
    report: IngestReport,
) -> dict[int, _Row]:
    """Step 2: the rows to insert by batch index; rejections and in-batch duplicates noted."""
    latest = (now + dt.timedelta(seconds=settings.USAGE_FUTURE_SKEW_SECONDS)).timestamp()
    rows: dict[int, _Row] = {}
    seen: set[tuple[int, str]] = set()
    void = EventKind.VOID
    local_days = _LocalDays()
    for index, item in enumerate(events):
        if type(item) is Rejection:
            report.rejections[index] = item
            continue
        assert isinstance(item, EventInput)
        target = targets.get(item.subscription_key)
        if target is None:
            report.rejections[index] = _rejection(item, "unknown_subscription")
            continue
        stamp = item.occurred_at.timestamp()
        if stamp > latest:
            report.rejections[index] = _rejection(item, "in_future")
            continue
        day = None
        if item.kind != void:
            day = local_days.on(stamp, target.zone)
            if day < target.start or day > target.end:
                reason = "before_contract_start" if day < target.start else "after_contract_end"
                report.rejections[index] = _rejection(item, reason)
                continue
        key = (target.pk, item.event_id)
        if key in seen:
            report.statuses[index] = DUPLICATE
            continue
        seen.add(key)
        rows[index] = (
            target.pk,
            item.event_id,
            item.kind,
            item.user_key,
            item.service,
            item.occurred_at,
            day,
            item.quantity,
            item.target_event_id,
        )
    return rows


REJECTION_MESSAGES = {
    "unknown_subscription": gettext_noop("subscription_key: no such subscription for this sender."),
    "in_future": gettext_noop("occurred_at: lies in the future."),
    "before_contract_start": gettext_noop("occurred_at: before the contract starts."),
    "after_contract_end": gettext_noop("occurred_at: after the contract ended."),
}


def _rejection(item: EventInput, reason: str) -> Rejection:
    return Rejection(reason, _(REJECTION_MESSAGES[reason]), item.event_id)


def _insert(rows: dict[int, _Row]) -> set[tuple[int, str]]:
    """Step 3: insert the rows whose key is new; answers the keys inserted."""
    received_at = timezone.now()
    if connection.vendor == "postgresql":
        return _insert_postgresql(rows.values(), received_at)
    return _insert_generic(list(rows.values()), received_at)


_COLUMNS = (
    "subscription_id, event_id, kind, user_key, service, occurred_at, usage_date, quantity, "
    "target_event_id, received_at"
)
_STAGE = "usage_event_stage"


def _copy_text(value: str) -> str:
    # Parsing refused control characters, so only the backslash needs escaping for COPY.
    return value.replace("\\", "\\\\")


def _copy_buffer(rows: Iterable[_Row], received_at: str) -> str:
    lines: list[str] = []
    append = lines.append
    day_texts: dict[dt.date | None, str] = {None: "\\N"}
    for sub, raw_event_id, kind, raw_user, raw_service, occurred, day, quantity, target in rows:
        event_id, user, service = raw_event_id, raw_user, raw_service
        if "\\" in event_id or "\\" in user or "\\" in service:
            event_id, user, service = _copy_text(event_id), _copy_text(user), _copy_text(service)
        day_text = day_texts.get(day)
        if day_text is None:
            day_text = day_texts[day] = day.isoformat()  # type: ignore[union-attr]
        target_text = _copy_text(target) if target else "\\N"
        append(
            f"{sub}\t{event_id}\t{kind}\t{user}\t{service}\t{occurred.isoformat()}\t"
            f"{day_text}\t{quantity}\t{target_text}\t{received_at}\n"
        )
    return "".join(lines)


def stage_create(cursor: object) -> None:
    """The session-local staging table, empty; shared with the benchmark.

    Its rows vanish at commit, but not when ingest runs inside a caller's transaction (a
    savepoint commits nothing), so it is emptied here too: a batch never sees another's rows.
    """
    cursor.execute(  # type: ignore[attr-defined]
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (subscription_id bigint, event_id text, "  # noqa: S608 - fixed names
        "kind text, user_key text, service text, occurred_at timestamptz, usage_date date, "
        "quantity integer, target_event_id text, received_at timestamptz) ON COMMIT DELETE ROWS; "
        f"DELETE FROM {_STAGE}"
    )


def stage_insert_sql() -> str:
    table = UsageEvent._meta.db_table
    return (
        f"INSERT INTO {table} ({_COLUMNS}) SELECT {_COLUMNS} FROM {_STAGE} "  # noqa: S608 - table names and integer ids, no input
        "ON CONFLICT (subscription_id, event_id) DO NOTHING RETURNING subscription_id, event_id"
    )


def _insert_postgresql(rows: Iterable[_Row], received_at: dt.datetime) -> set[tuple[int, str]]:
    data = _copy_buffer(rows, received_at.isoformat())
    with connection.cursor() as cursor:
        stage_create(cursor)
        with cursor.copy(f"COPY {_STAGE} ({_COLUMNS}) FROM STDIN") as copy:
            copy.write(data)
        cursor.execute(stage_insert_sql())
        return {(row[0], row[1]) for row in cursor.fetchall()}


def _insert_generic(rows: list[_Row], received_at: dt.datetime) -> set[tuple[int, str]]:
    existing: set[tuple[int, str]] = set()
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        found = UsageEvent.objects.filter(
            subscription_id__in={row[0] for row in chunk}, event_id__in={row[1] for row in chunk}
        ).values_list("subscription_id", "event_id")
        existing.update(found)
    new = [row for row in rows if (row[0], row[1]) not in existing]
    adapt = connection.ops.adapt_datetimefield_value
    received = adapt(received_at)
    table = UsageEvent._meta.db_table
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",  # noqa: S608
            [
                (
                    sub,
                    event_id,
                    kind,
                    user,
                    service,
                    adapt(occurred),
                    day.isoformat() if day else None,
                    quantity,
                    target,
                    received,
                )
                for sub, event_id, kind, user, service, occurred, day, quantity, target in new
            ],
        )
    return {(row[0], row[1]) for row in new}


def _request_reratings(rows: dict[int, _Row], stored: set[tuple[int, str]]) -> None:
    """Step 4. Read after the insert: see `closing.period_close` for why that order matters."""
    closed = last_closed_month()
    if closed is None or not stored:
        return
    open_from = add_months(closed, 1)
    months: set[tuple[int, dt.date]] = set()
    corrections = Q()
    for sub, event_id, _kind, _user, _service, _occurred, day, _qty, target in rows.values():
        if (sub, event_id) not in stored:
            continue
        if day is not None and day < open_from:
            months.add((sub, day.replace(day=1)))
        if target is not None:
            corrections |= Q(subscription_id=sub, event_id=target)
    if corrections:
        found = UsageEvent.objects.filter(corrections, usage_date__lt=open_from)
        for sub, day in found.values_list("subscription_id", "usage_date"):
            if day is not None:
                months.add((sub, day.replace(day=1)))
    rerate_request(months=months)
