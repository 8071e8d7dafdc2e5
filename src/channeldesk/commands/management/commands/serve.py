"""`channeldesk serve`: the whole process set on one machine, for small installations and the
demo: the web server, the scheduler and the job workers (docs/processes.md).

SIGTERM or Ctrl-C stops them all, each draining first; so does any of them exiting by itself
(a supervisor then restarts the set). Exits 0 only when stopped by a signal and every process
drained and exited 0.
"""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import CommandParser

from channeldesk.commands.console import ChannelDeskCommand, positive_int
from channeldesk.commands.processes import serve_run


def job_worker_count(value: str) -> int:
    """An argparse type: 0 or more job workers (0: the scheduler alone runs the tasks)."""
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"'{value}' is not a number of job workers (0 or more).")
    return number


class Command(ChannelDeskCommand):
    help = "Run the web server, the scheduler and the job workers on this machine."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address (default 127.0.0.1).")
        parser.add_argument("--port", type=int, default=8000, help="Port (default 8000).")
        parser.add_argument(
            "--web-workers",
            type=positive_int,
            default=None,
            help="gunicorn workers (default: WEB_CONCURRENCY, else from the cores).",
        )
        parser.add_argument(
            "--job-workers",
            type=job_worker_count,
            default=1,
            help="Job worker processes besides the scheduler (default 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        serve_run(
            stdout=self.stdout,
            host=options["host"],
            port=options["port"],
            web_workers=options["web_workers"],
            job_workers=options["job_workers"],
        )
