"""Starting production processes for the operations tests: `channeldesk web`, `scheduler`,
`worker` against the test database (PostgreSQL) and a Redis queue. A test module imports the
fixtures it uses (`launcher_fixture`, `redis_url_fixture`).

The Redis database comes from TEST_REDIS_URL (default redis://127.0.0.1:6379/15); the tests
empty ChannelDesk's queue in it before and after, so give them a database of their own. Without
a Redis server the tests are skipped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from huey import RedisHuey

from tests.operations.children import database_url

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(name="redis_url")
def redis_url_fixture() -> Iterator[str]:
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    queue = queue_of(url)
    try:
        queue.storage.conn.ping()
    except Exception as error:
        pytest.skip(f"needs a Redis server ({url}, TEST_REDIS_URL): {error}")
    queue.storage.flush_all()
    yield url
    queue.storage.flush_all()


def queue_of(url: str) -> RedisHuey:
    """ChannelDesk's job queue on that Redis, as the processes see it (settings.HUEY)."""
    _huey_with_redis()
    return RedisHuey("channeldesk", url=url)


def _huey_with_redis() -> None:
    """The test process runs on the SQLite queue, so its huey storage module was loaded with
    the Redis client hidden (channeldesk/core/startup.py); hand it the client."""
    import redis
    from huey import storage

    if storage.Redis is None:
        storage.ConnectionPool, storage.Redis = redis.ConnectionPool, redis.Redis
        storage.ConnectionError = redis.exceptions.ConnectionError
        storage.TimeoutError = redis.exceptions.TimeoutError
        storage.RedisStorage.redis_client = redis.Redis


@dataclass
class Started:
    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as systemd stops a service; returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout)


@dataclass
class Launcher:
    environment: dict[str, str]
    logs: Path
    started: list[Started] = field(default_factory=list)

    def start(self, name: str, *arguments: str, **environment: str) -> Started:
        log = self.logs / f"{name}.log"
        with log.open("wb") as target:
            process = subprocess.Popen(
                [sys.executable, "-m", "channeldesk", *arguments],
                env={**self.environment, **environment},
                cwd=ROOT,
                stdout=target,
                stderr=subprocess.STDOUT,
            )
        started = Started(name, process, log)
        self.started.append(started)
        return started


@pytest.fixture(name="launcher")
def launcher_fixture(redis_url: str, tmp_path: Path) -> Iterator[Launcher]:
    """Starts ChannelDesk commands as the production processes; kills what still runs after."""
    logs = tmp_path / "logs"
    logs.mkdir()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "HUEY_REDIS_URL": redis_url,
        "CHANNELDESK_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "tests.operations.production_set_settings",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "PYTHONUNBUFFERED": "1",
    }
    launched = Launcher(environment, logs)
    yield launched
    for started in launched.started:
        if started.process.poll() is None:
            started.process.kill()
            started.process.wait(timeout=30)


def wait_for(condition: Callable[[], object], *, timeout: float = 60, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"Timed out after {timeout} s waiting for {what}.")
        time.sleep(0.2)
