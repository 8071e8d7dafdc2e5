"""Run a `channeldesk` command with the clock moved forward: `python -m
tests.operations.shifted_clock SECONDS outbox dispatch ...`.

The fault tests simulate hours of an outage in seconds: each dispatcher process starts with its
clock SECONDS ahead (time-machine, ticking), as if it ran that much later; the database and the
mail server are real.
"""

from __future__ import annotations

import datetime as dt
import sys

import time_machine


def main() -> None:
    seconds = float(sys.argv[1])
    moved = dt.datetime.now(tz=dt.UTC) + dt.timedelta(seconds=seconds)
    sys.argv = ["channeldesk", *sys.argv[2:]]
    with time_machine.travel(moved, tick=True):
        from channeldesk.cli import main as channeldesk

        channeldesk()


if __name__ == "__main__":
    main()
