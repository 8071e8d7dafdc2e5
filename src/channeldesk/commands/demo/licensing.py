"""Demo data of the licensing domain, loaded by `channeldesk demo load` after the contracts.

1. Every enterprise contract in force on the plan's day gets its keycode (a serial derived from
   the seed and the contract number, so every load gives the same codes).
2. Its customer is drawn under-licensed or not: public authorities with probability 42 %, the
   others less, so that about a quarter of the customers are (R12, "public authorities first").
   One enterprise contract of an under-licensed customer runs 15 %–90 % more machines than
   seats (three in ten: two to three times; at least seats + tolerance + 1); the extra machines
   appeared between 1 and 120 days
   ago, so a few are not yet over for the persistence window and the trend rises. Every other
   contract runs 35 %–97 % of its seats; about 5 % of machines are stale (not seen for months).
3. The machines are written by one INSERT … SELECT per chunk (generate_series on PostgreSQL,
   an indexed table of numbers on SQLite) from a small staging table, and one heartbeat per
   machine for the day it was last seen; Python handles one row per contract, never one per
   machine.
4. The compliance scan runs for the first and the last day of the persistence window ending on
   the plan's day (set-based), which opens the episodes and stores their true-up quotes. No
   e-mails are queued: the daily job sends the notices and the digest.

Installations stop at `MACHINE_BUDGET` (whole customers, in customer order); later contracts
get keycodes only. The default demo stays far below it.

Idempotent like the rest of the demo: contracts with a keycode are skipped, so a second load adds
nothing (the scan of the plan's day is repeated, which changes nothing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import batched
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from channeldesk.catalog.models import ProductKind
from channeldesk.commands.demo.population import DemoPlan
from channeldesk.contracts.models import Contract, ContractStatus, CustomerSector
from channeldesk.licensing.compliance import compliance_scan
from channeldesk.licensing.keycodes import MAX_SERIAL
from channeldesk.licensing.keys import key_material
from channeldesk.licensing.models import Keycode

PUBLIC_AUTHORITY_SHARE = 0.45
OTHER_SHARE = 0.22
STALE_SHARE = 0.05
CHUNK = 5_000
# At most about this many installations (a default demo has ~600,000). A demo of 100,000
# partners would otherwise write some 65 million rows (hours, tens of GB): beyond the budget,
# contracts get their keycode but no machines (they are "not reporting"). The licensing
# benchmarks build their own data at full scale.
MACHINE_BUDGET = 2_000_000
VERSIONS = ("12.4.2", "12.4.3", "12.5.0", "12.5.1")


@dataclass(frozen=True, slots=True)
class _Staged:
    """`count` machines of one keycode, numbered from `offset`, seen between the two days."""

    keycode_id: int
    offset: int
    count: int
    first_seen: dt.date
    last_seen: dt.date
    state: str
    version: str


def demo_licensing_load(*, plan: DemoPlan, write: Callable[[str], None]) -> None:
    """Load the licensing demo data for the plan; `write` reports a line to the console."""
    today = plan.today
    contracts = keycodes = machines = planned = 0
    budget_reached = False
    for chunk in _contracts_without_keycode(today=today):
        with transaction.atomic():
            ids = _keycodes_write(plan=plan, chunk=chunk, today=today)
            staged = []
            for contract, keycode_id in zip(chunk, ids, strict=True):
                # The budget is checked at a customer's first contract, so a customer has all
                # its machines or none.
                if contract.is_largest and planned >= MACHINE_BUDGET:
                    budget_reached = True
                if budget_reached:
                    continue
                rows = _machines_plan(
                    plan=plan, contract=contract, keycode_id=keycode_id, today=today
                )
                planned += sum(row.count for row in rows)
                staged.extend(rows)
            machines += _machines_write(staged=staged)
        contracts += len(chunk)
        keycodes += len(ids)
    if contracts:
        scanned = _scan(today=today)
        budget = (
            f" (machines for the first customers only: the demo stops at {MACHINE_BUDGET:,})"
            if budget_reached
            else ""
        )
        write(
            f"Licensing: {keycodes:,} keycodes and {machines:,} installations for {contracts:,} "
            f"enterprise contracts{budget}; {scanned}"
        )
        example = certificate_example(today=today)
        if example:
            write(
                f"  try: channeldesk keycodes show {example} · "
                f"channeldesk certificate issue {example}"
            )


def certificate_example(*, today: dt.date) -> str:
    """A running contract with a keycode, for the commands the README shows ("" if none)."""
    return (
        Contract.objects.filter(keycodes__isnull=False, end_date__gte=today)
        .exclude(status=ContractStatus.CANCELLED)
        .order_by("contract_number")
        .values_list("contract_number", flat=True)
        .first()
        or ""
    )


@dataclass(frozen=True, slots=True)
class _Contract:
    id: int
    number: str
    customer_id: int
    sector: str
    seats: int
    start_date: dt.date
    is_largest: bool  # the customer's enterprise contract with the most seats


def _contracts_without_keycode(*, today: dt.date) -> Iterator[list[_Contract]]:
    rows = (
        Contract.objects.filter(
            product__kind=ProductKind.ENTERPRISE, start_date__lte=today, end_date__gte=today
        )
        .exclude(keycodes__isnull=False)
        .order_by("customer_id", "-seats", "pk")
        .values_list(
            "pk", "contract_number", "customer_id", "customer__sector", "seats", "start_date"
        )
    )
    previous_customer = None
    for chunk in batched(rows.iterator(chunk_size=CHUNK), CHUNK):
        contracts = []
        for row in chunk:
            contracts.append(_Contract(*row, is_largest=row[2] != previous_customer))
            previous_customer = row[2]
        yield contracts


def _serial(plan: DemoPlan, contract_number: str) -> int:
    digest = hashlib.sha256(f"demo-keycode:{plan.seed}:{contract_number}".encode()).digest()
    return int.from_bytes(digest[:8], "big") & MAX_SERIAL


def _keycodes_write(*, plan: DemoPlan, chunk: list[_Contract], today: dt.date) -> list[int]:
    key_id = key_material().keycode_key_id
    issued_at = timezone.make_aware(dt.datetime.combine(today, dt.time(8, 0)))
    created = Keycode.objects.bulk_create(
        [
            Keycode(
                contract_id=contract.id,
                key_id=key_id,
                serial=_serial(plan, contract.number),
                issued_at=max(
                    issued_at - dt.timedelta(days=(today - contract.start_date).days),
                    issued_at - dt.timedelta(days=365),
                ),
            )
            for contract in chunk
        ]
    )
    if connection.vendor == "postgresql" or all(keycode.pk for keycode in created):
        return [keycode.pk for keycode in created]
    found = dict(
        Keycode.objects.filter(contract_id__in=[contract.id for contract in chunk]).values_list(
            "contract_id", "pk"
        )
    )
    return [found[contract.id] for contract in chunk]


def _customer_is_over(plan: DemoPlan, contract: _Contract) -> bool:
    rng = random.Random(f"demo-licensing:{plan.seed}:customer:{contract.customer_id}")
    share = (
        PUBLIC_AUTHORITY_SHARE
        if contract.sector == CustomerSector.PUBLIC_AUTHORITY
        else OTHER_SHARE
    )
    return rng.random() < share


def _machines_plan(
    *, plan: DemoPlan, contract: _Contract, keycode_id: int, today: dt.date
) -> list[_Staged]:
    rng = random.Random(f"demo-licensing:{plan.seed}:contract:{contract.number}")
    version = rng.choice(VERSIONS)
    since = max(contract.start_date, today - dt.timedelta(days=400))
    base = max(1, round(contract.seats * rng.uniform(0.35, 0.97)))
    stale = round(base * STALE_SHARE * rng.random() * 2)
    rows = [_Staged(keycode_id, 0, base, since, today, "active", version)]
    if stale:
        long_ago = today - dt.timedelta(days=rng.randint(45, 150))
        rows.append(
            _Staged(keycode_id, base, stale, min(since, long_ago), long_ago, "stale", version)
        )
    if contract.is_largest and _customer_is_over(plan, contract):
        tolerance = max(
            settings.LICENSING_TOLERANCE_SEATS,
            -(-contract.seats * settings.LICENSING_TOLERANCE_PERCENT // 100),
        )
        factor = rng.uniform(2.0, 3.0) if rng.random() < 0.3 else rng.uniform(1.15, 1.9)
        wanted = max(contract.seats + tolerance + 1, round(contract.seats * factor))
        appeared = max(since, today - dt.timedelta(days=rng.randint(1, 120)))
        rows.append(
            _Staged(keycode_id, base + stale, wanted - base, appeared, today, "active", version)
        )
    return rows


def _machines_write(*, staged: list[_Staged]) -> int:
    """Write the staged machines and a heartbeat for the day each was last seen (set-based)."""
    if not staged:
        return 0
    postgres = connection.vendor == "postgresql"
    adapt = connection.ops.adapt_datefield_value
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS licensing_demo_staging (keycode_id bigint, "
            "machine_offset integer, machine_count integer, first_seen date, last_seen date, "
            "state varchar(16), version varchar(32))"
        )
        cursor.execute("DELETE FROM licensing_demo_staging")
        cursor.executemany(
            "INSERT INTO licensing_demo_staging VALUES (%s, %s, %s, %s, %s, %s, %s)",
            [
                (
                    row.keycode_id,
                    row.offset,
                    row.count,
                    adapt(row.first_seen),
                    adapt(row.last_seen),
                    row.state,
                    row.version,
                )
                for row in staged
            ],
        )
        if not postgres:
            _numbers_sqlite(cursor=cursor, up_to=max(row.count for row in staged))
        cursor.execute(_MACHINES_POSTGRES if postgres else _MACHINES_SQLITE, [])
        cursor.execute("SELECT SUM(machine_count) FROM licensing_demo_staging")
        written = int(cursor.fetchone()[0] or 0)
        cursor.execute(
            "INSERT INTO licensing_heartbeat (installation_id, seen_on, product_version) "
            "SELECT i.id, i.last_seen_on, i.product_version FROM licensing_installation i "
            "WHERE i.keycode_id IN (SELECT keycode_id FROM licensing_demo_staging) "
            "ON CONFLICT DO NOTHING"
        )
    return written


_COLUMNS = (
    "keycode_id, fingerprint, installation_uuid, hostname_hash, product_version, state, "
    "first_seen_on, last_seen_on, last_seen_at"
)
# The machine number n of a keycode gives its fingerprint and installation id (deterministic);
# active machines were last seen today or up to two days ago.
_MACHINES_POSTGRES = f"""
INSERT INTO licensing_installation ({_COLUMNS})
SELECT s.keycode_id,
    lpad(to_hex(s.keycode_id), 16, '0') || lpad(to_hex(s.machine_offset + g.n), 16, '0'),
    md5(s.keycode_id || ':' || (s.machine_offset + g.n))::uuid, '', s.version, s.state,
    s.first_seen, s.last_seen - (g.n %% 3),
    (s.last_seen - (g.n %% 3)) + time '07:30' + (g.n %% 600) * interval '1 minute'
FROM licensing_demo_staging s CROSS JOIN LATERAL generate_series(1, s.machine_count) AS g(n)
ON CONFLICT DO NOTHING
"""  # noqa: S608 - built from constants, no input
_MACHINES_SQLITE = f"""
INSERT INTO licensing_installation ({_COLUMNS})
SELECT s.keycode_id,
    printf('%%016x%%016x', s.keycode_id, s.machine_offset + g.n),
    printf('%%016x%%016x', s.machine_offset + g.n, s.keycode_id), '', s.version, s.state,
    s.first_seen, date(s.last_seen, '-' || (g.n %% 3) || ' days'),
    datetime(s.last_seen, '-' || (g.n %% 3) || ' days', '+' || (450 + g.n %% 600) || ' minutes')
FROM licensing_demo_staging s JOIN licensing_demo_numbers g ON g.n <= s.machine_count
WHERE 1 = 1
ON CONFLICT DO NOTHING
"""  # noqa: S608 - built from constants, no input


def _numbers_sqlite(*, cursor: Any, up_to: int) -> None:
    """1 … up_to in an indexed temporary table: SQLite joins it by a range of its rowid, where
    a recursive CTE would be compared with every staged row."""
    cursor.execute(
        "CREATE TEMPORARY TABLE IF NOT EXISTS licensing_demo_numbers (n INTEGER PRIMARY KEY)"
    )
    cursor.execute("SELECT COALESCE(MAX(n), 0) FROM licensing_demo_numbers")
    have = int(cursor.fetchone()[0])
    if have < up_to:
        cursor.executemany(
            "INSERT INTO licensing_demo_numbers (n) VALUES (%s)",
            [(n,) for n in range(have + 1, up_to + 1)],
        )


def _scan(*, today: dt.date) -> str:
    """Scan the first and the last day of a persistence window ending today: the second scan
    carries `over_since` from the first, so today's records are settled in two scans."""
    compliance_scan(
        day=today - dt.timedelta(days=settings.LICENSING_PERSISTENCE_DAYS - 1), with_quotes=False
    )
    result = compliance_scan(day=today)
    statuses = ", ".join(
        f"{status} {count:,}" for status, count in sorted(result.by_status.items())
    )
    return f"compliance on {today}: {statuses}."
