"""Faults with real processes (docs/operations.md): PostgreSQL restarted under load, Redis gone
for a while, the mail server down for an hour.

Each test runs ChannelDesk's own processes (`channeldesk web`, `channeldesk worker`,
`channeldesk scheduler`, `channeldesk outbox dispatch`) against a PostgreSQL cluster and a
redis-server of their own (tests/operations/servers.py), which the test stops and starts while
the processes run; an SMTP sink in this process counts what arrives. Nothing is restarted but
the server at fault.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import requests

from tests.notifications.sink import SmtpSink
from tests.operations.children import python_run
from tests.operations.servers import PrivatePostgres, PrivateRedis, free_port, postgres_missing

pytestmark = [pytest.mark.processes, pytest.mark.postgres_only, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHANNELDESK = str(Path(sys.executable).parent / "channeldesk")
TEMPLATE = "channeldesk_template"
SETTLED = ("sent", "review", "failed", "dismissed")
# How long Redis stays away: a minute (the test then takes about 80 s). A shorter time crosses
# the same paths (every consumer's reads fail, and keep failing, until it is back): set
# FAULTS_REDIS_DOWN_SECONDS=20 for a quicker run.
REDIS_DOWN_SECONDS = float(os.environ.get("FAULTS_REDIS_DOWN_SECONDS", "60"))


def wait_for(condition: Callable[[], Any], *, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout:.0f} s waiting for {what}.")
        time.sleep(0.1)
    return result


@pytest.fixture(scope="module")
def postgres() -> Iterator[PrivatePostgres]:
    """A private cluster with a migrated template database; each test clones it."""
    if reason := postgres_missing():
        pytest.skip(f"A private PostgreSQL cannot be started: {reason}")
    server = PrivatePostgres()
    try:
        server.init()
        server.start()
        server.create_database(TEMPLATE)
        environment = {
            **os.environ,
            "DATABASE_URL": server.url(TEMPLATE),
            "CHANNELDESK_VAR_DIR": str(server.directory / "migrate-var"),
        }
        environment.pop("HUEY_REDIS_URL", None)
        subprocess.run(
            [CHANNELDESK, "migrate", "--noinput", "-v", "0"],
            env=environment,
            check=True,
            capture_output=True,
            timeout=300,
        )
        yield server
    finally:
        server.cleanup()


@pytest.fixture
def redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.cleanup()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """An SMTP sink, created but not started: each test decides when the server is up."""
    server = SmtpSink()
    yield server
    server.controller.stop(no_assert=True)


@dataclass
class Installation:
    """ChannelDesk's processes on one private database, with their output kept in files."""

    directory: Path
    environment: dict[str, str]
    database: str
    postgres: PrivatePostgres
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    outputs: dict[str, IO[bytes]] = field(default_factory=dict)
    driver_process: subprocess.Popen[str] | None = None
    driver_lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self, name: str, *arguments: str) -> subprocess.Popen[bytes]:
        output = (self.directory / f"{name}.log").open("wb")
        process = subprocess.Popen(
            [CHANNELDESK, *arguments],
            env=self.environment,
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        self.processes[name], self.outputs[name] = process, output
        return process

    def log(self, name: str) -> str:
        return (self.directory / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def alive(self, name: str) -> bool:
        return self.processes[name].poll() is None

    def drive(self, command: str) -> str:
        """One command to the driver process (tests/operations/driver.py); its answer."""
        with self.driver_lock:
            if self.driver_process is None:
                self.driver_process = subprocess.Popen(
                    [sys.executable, "-m", "tests.operations.driver"],
                    env=self.environment,
                    cwd=ROOT,
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=(self.directory / "driver.log").open("wb"),
                    text=True,
                )
            assert self.driver_process.stdin is not None
            assert self.driver_process.stdout is not None
            self.driver_process.stdin.write(command + "\n")
            self.driver_process.stdin.flush()
            return self.driver_process.stdout.readline().strip()

    def query(self, sql: str) -> list[tuple[Any, ...]]:
        with self.postgres.connect(self.database) as connection:
            return connection.execute(sql).fetchall()

    def outbox(self) -> dict[str, tuple[str, str, int]]:
        """Every outbox message: Message-ID → (first recipient, status, attempts)."""
        rows = self.query(
            'SELECT message_id, "to", status, attempts FROM notifications_outboxmessage'
        )
        return {row[0]: (row[1][0], row[2], row[3]) for row in rows}

    def unsettled(self) -> int:
        return sum(status not in SETTLED for _, status, _ in self.outbox().values())

    def stop_all(self) -> None:
        if self.driver_process is not None:
            self.driver_process.kill()
            self.driver_process.wait(timeout=30)
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=30)
        for output in self.outputs.values():
            output.close()


@pytest.fixture
def installation(
    request: pytest.FixtureRequest, postgres: PrivatePostgres, tmp_path: Path, sink: SmtpSink
) -> Iterator[Installation]:
    database = re.sub(r"\W", "_", request.node.name)[:50].lower()
    postgres.create_database(database, template=TEMPLATE)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.operations.child_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "CHANNELDESK_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": postgres.url(database),
        "EMAIL_URL": sink.url,
        "EMAIL_TIMEOUT": "2",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "console",
    }
    for variable in ("HUEY_REDIS_URL", "CACHE_URL", "DATABASE_PASSWORD"):
        environment.pop(variable, None)
    site = Installation(tmp_path, environment, database, postgres)
    yield site
    site.stop_all()


# --- PostgreSQL restarted under load ------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    started: float
    ended: float
    user: str
    status: int | str  # the HTTP status, or the name of the error when there was no answer


class Load:
    """Clients asking for password resets (one e-mail each, queued in the outbox) in threads,
    each request as if from another address (behind one proxy), so no rate limit bites."""

    def __init__(self, base_url: str, prefix: str) -> None:
        self.base_url = base_url
        self.users = (f"{prefix}-{i}" for i in itertools.count())
        self.lock = threading.Lock()
        self.answers: list[Answer] = []
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []

    def reset(self, user: str) -> Answer:
        started = time.monotonic()
        session = requests.Session()
        address = f"10.{hash(user) % 250}.{len(self.answers) % 250}.{int(started) % 250}"
        try:
            page = session.get(f"{self.base_url}/accounts/password/reset/", timeout=20)
            if page.status_code != 200:
                return Answer(started, time.monotonic(), user, page.status_code)
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
            assert token is not None, "no CSRF token on the reset page"
            answer = session.post(
                f"{self.base_url}/accounts/password/reset/",
                data={"email": f"{user}@example.com", "csrfmiddlewaretoken": token.group(1)},
                headers={"X-Forwarded-For": address},
                allow_redirects=False,
                timeout=20,
            )
            return Answer(started, time.monotonic(), user, answer.status_code)
        except requests.RequestException as error:
            return Answer(started, time.monotonic(), user, type(error).__name__)

    def _run(self) -> None:
        while not self.stopping.is_set():
            with self.lock:
                user = next(self.users)
            answer = self.reset(user)
            with self.lock:
                self.answers.append(answer)

    def start(self, clients: int = 2) -> None:
        self.stopping.clear()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(clients)]
        for thread in self.threads:
            thread.start()

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(timeout=60)

    def since(self, moment: float) -> list[Answer]:
        with self.lock:
            return [answer for answer in self.answers if answer.started >= moment]


class Pump(threading.Thread):
    """Enqueues the outbox dispatch job every second, as the scheduler does every minute."""

    def __init__(self, site: Installation) -> None:
        super().__init__(daemon=True)
        self.site = site
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(1.0):
            self.site.drive("dispatch")


def test_postgres_restarted_under_load_web_and_workers_recover_nothing_lost_or_doubled(
    installation: Installation, redis: PrivateRedis, sink: SmtpSink
) -> None:
    site = installation
    site.environment.update(
        HUEY_REDIS_URL=redis.url(0), CACHE_URL=redis.url(1), ALLAUTH_TRUSTED_PROXY_COUNT="1"
    )
    sink.controller.start()
    assert site.drive("users reset 2000") == "ok 2000"
    port = free_port()
    web = site.start("web", "web", "--bind", f"127.0.0.1:{port}", "--workers", "2")
    worker = site.start("worker", "worker", "--workers", "2")
    base_url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(base_url), timeout=60, what="the web server")
    pump = Pump(site)
    pump.start()
    load = Load(base_url, "reset")

    # Given requests and jobs running, when PostgreSQL crashes (immediate shutdown: no
    # checkpoint, crash recovery at the start), stays away 3 s and comes back ...
    load.start()
    wait_for(lambda: len(load.since(0)) >= 20, timeout=60, what="20 requests before the restart")
    down = time.monotonic()
    site.postgres.stop("immediate")
    probes_down = _probes(base_url)
    time.sleep(3)
    site.postgres.start()
    back = time.monotonic()
    probes_back = _probes(base_url)
    wait_for(lambda: len(load.since(back)) >= 20, timeout=60, what="20 requests after it")
    load.stop()
    # ... and is restarted once more with nobody busy (fast shutdown, as an operator does), so
    # that every process holds a dead connection.
    site.postgres.stop("fast")
    site.postgres.start()
    back_idle = time.monotonic()
    load.start()
    wait_for(lambda: len(load.since(back_idle)) >= 20, timeout=60, what="requests after idle")
    load.stop()
    wait_for(lambda: site.unsettled() == 0, timeout=90, what="the outbox to settle")
    pump.stopping.set()

    # Then every request after PostgreSQL was back succeeded, in both cases ...
    after = [answer for answer in load.since(back) if answer.status != 302]
    assert after == [], f"requests failed after PostgreSQL was back: {after}"
    assert {answer.status for answer in load.answers if answer.ended < down} == {302}
    # ... the load balancer's probes said so (alive throughout, not ready while it was away) ...
    assert probes_down == {"healthz": 200, "readyz": 503}
    assert probes_back == {"healthz": 200, "readyz": 200}
    # ... without a restart of the web server or the worker ...
    assert web.poll() is None, site.log("web")
    assert worker.poll() is None, site.log("worker")
    # ... and every answered reset has one message in the outbox, and none arrived twice.
    statuses, review_that_arrived = _each_answered_reset_mailed_once(site, sink, load)
    _report(
        "postgres restart",
        requests=len(load.answers),
        failed_during_outage=len([a for a in load.answers if a.status != 302]),
        outbox=dict(statuses),
        review_that_arrived=review_that_arrived,
    )


def _each_answered_reset_mailed_once(
    site: Installation, sink: SmtpSink, load: Load
) -> tuple[Counter[str], int]:
    """Every answered reset has one outbox message; none arrived twice; every sent one arrived.

    Review is the outbox's answer to doubt (docs/outbox.md): the crash came between putting an
    attempt on record and recording its outcome, so staff decide; it is visible, not lost, and
    never sent again on its own. Returns the statuses and how many in review did arrive.
    """
    outbox = site.outbox()
    delivered = Counter(message.recipients[0] for message in sink.received)
    assert max(delivered.values()) == 1, "an e-mail arrived twice"
    assert Counter(sink.message_ids).most_common(1)[0][1] == 1
    answered = {f"{answer.user}@example.com" for answer in load.answers if answer.status == 302}
    queued = Counter(recipient for recipient, _, _ in outbox.values())
    assert {recipient: queued[recipient] for recipient in answered} == dict.fromkeys(answered, 1)
    statuses = Counter(status for _, status, _ in outbox.values())
    assert set(statuses) <= {"sent", "review"}, statuses
    for message_id, (recipient, status, _) in outbox.items():
        if status == "sent":
            assert sink.message_ids[message_id] == 1, f"{recipient}: sent but never arrived"
    in_review = [message_id for message_id, (_, status, _) in outbox.items() if status == "review"]
    return statuses, sum(sink.message_ids[message_id] for message_id in in_review)


def _probes(base_url: str) -> dict[str, int]:
    """What a load balancer sees: the liveness and the readiness probe's status."""
    return {
        probe: requests.get(f"{base_url}/{probe}", timeout=20).status_code
        for probe in ("healthz", "readyz")
    }


def _answers(base_url: str) -> bool:
    try:
        return requests.get(f"{base_url}/accounts/login/", timeout=5).status_code == 200
    except requests.RequestException:
        return False


def _report(what: str, **figures: Any) -> None:
    """Figures for the report (visible with -s)."""
    sys.stdout.write(f"\n{what}: {json.dumps(figures, sort_keys=True)}\n")


# --- Redis gone for a while ---------------------------------------------------------------


def _executed(site: Installation, task_id: str) -> int:
    """How often the consumers (scheduler and worker) started the task with this id."""
    pattern = re.compile(rf"Executing \S+: {re.escape(task_id)}")
    return sum(len(pattern.findall(site.log(name))) for name in ("scheduler", "worker"))


def test_redis_gone_for_a_while_jobs_resume_and_nothing_runs_twice(
    installation: Installation, redis: PrivateRedis, sink: SmtpSink
) -> None:
    site = installation
    site.environment.update(HUEY_REDIS_URL=redis.url(0), CACHE_URL=redis.url(1))
    sink.controller.start()
    scheduler = site.start("scheduler", "scheduler")
    worker = site.start("worker", "worker", "--workers", "2")

    # Given the consumers running jobs ...
    assert site.drive("mail before 20") == "ok 20"
    first = site.drive("dispatch").removeprefix("ok ")
    wait_for(lambda: len(sink.received) == 20, timeout=60, what="the first 20 e-mails")
    # ... and jobs waiting in the queue's schedule when Redis goes away ...
    assert site.drive("mail during 20") == "ok 20"
    waiting = [site.drive("schedule 5").removeprefix("ok ") for _ in range(3)]
    redis.stop()
    # ... nobody can enqueue while it is away (the caller gets the error) ...
    refused = site.drive("dispatch")
    assert refused.startswith("error ConnectionError"), refused
    time.sleep(REDIS_DOWN_SECONDS)
    # ... and the consumers keep running, waiting for it.
    assert scheduler.poll() is None, site.log("scheduler")
    assert worker.poll() is None, site.log("worker")

    # When Redis is back (its append-only file restored the queue) ...
    redis.start()
    assert site.drive("mail after 20") == "ok 20"
    last = site.drive("dispatch").removeprefix("ok ")

    # Then the waiting jobs and the new one run, each exactly once ...
    ours = [first, *waiting, last]
    wait_for(
        lambda: all(_executed(site, task) for task in ours), timeout=90, what="the queued jobs"
    )
    wait_for(lambda: len(sink.received) == 60, timeout=60, what="all 60 e-mails")
    time.sleep(2)  # a second run of any of them would show by now
    assert {task: _executed(site, task) for task in ours} == dict.fromkeys(ours, 1)
    # ... every e-mail arrived once, and neither consumer was restarted.
    assert Counter(sink.message_ids).most_common(1)[0][1] == 1
    assert {status for _, status, _ in site.outbox().values()} == {"sent"}
    assert scheduler.poll() is None
    assert worker.poll() is None
    _report("redis away", seconds=REDIS_DOWN_SECONDS, jobs=len(ours), emails=60)


# --- The mail server down for an hour -----------------------------------------------------


def _dispatch_at(site: Installation, minute: int) -> dict[str, Any]:
    """One `channeldesk outbox dispatch` run with its clock `minute` minutes ahead."""
    result = python_run(
        "-m",
        "tests.operations.shifted_clock",
        str(minute * 60),
        "outbox",
        "dispatch",
        "--format",
        "json",
        environment=site.environment,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_smtp_down_for_an_hour_the_outbox_catches_up_and_sends_nothing_twice(
    installation: Installation, sink: SmtpSink
) -> None:
    """A dispatcher runs every 5 simulated minutes (the scheduler runs it every minute; the
    outbox's backoff makes the difference immaterial). The mail server refuses connections for
    the first hour, then takes everything."""
    site = installation
    assert site.drive("mail early 30") == "ok 30"
    attempts_while_down = []
    for minute in range(0, 60, 5):
        if minute == 30:
            assert site.drive("mail later 10") == "ok 10"
        result = _dispatch_at(site, minute)
        assert result["sent"] == 0, result
        attempts_while_down.append(result["retried"])
    outbox = site.outbox()
    assert {status for _, status, _ in outbox.values()} == {"retry"}
    # The backoff (1, 2, 4, 8, 16, 32 minutes) spares the server: 6 attempts in the hour for
    # the early messages, not one per run.
    assert max(attempts for _, _, attempts in outbox.values()) <= 6

    sink.controller.start()
    caught_up_at = None
    for minute in range(60, 181, 5):
        _dispatch_at(site, minute)
        if site.unsettled() == 0:
            caught_up_at = minute
            break
    assert caught_up_at is not None, "the outbox did not catch up within two hours"
    # Everything was sent once, at the first attempt due after the server came back.
    assert caught_up_at <= 60 + 64
    outbox = site.outbox()
    assert {status for _, status, _ in outbox.values()} == {"sent"}
    assert len(outbox) == 40
    assert sink.message_ids == Counter(dict.fromkeys(outbox, 1))
    _report(
        "smtp down an hour",
        caught_up_minute=caught_up_at,
        attempts_per_run_while_down=attempts_while_down,
        most_attempts=max(attempts for _, _, attempts in outbox.values()),
    )
