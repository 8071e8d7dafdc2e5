"""Staging tables for large imports: the rows of a file go into a temporary table in chunks, and
the checks and writes run as set-based SQL over it.

Why: an import that keeps every row of a file as a Python object grows with the file (about
2.4 KB per order line; a file of 2 million lines passed 4 GB). Staged, the importer holds one
chunk at a time, and the database does the grouping, the lookups and the comparison with what is
stored. A temporary table belongs to the database session alone, needs no migration and is gone
with the session even if the process dies.

Rows go in with `COPY` on PostgreSQL and with `executemany` on SQLite (whose temporary tables
live outside the main database file, so staging takes no write lock on it).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from django.db import connection


class StagingTable:
    """A temporary table of one import run: `name` is unique, the columns are given in SQL types
    both databases understand (`integer`, `bigint`, `varchar(n)`, `date`)."""

    def __init__(self, *, prefix: str, columns: Mapping[str, str]) -> None:
        self.name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        self.columns = dict(columns)
        self.rows = 0
        self._derived: list[str] = []

    @property
    def quoted(self) -> str:
        return connection.ops.quote_name(self.name)

    def create(self) -> None:
        definition = ", ".join(f"{name} {kind}" for name, kind in self.columns.items())
        execute(f"CREATE TEMPORARY TABLE {self.quoted} ({definition})")

    def write(self, rows: Sequence[tuple[Any, ...]]) -> None:
        """Append rows (tuples in column order): one COPY or one executemany per call."""
        if not rows:
            return
        names = ", ".join(self.columns)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {self.quoted} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                insert = f"INSERT INTO {self.quoted} ({names}) VALUES ({marks})"  # noqa: S608 - names from code
                cursor.executemany(insert, rows)
        self.rows += len(rows)

    def analyze(self) -> None:
        """Give PostgreSQL's planner the table's statistics (autovacuum never sees temporary
        tables), so the joins over a million staged rows get a sensible plan."""
        if connection.vendor == "postgresql":
            execute(f"ANALYZE {self.quoted}")

    def derived(self, suffix: str) -> str:
        """The name of a work table that goes with this one (`CREATE TEMPORARY TABLE … AS`),
        dropped with it; the name needs no quoting."""
        name = f"{self.name}_{suffix}"
        if name not in self._derived:
            self._derived.append(name)
        return name

    def drop_derived(self) -> None:
        """Drop the work tables, to plan again from the staged rows."""
        for name in self._derived:
            execute(f"DROP TABLE IF EXISTS {connection.ops.quote_name(name)}")
        self._derived.clear()

    def drop(self) -> None:
        self.drop_derived()
        execute(f"DROP TABLE IF EXISTS {self.quoted}")


@contextmanager
def staging_table(*, prefix: str, columns: Mapping[str, str]) -> Iterator[StagingTable]:
    """A staging table for the duration of the block, dropped afterwards whatever happens."""
    table = StagingTable(prefix=prefix, columns=columns)
    table.create()
    try:
        yield table
    finally:
        table.drop()


def execute(sql: str, params: Sequence[Any] = ()) -> int:
    """Run one statement; the number of rows it touched."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return max(cursor.rowcount, 0)


def fetch_all(sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def fetch_value(sql: str, params: Sequence[Any] = ()) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
        return row[0] if row else None


def cents_as_amount(expression: str) -> str:
    """SQL turning integer cents into the amount a `DecimalField(decimal_places=2)` stores:
    exact `numeric` on PostgreSQL; on SQLite the REAL that Django's own writes end up as."""
    if connection.vendor == "postgresql":
        return f"CAST(CAST({expression} AS numeric) / 100 AS numeric(14, 2))"
    return f"({expression} / 100.0)"


def byte_order(expression: str) -> str:
    """A text expression to group or sort by its bytes, where only equality matters (a window's
    partition): PostgreSQL then sorts a million keys with `memcmp` and abbreviated keys instead
    of the database's collation (`strcoll` per comparison). SQLite compares bytes anyway."""
    if connection.vendor == "postgresql":
        return f'{expression} COLLATE "C"'
    return expression
