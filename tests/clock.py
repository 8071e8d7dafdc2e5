"""A fixed clock for the tests (a pytest plugin, loaded by tests/conftest.py).

- `@pytest.mark.today("2026-12-07")` freezes the clock for one test and its fixtures.
- `pytest --today 2027-02-28` runs the whole session on that business day. CI uses it to run the
  date-sensitive suites on month ends, 29 February, the DST switches and 31 December, so a test
  that silently depends on the day it runs fails in CI instead of on some later morning.

The clock ticks on from 10:00 Berlin time (or from `--today`'s time when it names one, e.g.
`2027-03-28T01:30`: just before the spring DST switch). Processes the tests start run on the
real clock; run those suites without `--today`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterator

import pytest
import time_machine

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
_TRAVELLER = pytest.StashKey[time_machine.travel]()


def instant_of(text: str) -> dt.datetime:
    """ "2026-12-07" → 10:00 Berlin that day; "2027-03-28T01:30" → that Berlin time."""
    if "T" in text:
        return dt.datetime.fromisoformat(text).replace(tzinfo=BERLIN)
    return dt.datetime.combine(dt.date.fromisoformat(text), dt.time(10), tzinfo=BERLIN)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--today",
        default=None,
        help="run every test on this business day (YYYY-MM-DD or YYYY-MM-DDTHH:MM, Berlin)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """`--today` travels before collection: modules that compute a date at import see it too."""
    today = config.getoption("--today", default=None)
    if today:
        traveller = time_machine.travel(instant_of(today), tick=True)
        traveller.start()
        config.stash[_TRAVELLER] = traveller


def pytest_unconfigure(config: pytest.Config) -> None:
    traveller = config.stash.get(_TRAVELLER, None)
    if traveller is not None:
        traveller.stop()


@pytest.fixture(autouse=True)
def _fixed_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """`@pytest.mark.today(...)` freezes the clock for the test and its fixtures.

    Autouse fixtures are set up before the ones a test names, so the worlds a test builds
    relative to today see the fixed day too.
    """
    marker = request.node.get_closest_marker("today")
    if marker is None:
        yield
        return
    with time_machine.travel(instant_of(marker.args[0]), tick=True):
        yield
