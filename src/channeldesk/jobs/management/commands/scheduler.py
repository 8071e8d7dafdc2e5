"""`channeldesk scheduler`: the job consumer that also enqueues the periodic tasks.

Run exactly one per installation (docs/processes.md). A second one started by mistake does no
harm: it finds the scheduler lease held, runs queued tasks like a worker and stands by for the
periodic ones, taking over when the first one stops or dies.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from channeldesk.jobs.consumer import consumer_run
from channeldesk.jobs.management.commands.worker import worker_threads


class Command(BaseCommand):
    help = "Run the job scheduler: the periodic tasks (one per installation) and queued tasks."
    # Like ChannelDesk's other commands, no system checks at every start (commands/console.py).
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--workers",
            type=worker_threads,
            default=None,
            help="Threads running queued tasks (default: HUEY_CONSUMER in settings, 2).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        consumer_run(periodic=True, workers=options["workers"])
