"""`channeldesk demo serve`: what it prints, what it starts, and that stopping stops both."""

import os
import signal
import sys
import threading
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from channeldesk.commands.demo import serve
from channeldesk.commands.demo.serve import ServeResult, processes_run, serve_commands

SLEEPER = [sys.executable, "-c", "import time; time.sleep(30)"]


def test_worker_is_stopped_when_the_server_exits() -> None:
    result = processes_run(background=SLEEPER, foreground=[sys.executable, "-c", "pass"])

    assert result == ServeResult(server=0, worker=-signal.SIGTERM, ended_by="server")


def test_server_is_stopped_when_the_worker_dies() -> None:
    result = processes_run(
        background=[sys.executable, "-c", "raise SystemExit(3)"], foreground=SLEEPER
    )

    assert result == ServeResult(server=-signal.SIGTERM, worker=3, ended_by="worker")


def test_sigterm_stops_both_and_restores_the_handler() -> None:
    handler_before = signal.getsignal(signal.SIGTERM)
    threading.Timer(0.5, os.kill, args=(os.getpid(), signal.SIGTERM)).start()

    result = processes_run(background=SLEEPER, foreground=SLEEPER)

    assert result == ServeResult(server=-signal.SIGTERM, worker=-signal.SIGTERM, ended_by="signal")
    assert signal.getsignal(signal.SIGTERM) is handler_before


def test_server_and_worker_run_with_this_interpreter() -> None:
    worker, server = serve_commands(host="192.0.2.10", port=9000)

    assert worker == [sys.executable, "-m", "channeldesk", "run_huey"]
    assert server[:4] == [sys.executable, "-m", "gunicorn", "channeldesk.wsgi:application"]
    assert server[4:] == ["--workers", "2", "--bind", "192.0.2.10:9000"]


@pytest.mark.django_db
def test_serve_prints_the_logins_and_urls_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []

    def fake_run(*, background: list[str], foreground: list[str]) -> ServeResult:
        started.append((background, foreground))
        return ServeResult(server=0, worker=0, ended_by="signal")

    monkeypatch.setattr("channeldesk.commands.management.commands.demo.processes_run", fake_run)
    out = StringIO()

    call_command("demo", "serve", "--port", "8123", stdout=out)

    output = out.getvalue()
    assert "staff / channeldesk-staff" in output
    assert "support / channeldesk-support" in output
    assert "http://127.0.0.1:8123/admin/" in output
    assert "http://127.0.0.1:8123/api/v1/docs/" in output
    assert started == [serve_commands(host="127.0.0.1", port=8123)]


@pytest.mark.django_db
def test_serve_fails_loudly_when_the_worker_dies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "channeldesk.commands.management.commands.demo.processes_run",
        lambda **_: ServeResult(server=-signal.SIGTERM, worker=1, ended_by="worker"),
    )

    with pytest.raises(CommandError, match="job worker exited with status 1"):
        call_command("demo", "serve", stdout=StringIO())


def test_gunicorn_is_found_in_this_environment() -> None:
    assert serve.gunicorn_available()


def test_the_worker_writes_each_log_line_once() -> None:
    """`run_huey` adds its own handler only to a "huey" logger without one; the one configured
    does not pass its lines on to the root logger's handler as well."""
    import logging

    huey = logging.getLogger("huey")

    assert huey.handlers
    assert huey.propagate is False


@pytest.mark.parametrize(("status", "traceback"), [(403, False), (404, False), (500, True)])
def test_refusals_are_logged_without_a_traceback(status: int, traceback: bool) -> None:
    import logging

    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponse
    from django.utils.log import log_response

    records: list[logging.LogRecord] = []
    console = logging.getLogger().handlers[0]
    original_emit = console.emit
    console.emit = records.append  # type: ignore[method-assign]
    try:
        try:
            raise PermissionDenied("no")
        except PermissionDenied as error:
            log_response("Refused: %s", "/x", response=HttpResponse(status=status), exception=error)
    finally:
        console.emit = original_emit  # type: ignore[method-assign]

    assert [record.getMessage() for record in records] == ["Refused: /x"]
    assert (records[0].exc_info is not None) is traceback
