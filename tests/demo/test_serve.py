"""`channeldesk demo serve`: what it prints and what it starts (the set of `channeldesk serve`;
tests/commands/test_processes.py tests running and stopping it)."""

import signal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from channeldesk.commands import processes
from channeldesk.commands.processes import RunResult, serve_commands


@pytest.mark.django_db
def test_serve_prints_the_logins_and_urls_before_starting(monkeypatch: pytest.MonkeyPatch) -> None:
    started = []

    def fake_run(commands: dict[str, list[str]]) -> RunResult:
        started.append(commands)
        return RunResult(dict.fromkeys(commands, 0), ended_by="signal")

    monkeypatch.setattr(processes, "processes_run", fake_run)
    out = StringIO()

    call_command("demo", "serve", "--port", "8123", stdout=out)

    output = out.getvalue()
    assert "staff / channeldesk-staff" in output
    assert "support / channeldesk-support" in output
    assert "http://127.0.0.1:8123/admin/" in output
    assert "http://127.0.0.1:8123/api/v1/docs/" in output
    assert output.index("staff / channeldesk-staff") < output.index("Starting web, scheduler")
    assert started == [serve_commands(host="127.0.0.1", port=8123, web_workers=2, job_workers=1)]


@pytest.mark.django_db
def test_serve_fails_loudly_when_the_worker_dies(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        processes,
        "processes_run",
        lambda _: RunResult(
            {"web": -signal.SIGTERM, "scheduler": 0, "worker-1": 1}, ended_by="worker-1"
        ),
    )

    with pytest.raises(CommandError, match="worker-1 exited with status 1"):
        call_command("demo", "serve", stdout=StringIO())


def test_gunicorn_is_found_in_this_environment() -> None:
    assert processes.gunicorn_available()


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
