"""Bulk writers for the demo load: PostgreSQL COPY, batched INSERTs everywhere else.

Ten million order lines through the ORM would take an hour and gigabytes; COPY streams rows
straight into the table at the speed the server can index them. Rows carry their primary keys
(allocated by the loader), so orders and their lines can be written without reading ids back.
Both writers work inside the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import batched
from typing import Any, Protocol

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Field, Max, Model
from psycopg import sql

INSERT_BATCH = 5_000


class TableWriter(Protocol):
    def write(
        self, *, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        """Insert `rows` (values in the order of `fields`, model field names) into the table."""


def columns_of(*, model: type[Model], fields: Sequence[str]) -> list[str]:
    """Database column names of model fields ('partner' -> 'partner_id')."""
    columns = []
    for name in fields:
        field = model._meta.get_field(name)
        if not isinstance(field, Field) or field.column is None:
            raise TypeError(f"{model.__name__}.{name} is not a concrete field.")
        columns.append(field.column)
    return columns


class PostgresCopyWriter:
    """COPY … FROM STDIN over the connection Django already holds (same transaction)."""

    def write(
        self, *, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        statement = sql.SQL("COPY {table} ({columns}) FROM STDIN").format(
            table=sql.Identifier(model._meta.db_table),
            columns=sql.SQL(", ").join(
                sql.Identifier(column) for column in columns_of(model=model, fields=fields)
            ),
        )
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(row)


class InsertWriter:
    """Parameterised INSERT with executemany, in batches (SQLite and any other backend)."""

    def write(
        self, *, model: type[Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> None:
        quote = connection.ops.quote_name
        columns = columns_of(model=model, fields=fields)
        statement = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names, not input
            quote(model._meta.db_table),
            ", ".join(quote(column) for column in columns),
            ", ".join(["%s"] * len(columns)),
        )
        with connection.cursor() as cursor:
            for batch in batched(rows, INSERT_BATCH):
                cursor.executemany(statement, batch)


def writer_for_connection() -> TableWriter:
    return PostgresCopyWriter() if connection.vendor == "postgresql" else InsertWriter()


def next_id(*, model: type[Model]) -> int:
    """The first free primary key: the loader numbers new rows itself, from here on."""
    return int(model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


def sequences_reset(*, models: Sequence[type[Model]]) -> None:
    """Move PostgreSQL's id sequences past the rows written with explicit ids, so that later ORM
    inserts do not collide. SQLite's AUTOINCREMENT follows explicit ids by itself (no SQL)."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)
