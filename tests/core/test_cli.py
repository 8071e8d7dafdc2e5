"""The `channeldesk` console script: what every command shares."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from channeldesk.cli import BROKEN_PIPE_EXIT_STATUS
from channeldesk.commands.console import progress_bar


def run_into_closed_pipe(tmp_path: Path, *arguments: str) -> tuple[int, str]:
    """Run the console script with its output piped to a reader that has already gone (what
    `| head` is once head has its lines); return the exit status and what went to stderr."""
    environment = {**os.environ, "CHANNELDESK_VAR_DIR": str(tmp_path / "var")}
    environment.pop("DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "channeldesk", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=environment,
    )
    assert process.stdout is not None
    process.stdout.close()
    _, stderr = process.communicate(timeout=60)
    return process.returncode, stderr.decode()


@pytest.mark.processes
@pytest.mark.parametrize(
    ("arguments", "status"),
    [
        pytest.param(("help",), BROKEN_PIPE_EXIT_STATUS, id="django's command list"),
        pytest.param(("diffsettings", "--all"), BROKEN_PIPE_EXIT_STATUS, id="a command's output"),
        # argparse drops what it cannot write and exits as asked.
        pytest.param(("tiers", "--help"), 0, id="a command's help"),
    ],
)
def test_output_into_a_closed_pipe_ends_quietly(
    tmp_path: Path, arguments: tuple[str, ...], status: int
) -> None:
    # When a command writes into a pipe whose reader has stopped reading
    returncode, stderr = run_into_closed_pipe(tmp_path, *arguments)

    # Then it ends as a process ended by SIGPIPE would, without a traceback
    assert stderr == ""
    assert returncode == status


def test_a_progress_bar_is_drawn_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    with progress_bar("tier notices", total=2) as advance:
        advance(2)
    assert capsys.readouterr().err == ""

    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    with progress_bar("tier notices", total=2) as advance:
        advance(1)
        advance(1)
    # A live display: the cursor hidden while it runs, and shown again.
    assert capsys.readouterr().err.startswith("\x1b[?25l")


@pytest.mark.processes
def test_the_queue_loads_without_the_postgresql_driver_and_django_still_gets_it(
    tmp_path: Path,
) -> None:
    # Given a fresh interpreter where the settings prepared huey's SQLite queue at the start
    script = (
        "import sys\n"
        "from channeldesk.core.startup import huey_storage_import\n"
        "huey_storage_import(redis_queue=False)\n"
        "import huey.storage\n"
        "print(huey.storage.psycopg is None, 'psycopg' in sys.modules)\n"
        "print(huey.storage.Redis is None, 'redis' in sys.modules)\n"
        "from django.db.backends.postgresql import base\n"
        "print(base.Database.__name__)\n"
        "import redis\n"
        "print(redis.Redis.__name__)\n"
    )
    # When huey and then Django's PostgreSQL backend are imported
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={**os.environ, "CHANNELDESK_VAR_DIR": str(tmp_path / "var")},
    )
    # Then huey went without the driver and the Redis client, and Django and others get them
    assert result.stdout.splitlines() == ["True False", "True False", "psycopg", "Redis"]
