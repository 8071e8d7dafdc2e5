"""Database helpers for the few places that need more than the ORM.

- `transaction_settings(work_mem="256MB", jit="off")`: per-transaction planner settings for the
  big set-based queries (PostgreSQL only). It runs `set_config(name, value, true)`, the SET LOCAL
  form: the settings end with the current transaction and touch no other query on the
  connection. Call it inside `transaction.atomic()`. On SQLite it does nothing.
- `commit_mark` and `others_committed_since`: on SQLite, whether another connection committed
  since a point in time. A long job can then do its reading and checking before it takes the one
  write lock, and keep the lock only for its writes: mark, check without a transaction, then in
  `transaction.atomic()` check again only if someone committed meanwhile
  (docs/operations-sqlite.md, "What code must do on SQLite").
"""

from __future__ import annotations

from django.db import connection


def commit_mark() -> int | None:
    """SQLite: this connection's `PRAGMA data_version`, which changes when another connection
    commits. None elsewhere (PostgreSQL has no single writer to keep short)."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA data_version")
        return int(cursor.fetchone()[0])


def others_committed_since(mark: int | None) -> bool:
    """Whether another connection committed since `commit_mark()` returned `mark` (always True
    without a mark: what was read before may have changed). Ask it on the same connection, e.g.
    first thing inside the write transaction, where nobody else can commit any more."""
    return mark is None or commit_mark() != mark


def transaction_settings(**values: str) -> None:
    if connection.vendor != "postgresql" or not values:
        return
    with connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
