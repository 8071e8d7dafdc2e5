"""Per-transaction planner settings for the few big set-based queries (PostgreSQL only).

`transaction_settings(work_mem="256MB", jit="off")` runs `set_config(name, value, true)`, the
SET LOCAL form: the settings end with the current transaction and touch no other query on the
connection. Call it inside `transaction.atomic()`. On SQLite it does nothing.
"""

from __future__ import annotations

from django.db import connection


def transaction_settings(**values: str) -> None:
    if connection.vendor != "postgresql" or not values:
        return
    with connection.cursor() as cursor:
        for name, value in values.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
