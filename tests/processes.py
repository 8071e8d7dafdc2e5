"""Marks the tests that start processes, and skips the PostgreSQL-only tests on SQLite before
they touch the database (a pytest plugin, loaded by tests/conftest.py).

Tests that start workers, servers or a browser run one after the other (`-m processes`); all
the others run in parallel under pytest-xdist (`-n 2 -m "not processes"`, scripts/run-tests).
A test module that starts processes is listed here, or sets `pytestmark = pytest.mark.processes`.
"""

from __future__ import annotations

import pytest
from django.conf import settings

MODULES_THAT_START_PROCESSES = {
    "tests/browser/test_flows.py",
    "tests/browser/test_page_walk.py",
    "tests/browser/test_programme_cycle.py",
    "tests/contracts/test_reminders_processes.py",
    "tests/imports/test_cli.py",
    "tests/notifications/test_processes.py",
    "tests/operations/test_sqlite_concurrency.py",
    "tests/usage/test_concurrency.py",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    root = config.rootpath
    # A transactional test skipped from inside would still flush the database afterwards, and
    # the flush re-runs post_migrate (the staff roles), which a later serialized test then
    # restores on top of: skipped here, the test never sets the database up.
    on_postgres = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
    for item in items:
        _require_serialized_rollback(item)
        if str(item.path.relative_to(root)) in MODULES_THAT_START_PROCESSES:
            item.add_marker(pytest.mark.processes)
        if not on_postgres and item.get_closest_marker("postgres_only") is not None:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL)"))


def _require_serialized_rollback(item: pytest.Item) -> None:
    """Every transactional test restores the migrations' rows (`serialized_rollback=True`).

    A transactional test empties the database when it ends. Without serialized rollback that
    flush re-runs post_migrate (the staff roles are made again under new ids), and the next
    serialized test, restoring the rows as they were, collides with them. With it everywhere,
    every flush leaves the database empty and every transactional test starts from the
    migrations' rows, in whatever order xdist runs them.
    """
    marker = item.get_closest_marker("django_db")
    if marker is None or not marker.kwargs.get("transaction"):
        return
    if not marker.kwargs.get("serialized_rollback"):
        raise pytest.UsageError(
            f"{item.nodeid}: a transactional test needs serialized_rollback=True "
            "(tests/processes.py)"
        )
