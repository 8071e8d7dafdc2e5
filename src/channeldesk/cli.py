"""The `channeldesk` console script: Django's management commands with our settings.

Every command goes through `main`, so what concerns all of them is handled here once:

- Output piped into a reader that stops early (`channeldesk tiers evaluate --format json | head`)
  ends the command quietly, the way `cat` or `grep` end, instead of with a traceback.
- A missing or unreadable file or directory (`OSError` with a file name) ends the command with
  one line on stderr and exit status 1, not a traceback (`--traceback` shows it).
- The start is kept short (benchmarks/cli_start.py): what every process is spared at its start
  is done in settings.py (`channeldesk.core.startup`), so a bare `django.setup()`, the web and
  the job workers start as quickly as a command.
"""

import errno
import os
import signal
import sys

# The exit status of a process ended by SIGPIPE (128 + 13), as the shell reports `cat | head`.
BROKEN_PIPE_EXIT_STATUS = 128 + signal.SIGPIPE
# Errors that mean a path is wrong or not ours, rather than a fault in the command.
_PATH_ERRORS = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EACCES, errno.EPERM, errno.EROFS})


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
        sys.stdout.flush()
    except BrokenPipeError:
        _stop_writing_to_the_closed_pipe()
        sys.exit(BROKEN_PIPE_EXIT_STATUS)
    except OSError as error:
        if error.filename is None or "--traceback" in sys.argv:
            raise
        sys.stderr.write(f"channeldesk: {_file_error_line(error)}\n")
        sys.exit(1)


def _file_error_line(error: OSError) -> str:
    """One line for a missing or unreadable file or directory (a data directory, an --output
    folder), instead of a traceback: the operator needs the path and the reason, not the stack.
    `--traceback` shows the stack."""
    reason = error.strerror or type(error).__name__
    path = error.filename if error.filename2 is None else f"{error.filename} -> {error.filename2}"
    hint = " (check CHANNELDESK_VAR_DIR and the paths given)" if error.errno in _PATH_ERRORS else ""
    return f"error: {reason}: {path}{hint}"


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
