"""`channeldesk worker`: a job consumer without the periodic tasks.

Run as many as the load needs, on any host that reaches the queue (`HUEY_REDIS_URL`); the
periodic tasks come from the one `channeldesk scheduler` (docs/processes.md).
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from channeldesk.jobs.consumer import consumer_run


def worker_threads(value: str) -> int:
    """An argparse type: a whole number of threads, at least 1."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of workers (1 or more).")
    return number


class Command(BaseCommand):
    help = "Run a job worker: queued tasks only, no periodic tasks (run any number)."
    # Like ChannelDesk's other commands, no system checks at every start (commands/console.py).
    requires_system_checks: list[str] = []
    # Whether this consumer enqueues the periodic tasks (`channeldesk scheduler` does).
    periodic = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            type=worker_threads,
            default=None,
            help="Threads running queued tasks (default: HUEY_CONSUMER in settings, 2).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        consumer_run(periodic=self.periodic, workers=options["workers"])
