"""`channeldesk serve` for real, embedded (SQLite database and queue in its data directory): it
starts web, scheduler and a job worker, serves pages, runs the periodic tasks under the lease,
and stops the whole set on SIGTERM, each process draining and exiting 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.notifications.sink import free_port

pytestmark = [pytest.mark.processes, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def _environment(var_dir: Path) -> dict[str, str]:
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in {"DATABASE_URL", "HUEY_REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    return {**environment, "CHANNELDESK_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=20).status_code == 200
    except requests.RequestException:
        return False


def test_serve_runs_the_set_on_one_machine_and_stops_it_cleanly(tmp_path: Path) -> None:
    environment = _environment(tmp_path / "var")
    channeldesk = [sys.executable, "-m", "channeldesk"]
    subprocess.run(
        [*channeldesk, "migrate", "-v", "0"], env=environment, cwd=ROOT, check=True, timeout=300
    )
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as target:
        serve = subprocess.Popen(
            [*channeldesk, "serve", "--port", str(port), "--web-workers", "2"],
            env=environment,
            cwd=ROOT,
            stdout=target,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 120
        while not (
            _answers(f"http://127.0.0.1:{port}/accounts/login/")
            and "is active: it enqueues the periodic tasks" in log.read_text(errors="replace")
        ):
            assert serve.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.5)

        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=90) == 0, log.read_text(errors="replace")
    finally:
        if serve.poll() is None:
            serve.kill()
            serve.wait()

    output = log.read_text(errors="replace")
    assert "Starting web, scheduler, worker-1" in output
    assert "Stopped web, scheduler, worker-1: each drained and exited 0." in output
    assert output.count("Consumer exiting.") == 2
    assert "Shutting down: Master" in output
