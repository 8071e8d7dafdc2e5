"""The process set's command lines, gunicorn's configuration, and `processes_run`: whatever
ends first, every process of the set is stopped, gently first."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from channeldesk import gunicorn_conf
from channeldesk.commands import processes
from channeldesk.commands.processes import (
    RunResult,
    channeldesk_command,
    gunicorn_command,
    processes_run,
    serve_commands,
)

pytestmark = pytest.mark.processes

SLEEPER = [sys.executable, "-c", "import time; time.sleep(30)"]
# Exits 0 on SIGTERM after "draining" for a moment, like gunicorn and the job consumers; a
# second SIGTERM while draining cuts it short (exit 3), as it does huey's consumer.
DRAINER = [
    sys.executable,
    "-c",
    "import signal, sys, time\n"
    "draining = []\n"
    "def stop(*_):\n"
    "    if draining:\n"
    "        sys.exit(3)\n"
    "    draining.append(1)\n"
    "    time.sleep(0.5)\n"
    "    sys.exit(0)\n"
    "signal.signal(signal.SIGTERM, stop)\n"
    "time.sleep(30)",
]


def test_serve_starts_web_scheduler_and_the_job_workers_with_this_interpreter() -> None:
    commands = serve_commands(host="192.0.2.10", port=9000, web_workers=2, job_workers=2)

    assert commands == {
        "web": channeldesk_command("web", "--bind", "192.0.2.10:9000", "--workers", "2"),
        "scheduler": [sys.executable, "-m", "channeldesk", "scheduler"],
        "worker-1": [sys.executable, "-m", "channeldesk", "worker"],
        "worker-2": [sys.executable, "-m", "channeldesk", "worker"],
    }


def test_serve_without_job_workers_leaves_the_tasks_to_the_scheduler() -> None:
    commands = serve_commands(host="127.0.0.1", port=9000, web_workers=None, job_workers=0)

    assert list(commands) == ["web", "scheduler"]
    assert commands["web"] == channeldesk_command("web", "--bind", "127.0.0.1:9000")


def test_web_runs_gunicorn_with_the_configuration_module() -> None:
    assert gunicorn_command() == [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:channeldesk.gunicorn_conf",
        "channeldesk.wsgi:application",
    ]
    assert gunicorn_command(bind="0.0.0.0:8080", workers=3)[5:] == [
        "--bind",
        "0.0.0.0:8080",
        "--workers",
        "3",
        "channeldesk.wsgi:application",
    ]


def test_a_process_exiting_by_itself_stops_the_others_gently() -> None:
    result = processes_run({"web": DRAINER, "scheduler": [sys.executable, "-c", "exit(3)"]})

    assert result == RunResult({"web": 0, "scheduler": 3}, ended_by="scheduler")
    assert not result.clean


def test_sigterm_stops_all_and_restores_the_handler() -> None:
    handler_before = signal.getsignal(signal.SIGTERM)
    threading.Timer(2.0, os.kill, args=(os.getpid(), signal.SIGTERM)).start()

    result = processes_run({"web": DRAINER, "scheduler": DRAINER, "worker-1": DRAINER})

    assert result == RunResult({"web": 0, "scheduler": 0, "worker-1": 0}, ended_by="signal")
    assert result.clean
    assert signal.getsignal(signal.SIGTERM) is handler_before


def test_a_process_that_does_not_drain_in_time_is_killed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Long enough for DRAINER's half second of draining even on a loaded machine (a grace
    # equal to the drain made "web" lose the race now and then); the stubborn one sleeps 30 s.
    monkeypatch.setattr(processes, "STOP_GRACE_SECONDS", 4)
    stubborn = [
        sys.executable,
        "-c",
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(30)",
    ]
    threading.Timer(2.0, os.kill, args=(os.getpid(), signal.SIGINT)).start()

    result = processes_run({"web": DRAINER, "worker-1": stubborn})

    assert result == RunResult({"web": 0, "worker-1": -signal.SIGKILL}, ended_by="signal")


def test_a_command_that_cannot_start_stops_those_already_started(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    started: list[subprocess.Popen[bytes]] = []
    popen = subprocess.Popen

    def recording_popen(*args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(subprocess, "Popen", recording_popen)

    with pytest.raises(FileNotFoundError):
        processes_run({"web": SLEEPER, "scheduler": [str(tmp_path / "missing")]})
    assert len(started) == 1
    assert started[0].returncode is not None, "the web server was left running"


def test_serve_fails_loudly_when_a_process_dies(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []

    def fake_run(commands: dict[str, list[str]]) -> RunResult:
        started.append(commands)
        return RunResult({"web": 0, "scheduler": 1, "worker-1": 0}, ended_by="scheduler")

    monkeypatch.setattr(processes, "processes_run", fake_run)

    with pytest.raises(CommandError, match="scheduler exited with status 1"):
        call_command("serve", "--port", "8123", "--job-workers", "1", stdout=StringIO())
    assert list(started[0]) == ["web", "scheduler", "worker-1"]


def test_serve_reports_a_process_that_did_not_exit_cleanly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        processes,
        "processes_run",
        lambda _: RunResult({"web": 0, "scheduler": -9}, ended_by="signal"),
    )

    with pytest.raises(CommandError, match=r"not every process exited cleanly: scheduler \(-9\)"):
        call_command("serve", "--job-workers", "0", stdout=StringIO())


@pytest.mark.parametrize("value", ["-1", "two"])
def test_serve_refuses_a_bad_number_of_job_workers(value: str) -> None:
    with pytest.raises(CommandError, match="job workers"):
        call_command("serve", "--job-workers", value, stdout=StringIO())


def _configuration(monkeypatch: pytest.MonkeyPatch, **environment: str) -> object:
    for name in ("BIND", "WEB_CONCURRENCY", "WEB_TIMEOUT", "WEB_GRACEFUL_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    return importlib.reload(gunicorn_conf)


def test_gunicorn_defaults_bind_loopback_and_take_workers_from_the_cores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    configuration = _configuration(monkeypatch)

    assert configuration.bind == ["127.0.0.1:8000"]  # type: ignore[attr-defined]
    assert configuration.workers == 5  # type: ignore[attr-defined]
    assert configuration.timeout == configuration.graceful_timeout == 30  # type: ignore[attr-defined]
    # No access log of gunicorn's: its lines would hold link secrets (reset, invitation).
    assert configuration.accesslog is None  # type: ignore[attr-defined]
    assert gunicorn_conf.default_workers(64) == gunicorn_conf.MAX_DEFAULT_WORKERS


def test_gunicorn_takes_bind_and_concurrency_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configuration = _configuration(
        monkeypatch, BIND="0.0.0.0:9000", WEB_CONCURRENCY="3", WEB_TIMEOUT="60"
    )

    assert configuration.bind == ["0.0.0.0:9000"]  # type: ignore[attr-defined]
    assert configuration.workers == 3  # type: ignore[attr-defined]
    assert configuration.timeout == 60  # type: ignore[attr-defined]


def test_gunicorn_refuses_zero_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="WEB_CONCURRENCY"):
        _configuration(monkeypatch, WEB_CONCURRENCY="0")
    _configuration(monkeypatch)


def test_an_exited_web_worker_is_marked_dead_for_the_metrics(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    marked: list[int] = []
    monkeypatch.setattr("prometheus_client.multiprocess.mark_process_dead", marked.append)
    worker = type("Worker", (), {"pid": 4242})()

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    gunicorn_conf.child_exit(None, worker)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    gunicorn_conf.child_exit(None, worker)

    assert marked == [4242]
