"""`channeldesk web [--bind HOST:PORT] [--workers N]`: the web server, gunicorn with
`channeldesk/gunicorn_conf.py` (workers from the cores, timeouts; one line per request from
ChannelDesk's own request log, not gunicorn's access log).

The command becomes gunicorn (exec): the supervisor's SIGTERM reaches gunicorn's master
directly, which lets the running requests finish (graceful_timeout) and exits 0.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser

from channeldesk.commands.console import ChannelDeskCommand, positive_int
from channeldesk.commands.processes import gunicorn_available, gunicorn_command


class Command(ChannelDeskCommand):
    help = "Run the web server (gunicorn); run as many as the load needs, behind the proxy."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--bind", help="HOST:PORT to listen on (default: BIND, else 127.0.0.1:8000)."
        )
        parser.add_argument(
            "--workers",
            type=positive_int,
            help="Worker processes (default: WEB_CONCURRENCY, else 2 × cores + 1, at most 12).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not gunicorn_available():
            raise CommandError("gunicorn is not installed in this environment (pip install .).")
        command = gunicorn_command(bind=options["bind"], workers=options["workers"])
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(command[0], command)  # noqa: S606 - our own fixed command line
