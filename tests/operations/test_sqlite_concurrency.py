"""Embedded mode (SQLite) with several writers at once: a long run from the CLI, the job
worker's outbox dispatcher and a login (docs/operations-sqlite.md).

Real processes on the test database file, as in production on one host. The long writer runs
write transactions back to back, the way `channeldesk tiers notices` does (each notice renders
its letter inside its transaction). The others get `SQLITE_TIMEOUT=5`. Without the writers'
turns (channeldesk.core.sqlite) they wait for gaps their busy handler rarely sees: they get
through only once the long run has ended, or fail with "database is locked" when one wait
outlasts those 5 s; either way these tests fail.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import os
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection
from django.utils import timezone

from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from channeldesk.notifications.services import MessageDraft, outbox_enqueue_many

pytestmark = [
    # Skipped before the database is set up (a transactional test skipped from inside would
    # still flush it, see tests/processes.py).
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("sqlite"),
        reason="embedded mode: the writers share one SQLite file",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.processes,
]

ROOT = Path(__file__).resolve().parents[2]
# Long enough for the others to start and finish on a busy machine; killed when they are done.
WRITER_SECONDS = 60
# A long run's transactions hold the lock this long each (a notice with its letter).
HOLD_SECONDS = 0.3
LONG_WRITER = f"""
import os, time, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "channeldesk.settings")
django.setup()
from django.db import transaction
from channeldesk.partners.models import Partner
end = time.monotonic() + {WRITER_SECONDS}
while time.monotonic() < end:
    with transaction.atomic():
        Partner.objects.filter(pk=-1).update(name="nobody")
        time.sleep({HOLD_SECONDS})
    print("committed", flush=True)
"""


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    """The children's environment: the test database file, a short busy timeout."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{connection.settings_dict['NAME']}",
        "CHANNELDESK_VAR_DIR": str(tmp_path / "var"),
        "SQLITE_TIMEOUT": "5",
        "EMAIL_URL": "memorymail://",
        "DJANGO_SETTINGS_MODULE": "channeldesk.settings",
    }


@pytest.fixture
def long_writer(environment: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", LONG_WRITER],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(3)  # started, and holding the lock again and again
    yield process
    if process.returncode is None:  # not yet stopped and read by the test
        process.kill()
        process.communicate(timeout=60)


def _finished(process: subprocess.Popen[str], *, timeout: float) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=timeout)
    return process.returncode, out, err


def test_the_outbox_dispatcher_sends_everything_while_a_long_run_writes(
    environment: dict[str, str], long_writer: subprocess.Popen[str]
) -> None:
    # Given 50 e-mails due, and a long run from the CLI writing back to back
    drafts = [
        MessageDraft(key=f"notice:{n}", to=[f"p{n}@example.com"], subject="S", text="T")
        for n in range(50)
    ]
    outbox_enqueue_many(drafts=drafts, now=timezone.now() - dt.timedelta(minutes=1))
    assert long_writer.poll() is None

    # When the job worker's dispatcher runs meanwhile
    dispatcher = subprocess.Popen(
        [sys.executable, "-m", "channeldesk", "outbox", "dispatch"],
        env=environment,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    status, _, err = _finished(dispatcher, timeout=120)

    # Then it finished while the long run was still writing, without "database is locked",
    # and nothing is left claimed
    assert status == 0, err
    assert "database is locked" not in err
    assert long_writer.poll() is None, "the dispatcher only got through once the run ended"
    statuses = set(OutboxMessage.objects.values_list("status", flat=True))
    assert statuses == {OutboxStatus.SENT}
    assert _commits_so_far(long_writer) >= 5  # and the long run went on writing meanwhile


def _commits_so_far(process: subprocess.Popen[str]) -> int:
    """The transactions the long writer committed, read after stopping it."""
    process.kill()
    out, _ = process.communicate(timeout=30)
    return out.count("committed")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def web(environment: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "channeldesk", "runserver", "--noreload", f"127.0.0.1:{port}"],
        env={**environment, "DEBUG": "0"},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    yield url
    process.terminate()
    process.communicate(timeout=30)


def test_a_login_answers_within_seconds_while_a_long_run_writes(
    web: str, long_writer: subprocess.Popen[str]
) -> None:
    # Given a partner user, and a long run from the CLI writing back to back
    # (hashed as the server hashes; the test settings use a faster hasher it does not know)
    password = PBKDF2PasswordHasher().encode("a-long-passphrase-42", "saltsaltsalt")
    get_user_model().objects.create(username="anna", email="anna@example.com", password=password)
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect())
    opener.open(f"{web}/accounts/login/", timeout=30).read()
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")

    # When she signs in meanwhile
    form = urllib.parse.urlencode(
        {"login": "anna", "password": "a-long-passphrase-42", "csrfmiddlewaretoken": token}
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the loopback http:// URL of the server above
        f"{web}/accounts/login/", data=form, headers={"Referer": f"{web}/accounts/login/"}
    )
    started = time.monotonic()
    try:
        body = opener.open(request, timeout=30).read().decode()
        status = 200
    except urllib.error.HTTPError as error:
        status, body = error.code, ""
    seconds = time.monotonic() - started

    # Then she is signed in (sent on) while the run still writes: no "database is locked"
    # (each of her waits stayed under SQLITE_TIMEOUT=5 s), and well before the run's 60 s are up
    # (the bound is loose on purpose: this is a shared 2-core machine, and the password hash
    # alone takes a second or two there; benchmarks measure speed, tests behaviour)
    assert status == 302, body[body.find('class="errorlist') :][:600]
    assert seconds < WRITER_SECONDS / 3
    assert any(cookie.name == "sessionid" for cookie in jar)
    assert long_writer.poll() is None
    assert _commits_so_far(long_writer) >= 5


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None
