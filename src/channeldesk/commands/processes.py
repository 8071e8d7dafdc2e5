"""The process set of an installation, and running it on one machine (`channeldesk serve`).

docs/processes.md describes the set: `channeldesk web` (gunicorn), one `channeldesk scheduler`
and any number of `channeldesk worker`s. Large installations run each under their own
supervisor (systemd, containers); `channeldesk serve` runs the whole set as children of one
process for small ones and for the demo, and stops them all together.

Stopping drains: each child gets SIGTERM (gunicorn finishes its requests, the job consumers
their running tasks) and has STOP_GRACE_SECONDS to exit before it is killed. The children run
in their own process group, so Ctrl-C at a terminal reaches only `serve`, which then stops
them the same gentle way instead of the terminal interrupting them mid-task.
"""

from __future__ import annotations

import importlib.util
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import FrameType

from django.core.management.base import CommandError, OutputWrapper

GUNICORN_CONFIG = "channeldesk.gunicorn_conf"
# Longer than gunicorn's graceful_timeout (gunicorn_conf.py), so that a request still running
# at the stop may finish; a job task running longer is killed and caught up by its next run.
STOP_GRACE_SECONDS = 45.0
POLL_SECONDS = 0.2


@dataclass(frozen=True, slots=True)
class RunResult:
    """Exit codes by process name (negative: ended by that signal) and what ended the run:
    "signal" (Ctrl-C, SIGTERM) or the name of the process that exited by itself first."""

    exit_codes: dict[str, int | None]
    ended_by: str

    @property
    def clean(self) -> bool:
        """Stopped by a signal, and every process drained and exited 0."""
        return self.ended_by == "signal" and all(code == 0 for code in self.exit_codes.values())


def gunicorn_available() -> bool:
    return importlib.util.find_spec("gunicorn") is not None


def channeldesk_command(*arguments: str) -> list[str]:
    """A `channeldesk` command run with this interpreter (the project's venv)."""
    return [sys.executable, "-m", "channeldesk", *arguments]


def gunicorn_command(*, bind: str | None = None, workers: int | None = None) -> list[str]:
    """gunicorn with ChannelDesk's configuration module; `bind` and `workers` override its
    BIND and WEB_CONCURRENCY."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        f"python:{GUNICORN_CONFIG}",
    ]
    if bind:
        command += ["--bind", bind]
    if workers:
        command += ["--workers", str(workers)]
    return [*command, "channeldesk.wsgi:application"]


def serve_commands(
    *, host: str, port: int, web_workers: int | None, job_workers: int
) -> dict[str, list[str]]:
    """The whole set on one machine: web, the scheduler, `job_workers` job workers."""
    web = ["web", "--bind", f"{host}:{port}"]
    if web_workers:
        web += ["--workers", str(web_workers)]
    commands = {"web": channeldesk_command(*web), "scheduler": channeldesk_command("scheduler")}
    for number in range(1, job_workers + 1):
        commands[f"worker-{number}"] = channeldesk_command("worker")
    return commands


def processes_run(commands: Mapping[str, Sequence[str]]) -> RunResult:
    """Run the named commands until one of them ends or SIGINT/SIGTERM arrives; then stop all
    (SIGTERM, SIGKILL after STOP_GRACE_SECONDS) and report their exit codes."""
    running: dict[str, subprocess.Popen[bytes]] = {}
    stopping: set[str] = set()
    signalled = False
    ended: str | None = None

    def stop_all(signum: int, frame: FrameType | None) -> None:
        nonlocal signalled
        signalled = True
        _terminate(running, stopping)

    previous = {
        number: signal.signal(number, stop_all) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        for name, command in commands.items():
            running[name] = subprocess.Popen(command, process_group=0)  # noqa: S603 - our own
        while not signalled and (ended := _first_ended(running)) is None:
            time.sleep(POLL_SECONDS)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _stop_all(running, stopping)
    exit_codes = {name: process.returncode for name, process in running.items()}
    return RunResult(exit_codes, "signal" if signalled or ended is None else ended)


def _first_ended(running: Mapping[str, subprocess.Popen[bytes]]) -> str | None:
    return next((name for name, process in running.items() if process.poll() is not None), None)


def _terminate(running: Mapping[str, subprocess.Popen[bytes]], stopping: set[str]) -> None:
    """SIGTERM, once, to each process still running: a second one would cut its draining
    short (huey's consumer takes it as "stop now")."""
    for name, process in running.items():
        if process.poll() is None and name not in stopping:
            process.send_signal(signal.SIGTERM)
            stopping.add(name)


def _stop_all(running: Mapping[str, subprocess.Popen[bytes]], stopping: set[str]) -> None:
    """SIGTERM to every process still running, then wait for all of them together; whatever
    has not exited when the grace period is over is killed."""
    _terminate(running, stopping)
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in running.values():
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def serve_run(
    *, stdout: OutputWrapper, host: str, port: int, web_workers: int | None, job_workers: int
) -> RunResult:
    """`channeldesk serve` (and `demo serve`): run the set until stopped. A process that ended
    by itself, or one that did not drain and exit 0, is a CommandError (exit status 1)."""
    if not gunicorn_available():
        raise CommandError("gunicorn is not installed in this environment (pip install .).")
    commands = serve_commands(
        host=host, port=port, web_workers=web_workers, job_workers=job_workers
    )
    stdout.write(f"Starting {', '.join(commands)}; Ctrl-C or SIGTERM stops them all.")
    stdout.flush()
    result = processes_run(commands)
    if result.ended_by != "signal":
        code = result.exit_codes[result.ended_by]
        raise CommandError(
            f"The process {result.ended_by} exited with status {code}; stopped the others too."
        )
    failed = {name: code for name, code in result.exit_codes.items() if code != 0}
    if failed:
        listing = ", ".join(f"{name} ({code})" for name, code in failed.items())
        raise CommandError(f"Stopped, but not every process exited cleanly: {listing}.")
    stdout.write(f"Stopped {', '.join(result.exit_codes)}: each drained and exited 0.")
    return result
