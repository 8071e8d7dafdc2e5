"""/metrics: who may read it, what it counts (requests per view, jobs, ingest) and what it reads
from the database when scraped; and, with real gunicorn workers, that one scrape adds up every
worker's counts (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from huey.contrib.djhuey import HUEY
from prometheus_client.mmap_dict import MmapedDict
from prometheus_client.parser import text_string_to_metric_families

from channeldesk.jobs import metrics as job_metrics
from channeldesk.jobs import tasks
from channeldesk.licensing.ingest import heartbeats_ingest
from channeldesk.licensing.models import ComplianceEpisode, ComplianceRecord
from channeldesk.notifications.models import OutboxMessage
from channeldesk.usage.events import event_parse
from channeldesk.usage.ingest import usage_events_ingest
from tests.notifications.factories import enqueue_many
from tests.personas import Personas, sign_in
from tests.usage.factories import at, event, metered_contract

TOKEN = "metrics-test-token-7f3a"

type Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def scrape(settings: Any) -> Any:
    """Reads /metrics with the token, as Prometheus would; the database figures afresh."""
    settings.METRICS_TOKEN = TOKEN

    def read() -> Samples:
        cache.delete(job_metrics.FIGURES_KEY)
        response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=0.0.4")
        return samples(response.content.decode())

    return read


# --- Who may read it ------------------------------------------------------------------------


@pytest.mark.django_db
def test_metrics_do_not_exist_until_a_token_or_networks_are_configured() -> None:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")

    assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("authorization", "status"),
    [
        ("", 401),
        ("Bearer wrong-token", 401),
        (f"Basic {TOKEN}", 401),
        (f"Bearer {TOKEN}", 200),
        (f"bearer {TOKEN}", 200),
    ],
)
def test_the_bearer_token_opens_the_metrics(authorization: str, status: int, settings: Any) -> None:
    settings.METRICS_TOKEN = TOKEN

    response = Client().get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"channeldesk_" not in response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("address", "status"),
    [("10.1.2.3", 200), ("127.0.0.1", 200), ("192.168.1.9", 403), ("::1", 403)],
)
def test_allowed_networks_open_the_metrics_without_a_token(
    address: str, status: int, settings: Any
) -> None:
    settings.METRICS_ALLOWED_NETWORKS = ["10.0.0.0/8", "127.0.0.1/32"]

    response = Client(REMOTE_ADDR=address).get("/metrics")

    assert response.status_code == status


# --- Requests -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_requests_are_counted_per_view_name_never_per_path(personas: Personas, scrape: Any) -> None:
    client = Client()
    sign_in(client, personas.partner_a_user)
    before = scrape()

    assert client.get("/portal/").status_code == 200
    assert client.get("/portal/customers/NO-SUCH-CUSTOMER-4711/").status_code == 404
    assert client.get("/no/such/page/4711").status_code == 404
    after = scrape()

    counted = "channeldesk_http_requests_total"
    for view, status in [
        ("portal:home", "200"),
        ("portal:customer", "404"),
        ("(unmatched)", "404"),
    ]:
        labels = {"view": view, "method": "GET", "status": status}
        assert value(after, counted, **labels) - value(before, counted, **labels) == 1
    timed = "channeldesk_http_request_duration_seconds_count"
    assert value(after, timed, view="portal:home", method="GET") == (
        value(before, timed, view="portal:home", method="GET") + 1
    )
    assert not [key for key in after if "4711" in str(key)]


# --- Ingest ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_heartbeat_rejections_are_counted_by_reason(scrape: Any) -> None:
    before = scrape()

    heartbeats_ingest(items=["not an object", {"keycode": 7}, {"keycode": 8}])
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    items = "channeldesk_ingest_items_total"
    assert delta(items, kind="heartbeat", outcome="rejected") == 3
    rejections = "channeldesk_ingest_rejections_total"
    assert delta(rejections, kind="heartbeat", reason="not_an_object") == 1
    assert delta(rejections, kind="heartbeat", reason="keycode_missing") == 2


@pytest.mark.django_db
def test_usage_events_are_counted_by_outcome_and_rejection_reason(
    personas: Personas, scrape: Any
) -> None:
    metered_contract(personas.partner_a)
    usage_events_ingest(events=[event("e0", "u1", at(1))])
    before = scrape()

    usage_events_ingest(
        events=[
            event("e1", "u1", at(2)),
            event("e0", "u1", at(1)),
            event("e2", "u1", at(2), key="SUB-UNKNOWN"),
            event_parse("not an object"),
        ]
    )
    after = scrape()

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    items = "channeldesk_ingest_items_total"
    assert delta(items, kind="usage_event", outcome="accepted") == 1
    assert delta(items, kind="usage_event", outcome="duplicate") == 1
    assert delta(items, kind="usage_event", outcome="rejected") == 2
    rejections = "channeldesk_ingest_rejections_total"
    assert delta(rejections, kind="usage_event", reason="unknown_subscription") == 1
    assert delta(rejections, kind="usage_event", reason="malformed") == 1


# --- Jobs -----------------------------------------------------------------------------------


@pytest.fixture
def immediate_jobs() -> Iterator[None]:
    """huey runs each task as it is enqueued, in this process, hooks included."""
    HUEY.immediate = True
    yield
    HUEY.immediate = False


@dataclass
class _SweepResult:
    sent: int
    failed: int
    note: str


DISPATCH = "outbox_minutely_dispatch"


def dispatch_runs(samples: Samples, outcome: str) -> float:
    """How many runs of the outbox dispatch job ended with `outcome`, in scraped `samples`."""
    return value(samples, "channeldesk_job_runs_total", outcome=outcome, job=DISPATCH)


@pytest.mark.django_db
def test_a_successful_sweep_is_counted_timed_and_remembered(
    immediate_jobs: None, scrape: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.delete(job_metrics.LAST_SUCCESS_KEY + DISPATCH)
    before = scrape()
    assert not [key for key in before if key[0].startswith("channeldesk_job_last_success")]
    started = time.time()

    tasks.outbox_minutely_dispatch()
    after = scrape()

    assert dispatch_runs(after, "success") == dispatch_runs(before, "success") + 1
    durations = "channeldesk_job_duration_seconds_count"
    assert value(after, durations, job=DISPATCH) == value(before, durations, job=DISPATCH) + 1
    last = value(after, "channeldesk_job_last_success_timestamp_seconds", job=DISPATCH)
    assert started <= last <= time.time()


@pytest.mark.django_db
def test_a_failing_sweep_is_counted_as_an_error_and_keeps_its_last_success(
    immediate_jobs: None, scrape: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_metrics.job_success_record(job=DISPATCH, at=1_800_000_000.0)
    before = scrape()

    def broken(**arguments: Any) -> None:
        raise RuntimeError("SMTP configuration broken")

    monkeypatch.setattr(tasks, "outbox_dispatch", broken)
    tasks.outbox_minutely_dispatch()
    after = scrape()

    assert dispatch_runs(after, "error") == dispatch_runs(before, "error") + 1
    assert dispatch_runs(after, "success") == dispatch_runs(before, "success")
    last = value(after, "channeldesk_job_last_success_timestamp_seconds", job=DISPATCH)
    assert last == 1_800_000_000.0


def test_a_sweeps_result_gives_the_counts_of_its_log_line() -> None:
    assert job_metrics.result_counts(_SweepResult(sent=3, failed=1, note="x")) == {
        "sent": 3,
        "failed": 1,
    }
    assert job_metrics.result_counts(None) == {}
    assert job_metrics.result_counts({"planned": 2, "dry": True}) == {"planned": 2}


# --- Figures read from the database at scrape time ------------------------------------------


@pytest.mark.django_db
@pytest.mark.today("2026-12-07")
def test_outbox_states_compliance_and_queue_are_read_when_scraped(scrape: Any) -> None:
    messages = enqueue_many(6)
    OutboxMessage.objects.filter(pk__in=[m.pk for m in messages[:2]]).update(status="review")
    OutboxMessage.objects.filter(pk=messages[2].pk).update(status="failed")
    OutboxMessage.objects.filter(pk=messages[3].pk).update(status="sent")
    day = dt.date(2026, 12, 6)
    for contract_id, status in [(1, "compliant"), (2, "compliant"), (3, "under_licensed")]:
        ComplianceRecord.objects.create(
            contract_id=contract_id,
            day=day,
            seats=10,
            active_installations=9,
            peak_installations=9,
            tolerance=1,
            status=status,
        )
    ComplianceRecord.objects.create(
        contract_id=4,
        day=day - dt.timedelta(days=1),
        seats=10,
        active_installations=30,
        peak_installations=30,
        tolerance=1,
        status="heavily_under_licensed",
    )

    found = scrape()

    outbox = "channeldesk_outbox_messages"
    assert value(found, outbox, state="review") == 2
    assert value(found, outbox, state="failed") == 1
    assert value(found, outbox, state="pending") == 2
    assert ("channeldesk_outbox_messages", frozenset({("state", "sent")})) not in found
    assert value(found, "channeldesk_outbox_oldest_due_seconds") > 0
    compliance = "channeldesk_compliance_contracts"
    assert value(found, compliance, status="compliant") == 2
    assert value(found, compliance, status="under_licensed") == 1
    assert value(found, compliance, status="heavily_under_licensed") == 0
    assert value(found, "channeldesk_compliance_scan_day_timestamp_seconds") == (
        dt.datetime(2026, 12, 6, tzinfo=dt.UTC).timestamp()
    )
    assert value(found, "channeldesk_compliance_open_episodes") == 0
    assert value(found, "channeldesk_database_figures_up") == 1
    assert ("channeldesk_job_queue_length", frozenset()) in found
    assert ComplianceEpisode.objects.count() == 0


@pytest.mark.django_db
def test_database_figures_are_read_once_for_many_scrapes(
    scrape: Any, django_assert_max_num_queries: Any, settings: Any
) -> None:
    scrape()
    client = Client()
    with django_assert_max_num_queries(2):  # the cache: the figures and the last successes
        response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert b"channeldesk_outbox_messages" in response.content


# --- Real gunicorn workers ------------------------------------------------------------------


def _start_gunicorn(tmp_path: Path, multiprocess_directory: Path) -> tuple[subprocess.Popen, str]:
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "channeldesk.settings",
        "CHANNELDESK_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.sqlite3'}",
        "PROMETHEUS_MULTIPROC_DIR": str(multiprocess_directory),
        "METRICS_TOKEN": TOKEN,
        "LOG_LEVEL": "WARNING",
    }
    environment.pop("CACHE_URL", None)
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "2",
        "--bind",
        "127.0.0.1:0",
        "channeldesk.wsgi",
    ]
    # In an empty working directory: no gunicorn.conf.py is picked up.
    process = subprocess.Popen(
        command, env=environment, cwd=tmp_path, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    address = ""
    booted = 0
    while time.monotonic() < deadline and booted < 2:
        line = process.stderr.readline()
        if not line and process.poll() is not None:
            raise AssertionError("gunicorn exited before it listened")
        if match := re.search(r"Listening at: (http://\S+)", line):
            address = match.group(1)
        booted += "Booting worker" in line
    assert address, "gunicorn did not listen"
    assert booted == 2, "gunicorn did not boot two workers"
    # Keep reading gunicorn's log, so that a full pipe never blocks it.
    threading.Thread(target=process.stderr.read, daemon=True).start()
    return process, address


def _get(url: str, token: str = "") -> tuple[int, bytes]:
    request = urllib.request.Request(url)  # noqa: S310 - a loopback URL of the test
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _unmatched_per_process(directory: Path) -> dict[str, float]:
    """The count of unmatched GETs in each process's file of the multiprocess directory."""
    counts: dict[str, float] = {}
    for path in directory.glob("counter_*.db"):
        for key, number, _timestamp, _position in MmapedDict.read_all_values_from_file(str(path)):
            if "channeldesk_http_requests_total" in key and "(unmatched)" in key:
                counts[path.name] = counts.get(path.name, 0) + number
    return counts


@pytest.mark.processes
@pytest.mark.slow
def test_one_scrape_adds_up_the_counts_of_every_gunicorn_worker(tmp_path: Path) -> None:
    # Given gunicorn with two workers in multiprocess mode,
    multiprocess_directory = tmp_path / "prometheus"
    multiprocess_directory.mkdir()
    process, address = _start_gunicorn(tmp_path, multiprocess_directory)
    try:
        # when 60 requests arrive on 6 connections at once (each worker serves one at a time,
        # so both take their share),
        def ask(number: int) -> None:
            for attempt in range(10):
                status, _ = _get(f"{address}/no/such/page/{number}-{attempt}")
                assert status == 404

        threads = [threading.Thread(target=ask, args=(number,)) for number in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)

        # then both workers counted some of them,
        per_process = _unmatched_per_process(multiprocess_directory)
        assert len(per_process) == 2, per_process
        assert all(count > 0 for count in per_process.values()), per_process
        # and every scrape, whichever worker answers it, reports all 60.
        for _ in range(4):
            status, body = _get(f"{address}/metrics", TOKEN)
            assert status == 200
            found = samples(body.decode())
            labels = {"view": "(unmatched)", "method": "GET", "status": "404"}
            assert value(found, "channeldesk_http_requests_total", **labels) == 60
        # Without the token, nothing.
        assert _get(f"{address}/metrics")[0] == 401
        assert _get(f"{address}/healthz")[0] == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
