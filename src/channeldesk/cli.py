"""The `channeldesk` console script: Django's management commands with our settings.

Every command goes through `main`, so what concerns all of them is handled here once:

- Output piped into a reader that stops early (`channeldesk tiers evaluate --format json | head`)
  ends the command quietly, the way `cat` or `grep` end, instead of with a traceback.
- The start is kept short (benchmarks/cli_start.py); see `_huey_without_postgres_storage`.
"""

import os
import signal
import sys

# The exit status of a process ended by SIGPIPE (128 + 13), as the shell reports `cat | head`.
BROKEN_PIPE_EXIT_STATUS = 128 + signal.SIGPIPE


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
    _huey_without_postgres_storage()
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
        sys.stdout.flush()
    except BrokenPipeError:
        _stop_writing_to_the_closed_pipe()
        sys.exit(BROKEN_PIPE_EXIT_STATUS)


def _huey_without_postgres_storage() -> None:
    """Import the job queue's storage module (huey's, loaded by its Django app at every start)
    with the PostgreSQL driver hidden from it.

    huey imports psycopg whenever it is installed, for a PostgreSQL storage ChannelDesk never
    uses (the queue is huey's SQLite or Redis storage, `HUEY` in settings.py); that costs about
    a tenth of a second at every start, `--help` and SQLite included. Hidden, huey records the
    driver as missing for that storage alone; Django imports it as usual when it connects to
    PostgreSQL.
    """
    if "huey.storage" in sys.modules or "psycopg" in sys.modules:
        return
    sys.modules["psycopg"] = None  # type: ignore[assignment]  # `import psycopg` fails at once
    try:
        import huey.storage  # noqa: F401
    finally:
        del sys.modules["psycopg"]


def _stop_writing_to_the_closed_pipe() -> None:
    """Point stdout at /dev/null: Python flushes it once more on exit, and the rest of the
    buffered output would raise the same error again, outside any handler."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


if __name__ == "__main__":
    main()
