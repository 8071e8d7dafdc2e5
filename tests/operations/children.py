"""Python child processes of the tests, started the way an operator would start them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from django.db import connection


def python_run(
    *arguments: str, environment: Mapping[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`python <arguments>` to its end (two minutes at most), its output captured as text; the
    caller checks the exit status."""
    return subprocess.run(
        [sys.executable, *arguments],
        env=environment,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def clean_environment(*, home: Path, var_dir: Path) -> dict[str, str]:
    """The environment of a fresh ChannelDesk process with nothing of the test run leaking in:
    production settings read only what the caller adds to it."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "DJANGO_SETTINGS_MODULE": "channeldesk.settings",
        "CHANNELDESK_VAR_DIR": str(var_dir),
    }


@contextmanager
def python_processes(
    *command: str, environment: Mapping[str, str], cwd: Path
) -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """A `start(*arguments)` that runs `python <command> <arguments>` in the background, its
    output piped; on leaving, whatever still runs is killed and every process is reaped."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*arguments: str) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(
            [sys.executable, *command, *arguments],
            env=environment,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)


def database_url() -> str:
    """The test database, for processes that must see what the test committed."""
    config = connection.settings_dict
    credentials = quote(config["USER"] or "", safe="")
    if config["PASSWORD"]:
        credentials += ":" + quote(config["PASSWORD"], safe="")
    host = f"{config['HOST'] or '127.0.0.1'}:{config['PORT'] or 5432}"
    return f"postgres://{credentials}@{host}/{config['NAME']}"
