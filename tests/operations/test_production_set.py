"""The production process set, started as an installation runs it, on PostgreSQL and Redis:
`channeldesk web` (2 gunicorn workers), one `channeldesk scheduler`, two `channeldesk worker`s
and an SMTP server on loopback.

A real flow goes through HTTP only: a partner user signs in, staff import partners, products,
orders, customers and contracts through the API with a personal token, the managed-service
platform posts a usage batch with its service token. The periodic sweeps (every minute here,
JOBS_EVERY_MINUTE) then send the renewal reminder that fell due by e-mail and rate the usage.
Finally every process gets SIGTERM, as systemd stops them, while job tasks are running: each
must drain and exit 0, the running tasks finish, the queued ones stay queued, and no outbox
message or reminder is left claimed.

Runs on the real clock (processes do not share the tests' fixed one), in about two minutes.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db.models import Sum
from django.utils import timezone

from channeldesk.catalog.models import Order
from channeldesk.contracts.models import Reminder, ReminderStatus
from channeldesk.core.models import TokenScope
from channeldesk.core.tokens import service_token_create
from channeldesk.jobs.models import SchedulerLease
from channeldesk.notifications.models import OutboxMessage
from channeldesk.partners.models import MembershipRole, Partner
from channeldesk.usage.models import RatingResult
from channeldesk.usage.services import sender_grant
from tests.factories import MembershipFactory, UserFactory
from tests.notifications.sink import SmtpSink, free_port
from tests.operations.production_processes import (  # noqa: F401 - fixtures
    Launcher,
    Started,
    launcher_fixture,
    queue_of,
    redis_url_fixture,
    wait_for,
)
from tests.operations.slow_tasks.tasks import slow_mark
from tests.usage.factories import metered_contract

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.postgres_only,
    pytest.mark.processes,
    pytest.mark.slow,
]

BERLIN = ZoneInfo("Europe/Berlin")
PASSWORD = "a-long-passphrase-42"
PARTNER_EMAIL = "vertrieb@ops-partner.example"
JOBS = {"JOBS_EVERY_MINUTE": "1", "JOBS_SCHEDULER_CHECK_SECONDS": "5"}
SLOW_TASKS = 10
# Order lines of the import in flight at the stop: about 1.9 MB, just under the 2 MiB from which
# the API imports in the background.
LARGE_IMPORT_LINES = 40_000
IN_FLIGHT_OUTBOX = ("claimed", "sending")


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink()
    sink.controller.start()
    yield sink
    sink.controller.stop()


@pytest.fixture
def production_set(launcher: Launcher, smtp_sink: SmtpSink) -> dict[str, Any]:
    """web and two workers, started; `url` is the web server's; `start_scheduler()` starts
    the scheduler, once the test's data is in."""
    port = free_port()
    environment = {**JOBS, "EMAIL_URL": smtp_sink.url}
    processes = {
        "web": launcher.start(
            "web", "web", "--bind", f"127.0.0.1:{port}", "--workers", "2", **environment
        ),
        "worker-1": launcher.start("worker-1", "worker", "--workers", "2", **environment),
        "worker-2": launcher.start("worker-2", "worker", "--workers", "2", **environment),
    }
    url = f"http://127.0.0.1:{port}"
    wait_for(lambda: _answers(f"{url}/accounts/login/"), timeout=90, what="the web server")
    for name in ("worker-1", "worker-2"):
        _wait_started(processes[name])

    def start_scheduler() -> Started:
        processes["scheduler"] = launcher.start("scheduler", "scheduler", **environment)
        _wait_started(processes["scheduler"])
        return processes["scheduler"]

    return {"url": url, "processes": processes, "start_scheduler": start_scheduler}


def _wait_started(consumer: Started) -> None:
    wait_for(
        lambda: "Huey consumer started" in consumer.output(),
        timeout=90,
        what=f"{consumer.name} to start",
    )


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=20).status_code == 200
    except requests.RequestException:  # not listening yet, or the first request still loading
        return False


def _csv(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def _import(url: str, token: str, kind: str, body: bytes) -> dict[str, Any]:
    response = requests.post(
        f"{url}/api/v1/imports/{kind}",
        data=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _imports(url: str, token: str, *, contract_end: dt.date) -> None:
    """Partner, product, an order, a customer and a contract ending in 60 days: the partner's
    advance notice is due today."""
    start = contract_end - dt.timedelta(days=364)
    files = {
        "partners": _csv(
            "partner_number;name;street;postal_code;city;country;vat_id;email;status",
            f"P-OPS;Ops Systemhaus GmbH;Hauptstraße 1;80331;München;DE;DE136695976;"
            f"{PARTNER_EMAIL};authorized",
        ),
        "products": _csv(
            "sku;name_de;name_en;kind;list_price;unit",
            "AV-OPS-1Y;Virenschutz Enterprise;Antivirus Enterprise;enterprise;1.234,50;Lizenz",
        ),
        "orders": _csv(
            "order_number;partner_number;order_date;sku;quantity;net_amount",
            f"SO-OPS-1;P-OPS;{start:%d.%m.%Y};AV-OPS-1Y;10;9.876,00",
        ),
        "customers": _csv(
            "customer_number;name;street;postal_code;city;country;language;sector;"
            "contact_name;contact_email;partner_number",
            "K-OPS;Stadtverwaltung Musterstadt;Rathausplatz 1;12345;Musterstadt;DE;de;"
            "public_authority;Erika Mustermann;it@musterstadt.example;P-OPS",
        ),
        "contracts": _csv(
            "contract_number;customer_number;partner_number;sku;seats;start_date;end_date;"
            "renews_contract_number",
            f"V-OPS-1;K-OPS;P-OPS;AV-OPS-1Y;250;{start:%d.%m.%Y};{contract_end:%d.%m.%Y};",
        ),
    }
    for kind, body in files.items():
        report = _import(url, token, kind, body)
        assert (report["accepted"], report["created"]) == (True, 1), (kind, report)


def _partner_user(partner: Partner) -> str:
    """An admin of the partner, hashed as the server hashes (the test settings use a faster
    hasher it does not know)."""
    anna = get_user_model().objects.create(
        username="anna",
        email="anna@ops-partner.example",
        password=PBKDF2PasswordHasher().encode(PASSWORD, "saltsaltsalt"),
    )
    MembershipFactory(user=anna, partner=partner, role=MembershipRole.ADMIN)
    return anna.username


def _reminders() -> dict[str, str]:
    """The contract's reminders by template: the advance notice was due today, the others are
    due later."""
    return dict(
        Reminder.objects.filter(contract__contract_number="V-OPS-1").values_list(
            "rule__template", "status"
        )
    )


def _sign_in(url: str, username: str) -> requests.Session:
    """The partner user signs in through the login page, as in a browser."""
    browser = requests.Session()
    page = browser.get(f"{url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, page.text[:500]
    answer = browser.post(
        f"{url}/accounts/login/",
        data={"login": username, "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        headers={"Referer": f"{url}/accounts/login/"},
        timeout=30,
        allow_redirects=False,
    )
    assert answer.status_code == 302, answer.text[answer.text.find('class="errorlist') :][:600]
    return browser


def _usage_batch(url: str, token: str) -> set[tuple[str, dt.date]]:
    """Three events of two users in the last hours; returns the user-days they bill."""
    now = timezone.now()
    events = [
        ("ops-1", "u1", now - dt.timedelta(hours=2)),
        ("ops-2", "u2", now - dt.timedelta(hours=1)),
        ("ops-3", "u1", now - dt.timedelta(minutes=30)),
    ]
    batch = {
        "events": [
            {
                "event_id": ident,
                "subscription_key": "SUB-OPS",
                "user_key": user,
                "occurred_at": at.isoformat(),
            }
            for ident, user, at in events
        ]
    }
    response = requests.post(
        f"{url}/api/v1/usage/events",
        json=batch,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 3, response.json()
    return {(user, at.astimezone(BERLIN).date()) for _, user, at in events}


def _large_orders_import(url: str, token: str) -> tuple[float, dict[str, Any]]:
    """An orders file just under the size that goes to the background: answered in the
    request, after a while. Returns when the answer came, and the report."""
    lines = [
        f"SO-BIG-{number};P-OPS;01.12.2026;AV-OPS-1Y;1;987,60"
        for number in range(LARGE_IMPORT_LINES)
    ]
    body = _csv("order_number;partner_number;order_date;sku;quantity;net_amount", *lines)
    report = _import(url, token, "orders", body)
    return time.monotonic(), report


class _in_background(threading.Thread):  # noqa: N801 - used like a function
    """Runs `work(*arguments)` in a thread; `result` holds what it returned, or it raises
    what it raised at `join` in the assertions."""

    def __init__(self, work: Any, *arguments: Any) -> None:
        super().__init__(daemon=True)
        self.work, self.arguments, self.result, self.error = work, arguments, None, None
        self.start()

    def run(self) -> None:
        try:
            self.result = self.work(*self.arguments)
        except BaseException as error:
            self.error = error

    def join(self, timeout: float | None = None) -> None:
        super().join(timeout)
        if self.error is not None:
            raise self.error


def _rated_units() -> Decimal:
    return RatingResult.objects.filter(subscription__subscription_key="SUB-OPS").aggregate(
        units=Sum("units")
    )["units"] or Decimal(0)


def _reminder_mails(sink: SmtpSink) -> list[Any]:
    return [message for message in sink.received if PARTNER_EMAIL in message.recipients]


def test_the_production_set_runs_a_real_flow_and_drains_on_sigterm(
    production_set: dict[str, Any], smtp_sink: SmtpSink, redis_url: str, tmp_path: Path
) -> None:
    url = production_set["url"]
    processes: dict[str, Started] = production_set["processes"]
    staff = UserFactory(username="ops", is_staff=True, is_superuser=True)
    personal = service_token_create(name="ops", scope=TokenScope.PERSONAL, user=staff).secret
    usage = service_token_create(name="platform", scope=TokenScope.USAGE)
    today = timezone.localdate()

    # Staff import the register through the API; a partner user signs in to the portal.
    _imports(url, personal, contract_end=today + dt.timedelta(days=60))
    partner = Partner.objects.get(partner_number="P-OPS")
    portal = _sign_in(url, _partner_user(partner)).get(f"{url}/portal/", timeout=30)
    assert portal.status_code == 200
    assert "Ops Systemhaus GmbH" in portal.text

    # The platform posts a usage batch for the partner's managed service.
    subscription = metered_contract(partner, key="SUB-OPS", customer_number="K-OPS-SUB")
    sender_grant(token=usage.token, subscriptions=[subscription])
    billed_user_days = _usage_batch(url, usage.secret)

    # The scheduler starts (its first check enqueues the periodic tasks at once, the next at
    # the next minute): the reminder due today goes out by e-mail, the usage is rated.
    production_set["start_scheduler"]()
    wait_for(lambda: _reminder_mails(smtp_sink), timeout=150, what="the reminder e-mail")
    wait_for(lambda: _rated_units() == len(billed_user_days), timeout=60, what="the usage rating")
    assert _reminders() == {
        "partner_advance_notice": ReminderStatus.SENT,
        "renewal_letter": ReminderStatus.PLANNED,
        "partner_letter_copy": ReminderStatus.PLANNED,
        "partner_ended_unrenewed": ReminderStatus.PLANNED,
    }
    assert len(_reminder_mails(smtp_sink)) == 1
    lease = SchedulerLease.objects.get(name="periodic")
    assert lease.holder.endswith(f":{processes['scheduler'].process.pid}")
    assert "Enqueueing periodic task" in processes["scheduler"].output()
    for name in ("worker-1", "worker-2"):
        assert "Enqueueing periodic task" not in processes[name].output()

    # SIGTERM to every process while job tasks run: they drain and exit 0.
    queue = queue_of(redis_url)
    marks = tmp_path / "marks"
    marks.mkdir()
    task = queue.task()(slow_mark.func)
    for number in range(SLOW_TASKS):
        task(str(marks), f"task-{number}", 3.0)
    wait_for(lambda: len(list(marks.glob("*.started"))) >= 4, what="tasks to be running")
    # ... and while a large import is in the middle of its request.
    large_import = _in_background(_large_orders_import, url, personal)
    time.sleep(0.2)
    stopped_at = time.monotonic()
    for started in processes.values():
        started.process.send_signal(signal.SIGTERM)
    exit_codes = {name: started.process.wait(timeout=90) for name, started in processes.items()}
    large_import.join(timeout=60)

    assert exit_codes == dict.fromkeys(processes, 0), {
        name: started.output()[-2000:] for name, started in processes.items()
    }
    started_tasks = {path.stem for path in marks.glob("*.started")}
    finished_tasks = {path.stem for path in marks.glob("*.done")}
    assert started_tasks == finished_tasks, "a running task was cut off by the stop"
    assert len(finished_tasks) + queue.pending_count() == SLOW_TASKS, "a queued task was lost"
    assert not OutboxMessage.objects.filter(status__in=IN_FLIGHT_OUTBOX).exists()
    assert not Reminder.objects.filter(
        status__in=(ReminderStatus.CLAIMED, ReminderStatus.SENDING)
    ).exists()
    assert SchedulerLease.objects.get(name="periodic").lease_until is None
    assert "Shutting down: Master" in processes["web"].output()
    answered_at, report = large_import.result  # type: ignore[attr-defined]
    assert answered_at > stopped_at, "the import was not in flight at the stop"
    assert (report["accepted"], report["created"]) == (True, LARGE_IMPORT_LINES)
    assert Order.objects.filter(order_number__startswith="SO-BIG-").count() == LARGE_IMPORT_LINES
    assert len(_reminder_mails(smtp_sink)) == 1, "the reminder went out twice"
