"""/healthz and /readyz: what a load balancer asks, and what it must always get an answer to."""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from huey.contrib.djhuey import HUEY

from channeldesk.core import health
from tests.personas import Personas

READY_CHECKS = ("Database", "Migrations", "Cache", "JobQueue", "Storage")


def test_liveness_answers_without_touching_the_database() -> None:
    # Given a test without database access (pytest-django refuses every query),
    client = Client()

    # when the supervisor asks whether the process is alive, as text and as JSON,
    text = client.get("/healthz")
    document = client.get("/healthz", HTTP_ACCEPT="application/json")

    # then it is, and nothing is cached on the way.
    assert (text.status_code, text.content) == (200, b"ok\n")
    assert text["Content-Type"].startswith("text/plain")
    assert text["Cache-Control"] == "no-store"
    assert (document.status_code, document.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readiness_names_every_check_as_text_and_json() -> None:
    client = Client()

    text = client.get("/readyz")
    document = client.get("/readyz?format=json")

    assert text.status_code == 200
    lines = text.content.decode().splitlines()
    assert [line.split("(")[0] for line in lines] == list(READY_CHECKS)
    assert all(line.endswith(": OK") for line in lines)
    assert document.status_code == 200
    assert set(document.json().values()) == {"OK"}
    assert [name.split("(")[0] for name in document.json()] == list(READY_CHECKS)


@pytest.mark.django_db
def test_readiness_fails_with_503_when_the_job_queue_is_down_and_shows_no_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Given a job queue whose client fails with its connection string in the message,
    def refuse() -> int:
        raise ConnectionError("redis://:s3cret-password@queue.internal:6379/0 refused")

    monkeypatch.setattr(HUEY.storage, "queue_size", refuse)

    # when the load balancer asks,
    response = Client().get("/readyz", HTTP_ACCEPT="application/json")

    # then the process is taken out of rotation, the failing check is named, and nothing of
    # the connection string is shown.
    assert response.status_code == 503
    assert response.json()["JobQueue()"] == "Unavailable: Job queue unreachable"
    assert response.json()["Database(alias='default')"] == "OK"
    assert "s3cret" not in response.content.decode()
    assert "queue.internal" not in response.content.decode()


@pytest.mark.django_db
def test_readiness_fails_while_migrations_are_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a process whose code has a migration the database lacks,
    monkeypatch.setattr(health, "_MIGRATED", set())
    monkeypatch.setattr(
        MigrationExecutor, "migration_plan", lambda self, targets: [("migration", False)]
    )

    response = Client().get("/readyz")

    assert response.status_code == 503
    assert (
        "Migrations(alias='default'): Unavailable: 1 migrations not applied"
        in response.content.decode()
    )


@pytest.mark.django_db
def test_readiness_passes_once_migrated_and_then_stops_asking(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(health, "_MIGRATED", set())
    assert Client().get("/readyz").status_code == 200

    # Once everything was applied, the probe does not load the migrations again.
    def fail(*arguments: Any) -> None:
        raise AssertionError("migrations loaded again")

    monkeypatch.setattr(MigrationExecutor, "migration_plan", fail)
    assert Client().get("/readyz").status_code == 200


@pytest.mark.django_db
def test_a_hung_check_does_not_hold_the_probe_beyond_its_timeout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(health.JobQueue, "timeout", dt.timedelta(seconds=0.2))
    monkeypatch.setattr(HUEY.storage, "queue_size", lambda: time.sleep(3))

    started = time.monotonic()
    response = Client().get("/readyz", HTTP_ACCEPT="application/json")

    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    assert "Timed out" in response.json()["JobQueue()"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_probes_are_answered_to_any_host_and_never_redirected_to_https(
    path: str, settings: Any
) -> None:
    # Given a production server behind TLS that answers only to its public name,
    settings.ALLOWED_HOSTS = ["channeldesk.example.com"]
    settings.SECURE_SSL_REDIRECT = True

    # when the load balancer probes it by address over plain HTTP,
    client = Client()
    probe = client.get(path, HTTP_HOST="10.0.0.5:8000")

    # then it gets its answer, while any other page by address is refused.
    assert probe.status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="10.0.0.5:8000").status_code == 400
    redirected = client.get("/accounts/login/", HTTP_HOST="channeldesk.example.com")
    assert redirected.status_code == 301


@pytest.mark.django_db
def test_probes_answer_a_staff_session_still_without_a_second_factor(
    personas: Personas,
) -> None:
    # Given a staff login that has not set up its authenticator yet (the second-factor rule
    # sends it to the setup page from everywhere),
    client = Client()
    client.force_login(personas.staff)
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "username": "staff"}
    ]
    session.save()
    assert client.get("/portal/").status_code == 302

    # then the probes still answer it.
    assert client.get("/healthz").status_code == 200
    assert json.loads(client.get("/readyz?format=json").content)["Cache(alias='default')"] == "OK"


REDIS_URL = "redis://127.0.0.1:6379/3"


def _redis_available() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _redis_available(), reason="needs Redis on 127.0.0.1:6379")
@pytest.mark.parametrize(
    ("queue_url", "queue_line"),
    [
        (REDIS_URL, "JobQueue(): OK"),
        (
            "redis://:s3cret-password@127.0.0.1:1/3",
            "JobQueue(): Unavailable: Job queue unreachable",
        ),
    ],
)
def test_readiness_of_a_process_on_redis_from_the_command_line(
    queue_url: str, queue_line: str, tmp_path: Path
) -> None:
    # Given a process configured like production, job queue and cache on Redis (its database
    # a new, empty one: the migrations check fails, the exit code says so),
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "channeldesk.settings",
        "CHANNELDESK_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
        "HUEY_REDIS_URL": queue_url,
        "CACHE_URL": REDIS_URL,
    }

    # when a container's health check runs the readiness checks,
    checked = subprocess.run(
        [sys.executable, "-m", "channeldesk", "health_check", "readyz", "--no-http"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # then it reports each check, and the queue's password appears nowhere.
    lines = checked.stdout.splitlines()
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert queue_line in lines
    assert "Cache(alias='default'): OK" in lines
    assert "Database(alias='default'): OK" in lines
    assert any(line.startswith("Migrations(alias='default'): Unavailable: ") for line in lines)
    assert "s3cret" not in checked.stdout + checked.stderr
