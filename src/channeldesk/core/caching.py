"""The shared cache's table when the cache lives in the database (the embedded default,
`CACHE_URL` unset): created after every migrate, so a fresh install counts its throttles from
the first request. Django's test runner creates it for the test database itself."""

from __future__ import annotations

from typing import Any

from django.core.management import call_command


def cache_tables_ensure(*, using: str, **kwargs: Any) -> None:
    """`post_migrate` receiver: create the table of every database cache that lacks one
    (`createcachetable` skips existing tables and caches of other kinds)."""
    call_command("createcachetable", database=using, verbosity=0)
