"""Browser tests: pytest-playwright driving Debian's chromium (never a downloaded browser).

They run in the normal suite against pytest-django's live server, on SQLite only: they check
the pages in a real browser (sign-in, htmx, Chart.js, downloads), which does not depend on the
database; every database-specific behaviour behind them is tested on both databases elsewhere.
The PostgreSQL run skips them, which also keeps the suite's time in bounds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from tests.browser.factories import CHROMIUM, CHROMIUM_ARGS

# Playwright's sync API runs an event loop in the test's thread; Django's ORM calls from the
# test itself are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (scripts/system-packages)")
    return {"executable_path": CHROMIUM, "headless": True, "args": CHROMIUM_ARGS}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run on SQLite only, skipped at collection on PostgreSQL: a transactional
    test skipped from inside, after its database was set up, leaves the database emptied of the
    migrations' rows for the next transactional test (seen: the restore drill found no tier
    policy after the skipped browser tests)."""
    if "sqlite" in settings.DATABASES["default"]["ENGINE"]:
        return
    here = Path(__file__).parent
    skip = pytest.mark.skip(
        reason="browser tests run on SQLite only (see tests/browser/conftest.py)"
    )
    for item in items:
        if here in item.path.parents:
            item.add_marker(skip)


@pytest.fixture
def screenshots() -> Path:
    folder = Path(settings.VAR_DIR) / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    return
