"""Structured logs: one JSON object per line with the request id, user and partner of the
request (or the job), ordinary refusals without tracebacks, and errors to Sentry without
personal data."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sentry_sdk
from django.test import Client
from huey.contrib.djhuey import HUEY
from sentry_sdk.envelope import Envelope
from sentry_sdk.transport import Transport

from channeldesk.core.logging import StructuredFormatter, sentry_configure
from channeldesk.jobs import tasks
from tests.operations.children import clean_environment, python_run
from tests.personas import Personas, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines() -> Iterator[Any]:
    """The configured console handler (with its refusal filter) writing JSON into a buffer."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    buffer = io.StringIO()
    previous_stream, previous_formatter = handler.setStream(buffer), handler.formatter
    handler.setFormatter(StructuredFormatter("json"))

    def read() -> list[dict[str, Any]]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    yield read
    handler.setStream(previous_stream)
    handler.setFormatter(previous_formatter)


def finished(lines: list[dict[str, Any]]) -> dict[str, Any]:
    [line] = [line for line in lines if line["event"] == "request_finished"]
    return line


def test_a_request_line_names_the_request_id_user_and_partner(
    personas: Personas, json_lines: Any
) -> None:
    client = Client()
    sign_in(client, personas.partner_a_user)

    response = client.get("/portal/", HTTP_X_REQUEST_ID="lb-4711.abc")

    assert response.status_code == 200
    assert response["X-Request-ID"] == "lb-4711.abc"
    line = finished(json_lines())
    assert line["request_id"] == "lb-4711.abc"
    assert line["user_id"] == personas.partner_a_user.pk
    assert line["partner"] == "A-1000"
    assert (line["code"], line["request"], line["level"]) == (200, "GET /portal/", "info")
    assert line["timestamp"].endswith("Z")


def test_staff_requests_name_the_user_and_no_partner(personas: Personas, json_lines: Any) -> None:
    client = Client()
    sign_in(client, personas.staff)

    client.get("/backoffice/")

    line = finished(json_lines())
    assert line["user_id"] == personas.staff.pk
    assert "partner" not in line
    uuid.UUID(line["request_id"])


@pytest.mark.parametrize(
    "offered", ["", "two words", "x" * 129, 'evil"\n{"level":"critical"}', "ünïcode"]
)
def test_an_unusable_request_id_is_replaced_by_a_new_one(offered: str, json_lines: Any) -> None:
    response = Client().get("/accounts/login/", HTTP_X_REQUEST_ID=offered)

    request_id = response["X-Request-ID"]
    assert str(uuid.UUID(request_id)) == request_id
    assert finished(json_lines())["request_id"] == request_id


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/invitation/SECRET-4711-TOKEN/",
        "/accounts/password/reset/key/1a-SECRET-4711-TOKEN/",
    ],
)
def test_the_secret_of_a_link_never_reaches_the_log(path: str, json_lines: Any) -> None:
    response = Client().get(path)

    lines = json_lines()
    assert response.status_code in (200, 302, 400, 404, 410)
    assert "SECRET-4711" not in json.dumps(lines)
    assert finished(lines)["request"].endswith("[redacted]/")


def test_the_query_string_is_not_logged(json_lines: Any) -> None:
    Client().get("/accounts/login/", {"next": "/portal/customers/?q=Meier"})

    line = finished(json_lines())
    assert line["request"] == "GET /accounts/login/"
    assert "Meier" not in json.dumps(json_lines())


def test_ordinary_refusals_are_logged_without_a_traceback(
    personas: Personas, json_lines: Any
) -> None:
    # Given a partner user asking for another partner's customer (404) and staff asking for a
    # partner page (403),
    partner_client, staff_client = Client(), Client()
    sign_in(partner_client, personas.partner_a_user)
    sign_in(staff_client, personas.staff)

    assert partner_client.get("/portal/customers/B-CUSTOMER-1/").status_code == 404
    assert staff_client.get("/portal/").status_code == 403

    # then each is one line per logger, and none carries a traceback.
    lines = json_lines()
    assert {(line["logger"], line.get("status_code") or line.get("code")) for line in lines} >= {
        ("django.request", 404),
        ("django.request", 403),
        ("django_structlog.middlewares.request", 404),
        ("django_structlog.middlewares.request", 403),
    }
    assert not [line for line in lines if "exception" in line]


@pytest.fixture
def failing_client(personas: Personas, settings: Any) -> Client:
    """Partner A's user signed in on URLs with a page that fails (tests/operations/urls.py),
    answered with 500 rather than raised into the test."""
    settings.ROOT_URLCONF = "tests.operations.urls"
    client = Client(raise_request_exception=False)
    sign_in(client, personas.partner_a_user)
    return client


def test_a_server_error_is_logged_with_its_traceback(
    personas: Personas, json_lines: Any, failing_client: Client
) -> None:
    response = failing_client.get("/test-failure", HTTP_X_REQUEST_ID="failing-1")

    assert response.status_code == 500
    [failed] = [line for line in json_lines() if line["event"] == "request_failed"]
    assert failed["request_id"] == "failing-1"
    assert failed["user_id"] == personas.partner_a_user.pk
    [trace] = failed["exception"]
    assert (trace["exc_type"], trace["exc_value"]) == ("RuntimeError", "the page failed on purpose")


def test_a_job_run_is_logged_with_its_name_outcome_and_duration(json_lines: Any) -> None:
    HUEY.immediate = True
    try:
        tasks.outbox_minutely_dispatch()
    finally:
        HUEY.immediate = False

    [line] = [line for line in json_lines() if line["event"] == "job_finished"]
    assert line["job"] == "outbox_minutely_dispatch"
    assert line["outcome"] == "success"
    assert line["duration_seconds"] >= 0
    assert line["counts"] == {}
    assert line["logger"] == "channeldesk.jobs"


# --- Sentry ---------------------------------------------------------------------------------


class CapturingTransport(Transport):
    def __init__(self) -> None:
        super().__init__()
        self.envelopes: list[Envelope] = []

    def capture_envelope(self, envelope: Envelope) -> None:
        self.envelopes.append(envelope)

    def events(self) -> list[dict[str, Any]]:
        found = [envelope.get_event() for envelope in self.envelopes]
        return [event for event in found if event is not None]


@pytest.fixture
def sentry() -> Iterator[CapturingTransport]:
    transport = CapturingTransport()
    sentry_configure(
        dsn="https://public@sentry.example.invalid/1", environment="test", transport=transport
    )
    yield transport
    # Unbind the client, not just re-init without a DSN: an active client keeps recording
    # breadcrumbs (every SQL statement with its parameters), which made a later memory test of
    # the importer (tests/imports/test_large_files.py) see memory grow with the file.
    sentry_sdk.get_client().close()
    sentry_sdk.get_global_scope().set_client(None)
    sentry_sdk.get_isolation_scope().clear_breadcrumbs()


def test_a_server_error_goes_to_sentry_without_personal_data(
    personas: Personas, sentry: CapturingTransport, failing_client: Client
) -> None:
    assert failing_client.get("/portal/customers/B-CUSTOMER-1/").status_code == 404
    assert failing_client.get("/test-failure", REMOTE_ADDR="203.0.113.9").status_code == 500
    sentry_sdk.flush()

    errors = [event for event in sentry.events() if event.get("exception")]
    assert errors, sentry.events()
    exception_types = {value["type"] for event in errors for value in event["exception"]["values"]}
    assert exception_types == {"RuntimeError"}
    text = json.dumps(sentry.events())
    assert "203.0.113.9" not in text
    assert "sessionid" not in text
    assert personas.partner_a_user.email not in text
    assert {event["environment"] for event in errors} == {"test"}


# --- The settings: format by environment ----------------------------------------------------

EMIT_LINES = """
import logging, django
import structlog
django.setup()
from django.conf import settings
from channeldesk.core.logging import structlog_configure
structlog_configure()
logging.getLogger("django.request").warning("Not Found: %s", "/x", extra={"status_code": 404})
structlog.get_logger("channeldesk.jobs").info("job_finished", job="tiers_daily_sweep")
print(settings.METRICS_TOKEN)
"""


def _start(tmp_path: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = clean_environment(home=tmp_path, var_dir=tmp_path / "var")
    return python_run("-c", EMIT_LINES, environment=clean | environment)


PRODUCTION = {
    "DEBUG": "0",
    "ALLOWED_HOSTS": "channeldesk.example.com",
    "SECRET_KEY": "k" * 60,
}


def test_production_writes_json_lines_and_reads_the_metrics_token_from_its_file(
    tmp_path: Path,
) -> None:
    token_file = tmp_path / "metrics_token"
    token_file.write_text("from-the-file\n", encoding="utf-8")

    started = _start(tmp_path, PRODUCTION | {"METRICS_TOKEN_FILE": str(token_file)})

    assert started.returncode == 0, started.stderr
    assert started.stdout.strip() == "from-the-file"
    lines = [json.loads(line) for line in started.stderr.splitlines()]
    assert [(line["logger"], line["event"]) for line in lines] == [
        ("django.request", "Not Found: /x"),
        ("channeldesk.jobs", "job_finished"),
    ]
    assert lines[1]["job"] == "tiers_daily_sweep"


def test_a_checkout_writes_console_lines_unless_told_otherwise(tmp_path: Path) -> None:
    console = _start(tmp_path, {})
    forced = _start(tmp_path, {"LOG_FORMAT": "json"})

    assert console.returncode == 0, console.stderr
    assert "job_finished" in console.stderr
    assert not console.stderr.lstrip().startswith("{")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stderr.splitlines()[-1])["event"] == "job_finished"


@pytest.mark.parametrize(
    ("environment", "refusal"),
    [
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT=xml: use json or console."),
        ({"METRICS_ALLOWED_NETWORKS": "10.0.0.0/33"}, "METRICS_ALLOWED_NETWORKS: '10.0.0.0/33'"),
    ],
)
def test_a_wrong_setting_stops_the_start_with_its_name(
    environment: dict[str, str], refusal: str, tmp_path: Path
) -> None:
    started = _start(tmp_path, environment)

    assert started.returncode != 0
    assert refusal in started.stderr
