"""Heartbeat batches from a site's management server: up to 10,000 items, one result each.

The path is set-based, whatever the batch size: one query reads the batch's keycodes, one
statement upserts its installations and one inserts its heartbeats.

1. Every item is checked in Python: the fields, then its keycode's format, check symbol, key
   and MAC (each distinct code once per batch). Bad items get `rejected` with the reason.
2. One query loads the batch's keycodes with their contracts; a code that was never issued is
   `unknown_keycode`, a revoked one or one whose contract ended is `rejected`.
3. The good items are grouped per machine (keycode + fingerprint) and upserted in one
   statement: PostgreSQL `INSERT … VALUES … ON CONFLICT DO UPDATE … RETURNING`, SQLite
   `executemany` of the same upsert (its writer lock makes the read-back safe).
4. One heartbeat row per machine and day, inserted with `ON CONFLICT DO NOTHING`: the rows that
   existed already (the same heartbeat sent again) answer `duplicate` and count once.

Everything runs in one transaction; a batch that fails validation as a whole (not a list, too
long) is refused by the caller before anything is read.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import batched
from typing import Any, NamedTuple

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from channeldesk.contracts.models import Contract, ContractStatus
from channeldesk.core.metrics import ingest_record
from channeldesk.licensing.models import Heartbeat, Installation, Keycode, KeycodeStatus
from channeldesk.licensing.services import (
    contract_end_reason,
    contract_in_force,
    keycode_verify_format,
)

HASH = re.compile(r"[0-9a-fA-F]{16,64}")
MAX_VERSION = 32
FUTURE_SLACK = dt.timedelta(minutes=10)

ACCEPTED, DUPLICATE, UNKNOWN, REJECTED = "accepted", "duplicate", "unknown_keycode", "rejected"


@dataclass
class IngestResult:
    """One result per item, in order: `statuses[i]` and, for rejections, `reasons[i]`."""

    statuses: list[str]
    reasons: list[str]
    counts: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "results": [
                {"index": index, "status": status, "reason": reason or None}
                for index, (status, reason) in enumerate(
                    zip(self.statuses, self.reasons, strict=True)
                )
            ],
        }


class _Item(NamedTuple):
    position: int
    keycode_id: int
    fingerprint: str
    installation_uuid: uuid.UUID
    hostname_hash: str
    product_version: str
    seen_at: dt.datetime
    seen_on: dt.date


def _item_error(  # noqa: PLR0911 - one return per check reads best here
    item: Any, now: dt.datetime, oldest: dt.datetime
) -> str | tuple[Any, ...]:
    """The reason an item is malformed, or its parsed fields."""
    if not isinstance(item, Mapping):
        return "not_an_object"
    code, fingerprint = item.get("keycode"), item.get("fingerprint")
    if not isinstance(code, str) or len(code) > 64:
        return "keycode_missing"
    if not isinstance(fingerprint, str) or not HASH.fullmatch(fingerprint):
        return "fingerprint_invalid"
    hostname_hash = item.get("hostname_hash") or ""
    if not isinstance(hostname_hash, str) or (hostname_hash and not HASH.fullmatch(hostname_hash)):
        return "hostname_hash_invalid"
    version = item.get("product_version") or ""
    if not isinstance(version, str) or len(version) > MAX_VERSION:
        return "product_version_invalid"
    try:
        installation_uuid = uuid.UUID(str(item.get("installation_id")))
        seen_at = dt.datetime.fromisoformat(str(item.get("seen_at")))
    except ValueError:
        return "installation_id_or_seen_at_invalid"
    if seen_at.tzinfo is None:
        return "seen_at_without_time_zone"
    if seen_at > now + FUTURE_SLACK:
        return "seen_at_in_the_future"
    if seen_at < oldest:
        return "seen_at_too_old"
    return code, fingerprint.lower(), installation_uuid, hostname_hash.lower(), version, seen_at


def heartbeats_ingest(*, items: Sequence[Any], now: dt.datetime | None = None) -> IngestResult:
    """Record a batch of heartbeats; see the module docstring for the steps."""
    now = now or timezone.now()
    oldest = now - dt.timedelta(days=settings.LICENSING_ACTIVE_DAYS)
    statuses = [REJECTED] * len(items)
    reasons = [""] * len(items)
    parsed: list[tuple[int, tuple[Any, ...]]] = []
    for index, item in enumerate(items):
        checked = _item_error(item, now, oldest)
        if isinstance(checked, str):
            reasons[index] = checked
        else:
            parsed.append((index, checked))
    good = _resolve_keycodes(
        parsed=parsed, statuses=statuses, reasons=reasons, today=timezone.localdate(now)
    )
    if good:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                inserted = _write_postgres(items=good)
            else:
                inserted = _write_executemany(items=good)
        _mark_results(items=good, inserted=inserted, statuses=statuses)
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    ingest_record(kind="heartbeat", outcomes=zip(statuses, reasons, strict=True))
    return IngestResult(statuses=statuses, reasons=reasons, counts=counts)


def _resolve_keycodes(
    *,
    parsed: list[tuple[int, tuple[Any, ...]]],
    statuses: list[str],
    reasons: list[str],
    today: dt.date,
) -> list[_Item]:
    """Steps 1b and 2: the keycodes' format and MAC (each distinct text once), then one query."""
    verdicts: dict[str, tuple[int, int] | str] = {}
    for _index, fields in parsed:
        if fields[0] not in verdicts:
            verdicts[fields[0]] = keycode_verify_format(fields[0])
    pairs = {verdict for verdict in verdicts.values() if isinstance(verdict, tuple)}
    keycodes = _keycodes_load(pairs=pairs, today=today)
    zone = timezone.get_current_timezone()  # the business day of each heartbeat
    good = []
    for index, (code, fingerprint, installation_uuid, hostname_hash, version, seen_at) in parsed:
        verdict = verdicts[code]
        found = keycodes.get(verdict) if isinstance(verdict, tuple) else None
        if isinstance(verdict, str):
            reasons[index] = verdict
        elif found is None:
            statuses[index], reasons[index] = UNKNOWN, "unknown"
        elif isinstance(found, str):
            reasons[index] = found
        else:
            good.append(
                _Item(
                    index,
                    found,
                    fingerprint,
                    installation_uuid,
                    hostname_hash,
                    version,
                    seen_at,
                    seen_at.astimezone(zone).date(),
                )
            )
    return good


def _keycodes_load(
    *, pairs: set[tuple[int, int]], today: dt.date
) -> dict[tuple[int, int], int | str]:
    """(key id, serial) → keycode id, or the reason the keycode is refused."""
    if not pairs:
        return {}
    # Both columns, so that the (key id, serial) unique index answers it.
    rows = Keycode.objects.filter(
        key_id__in={key_id for key_id, _ in pairs}, serial__in=[serial for _, serial in pairs]
    ).values_list(
        "id", "key_id", "serial", "status", "contract_id", "contract__status", "contract__end_date"
    )
    found: dict[tuple[int, int], int | str] = {}
    for keycode_id, key_id, serial, status, contract_id, contract_status, end_date in rows:
        if (key_id, serial) not in pairs:
            continue
        if status == KeycodeStatus.REVOKED:
            found[key_id, serial] = "revoked"
            continue
        contract = Contract(pk=contract_id, status=contract_status, end_date=end_date)
        if contract_status == ContractStatus.RENEWED:  # a renewal not yet followed: rare
            contract = contract_in_force(contract=Contract.objects.get(pk=contract_id), today=today)
        ended = contract_end_reason(contract=contract, today=today)
        found[key_id, serial] = ended or keycode_id
    return found


def _machines(items: list[_Item]) -> dict[tuple[int, str], _Item]:
    """The latest item per machine, with the first and last day it was seen in the batch."""
    latest: dict[tuple[int, str], _Item] = {}
    for item in items:
        key = (item.keycode_id, item.fingerprint)
        known = latest.get(key)
        if known is None or item.seen_at > known.seen_at:
            latest[key] = item
    return latest


def _machine_rows(items: list[_Item]) -> list[tuple[Any, ...]]:
    """One row per machine: the latest item's fields, the batch's first and last day."""
    machines = _machines(items)
    first_seen: dict[tuple[int, str], dt.date] = {}
    for item in items:
        key = (item.keycode_id, item.fingerprint)
        first_seen[key] = min(first_seen.get(key, item.seen_on), item.seen_on)
    return [
        (
            item.keycode_id,
            item.fingerprint,
            item.installation_uuid,
            item.hostname_hash,
            item.product_version,
            "active",
            first_seen[key],
            item.seen_on,
            item.seen_at,
        )
        for key, item in machines.items()
    ]


_COLUMNS = (
    "keycode_id, fingerprint, installation_uuid, hostname_hash, product_version, state, "
    "first_seen_on, last_seen_on, last_seen_at"
)
_ON_CONFLICT = """
ON CONFLICT (keycode_id, fingerprint) DO UPDATE SET
    installation_uuid = CASE WHEN excluded.last_seen_at >= i.last_seen_at
        THEN excluded.installation_uuid ELSE i.installation_uuid END,
    hostname_hash = CASE
        WHEN excluded.last_seen_at >= i.last_seen_at AND excluded.hostname_hash <> ''
        THEN excluded.hostname_hash ELSE i.hostname_hash END,
    product_version = CASE WHEN excluded.last_seen_at >= i.last_seen_at
        THEN excluded.product_version ELSE i.product_version END,
    state = CASE WHEN i.state = 'retired' AND excluded.last_seen_at <= i.retired_at
        THEN 'retired' ELSE 'active' END,
    first_seen_on = CASE WHEN excluded.first_seen_on < i.first_seen_on
        THEN excluded.first_seen_on ELSE i.first_seen_on END,
    last_seen_on = CASE WHEN excluded.last_seen_on > i.last_seen_on
        THEN excluded.last_seen_on ELSE i.last_seen_on END,
    last_seen_at = CASE WHEN excluded.last_seen_at > i.last_seen_at
        THEN excluded.last_seen_at ELSE i.last_seen_at END
"""


def _plain_array(values: Iterable[object]) -> str:
    """An array literal of values that need no quoting (numbers, dates, UUIDs, hex, ISO times)."""
    return "{" + ",".join(map(str, values)) + "}"


def _array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal of the values, each quoted: built with one `join`, where the
    driver would adapt element by element in Python."""
    return (
        "{"
        + ",".join(
            '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values
        )
        + "}"
    )


# Steps 3 and 4 in one statement: the machines are upserted, their heartbeats inserted, and the
# heartbeats that were new come back as (keycode, fingerprint, day). The parameters are one
# array per column (twelve, whatever the batch size), so the driver never binds thousands of
# placeholders.
_WRITE_POSTGRES = f"""
WITH machines AS (
    INSERT INTO licensing_installation AS i ({_COLUMNS})
    SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::uuid[], %s::varchar[], %s::varchar[],
        %s::varchar[], %s::date[], %s::date[], %s::timestamptz[])
    {_ON_CONFLICT}
    RETURNING id, keycode_id, fingerprint
), beats AS (
    SELECT * FROM unnest(%s::bigint[], %s::varchar[], %s::date[], %s::varchar[])
        AS b(keycode_id, fingerprint, seen_on, product_version)
), inserted AS (
    INSERT INTO licensing_heartbeat (installation_id, seen_on, product_version)
    SELECT m.id, b.seen_on, b.product_version
    FROM beats b JOIN machines m ON m.keycode_id = b.keycode_id AND m.fingerprint = b.fingerprint
    ON CONFLICT DO NOTHING
    RETURNING installation_id, seen_on
)
SELECT m.keycode_id, m.fingerprint, inserted.seen_on
FROM inserted JOIN machines m ON m.id = inserted.installation_id
"""  # noqa: S608 - built from constants, no input


def _write_postgres(*, items: list[_Item]) -> set[tuple[int, str, dt.date]]:
    columns = list(zip(*_machine_rows(items), strict=True))
    beats: dict[tuple[int, str, dt.date], str] = {}
    for item in items:
        beats.setdefault((item.keycode_id, item.fingerprint, item.seen_on), item.product_version)
    with connection.cursor() as cursor:
        cursor.execute(
            _WRITE_POSTGRES,
            [
                _plain_array(columns[0]),
                _plain_array(columns[1]),
                _plain_array(columns[2]),
                _array(columns[3]),
                _array(columns[4]),
                _plain_array(columns[5]),
                _plain_array(columns[6]),
                _plain_array(columns[7]),
                _plain_array(value.isoformat() for value in columns[8]),
                _plain_array(key[0] for key in beats),
                _plain_array(key[1] for key in beats),
                _plain_array(key[2] for key in beats),
                _array(beats.values()),
            ],
        )
        return set(cursor.fetchall())


def _write_executemany(*, items: list[_Item]) -> set[tuple[int, str, dt.date]]:
    """SQLite: the upsert with executemany, the ids read back, the new heartbeats inserted."""
    adapt_date = connection.ops.adapt_datefield_value
    adapt_time = connection.ops.adapt_datetimefield_value
    rows = [
        (
            *row[:2],
            row[2].hex,
            *row[3:6],
            adapt_date(row[6]),
            adapt_date(row[7]),
            adapt_time(row[8]),
        )
        for row in _machine_rows(items)
    ]
    ids = _upsert_executemany(rows, [(row[0], row[1]) for row in rows])
    inserted = _heartbeats_insert(items=items, installation_ids=ids)
    machine_of = {pk: key for key, pk in ids.items()}
    return {(*machine_of[pk], day) for pk, day in inserted}


def _upsert_executemany(
    rows: list[tuple[Any, ...]], keys: list[tuple[int, str]]
) -> dict[tuple[int, str], int]:
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO licensing_installation AS i ({_COLUMNS}) "  # noqa: S608 - fixed SQL
            f"VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) {_ON_CONFLICT}",
            rows,
        )
    wanted = set(keys)
    ids: dict[tuple[int, str], int] = {}
    for chunk in batched(sorted({keycode_id for keycode_id, _ in keys}), 500):
        for pk, keycode_id, fingerprint in _installation_ids(chunk):
            if (keycode_id, fingerprint) in wanted:
                ids[keycode_id, fingerprint] = pk
    return ids


def _installation_ids(keycode_ids: tuple[int, ...]) -> list[tuple[int, int, str]]:
    return list(
        Installation.objects.filter(keycode_id__in=keycode_ids).values_list(
            "id", "keycode_id", "fingerprint"
        )
    )


def _heartbeat_rows(
    *, items: list[_Item], installation_ids: dict[tuple[int, str], int]
) -> dict[tuple[int, dt.date], str]:
    """One row per machine and day (the latest item's version), in first-seen order."""
    rows: dict[tuple[int, dt.date], str] = {}
    for item in items:
        rows.setdefault(
            (installation_ids[item.keycode_id, item.fingerprint], item.seen_on),
            item.product_version,
        )
    return rows


def _heartbeats_insert(
    *, items: list[_Item], installation_ids: dict[tuple[int, str], int]
) -> set[tuple[int, dt.date]]:
    """Insert the batch's new heartbeats (SQLite: its writer lock makes read-then-insert safe);
    returns those that were new."""
    rows = _heartbeat_rows(items=items, installation_ids=installation_ids)
    adapt_date = connection.ops.adapt_datefield_value
    existing = _heartbeats_existing(rows=rows)
    new = [key for key in rows if key not in existing]
    with connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO licensing_heartbeat (installation_id, seen_on, product_version) "
            "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
            [(pk, adapt_date(day), rows[pk, day]) for pk, day in new],
        )
    return set(new)


def _heartbeats_existing(*, rows: dict[tuple[int, dt.date], str]) -> set[tuple[int, dt.date]]:
    existing: set[tuple[int, dt.date]] = set()
    for chunk in batched(sorted({pk for pk, _ in rows}), 500):
        existing.update(
            Heartbeat.objects.filter(
                seen_on__in={day for _, day in rows}, installation_id__in=chunk
            ).values_list("installation_id", "seen_on")
        )
    return existing


def _mark_results(
    *, items: list[_Item], inserted: set[tuple[int, str, dt.date]], statuses: list[str]
) -> None:
    """The first item of a new (machine, day) is accepted; every other one is a duplicate."""
    counted: set[tuple[int, str, dt.date]] = set()
    for item in items:
        key = (item.keycode_id, item.fingerprint, item.seen_on)
        if key in inserted and key not in counted:
            statuses[item.position] = ACCEPTED
            counted.add(key)
        else:
            statuses[item.position] = DUPLICATE
