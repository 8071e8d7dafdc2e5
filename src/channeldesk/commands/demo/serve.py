"""`demo serve`: the logins to try, then the job worker and the web server.

The worker (huey's consumer) runs in the background, gunicorn in the foreground. Whatever ends
first — gunicorn, the worker, Ctrl-C or a SIGTERM from a supervisor — both are stopped, so no
orphaned worker keeps the SQLite queue locked after the demo is closed.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from types import FrameType

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from channeldesk.catalog.models import Order
from channeldesk.commands.demo.accounts import PARTNER_PASSWORD, partner_username
from channeldesk.core.periods import last_complete_period
from channeldesk.feedback.selectors import policy_open_for_feedback
from channeldesk.partners.models import Partner
from channeldesk.tiers.models import AssignmentSource
from channeldesk.training.selectors import partners_blocked_by_training
from channeldesk.usage.models import Statement

GUNICORN_WORKERS = 2
STOP_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.2
# At most one order per half-year: no more than four in the two years of demo orders.
NEAR_NON_BUYER_ORDERS = 4


@dataclass(frozen=True, slots=True)
class PartnerExample:
    """A demo partner whose partner-user login is worth trying."""

    partner_number: str
    name: str
    username: str
    password: str
    why: str


@dataclass(frozen=True, slots=True)
class ServeResult:
    """Exit codes of both processes (negative: ended by that signal) and what ended the run:
    "signal" (Ctrl-C, SIGTERM), "server" or "worker" (that process exited by itself)."""

    server: int | None
    worker: int | None
    ended_by: str


def partner_examples() -> list[PartnerExample]:
    """A partner that was Gold and a near non-buyer (at most one order in the last complete
    half-year and few in all), both with a partner user: the two ends of the seed's programme
    change."""
    latest = Order.objects.aggregate(latest=Max("order_date"))["latest"] or timezone.localdate()
    period = last_complete_period(latest)
    with_user = Partner.objects.filter(memberships__isnull=False).order_by("partner_number")
    initial = Q(
        tier_assignments__source=AssignmentSource.INITIAL,
        tier_assignments__valid_to__isnull=True,
    )
    gold = with_user.filter(initial, tier_assignments__tier__code="gold").first()
    near_non_buyer = (
        with_user.filter(initial, tier_assignments__tier__code="silver")
        .annotate(
            recent_orders=Count(
                "orders",
                filter=Q(orders__order_date__gte=period.start, orders__order_date__lt=period.end),
                distinct=True,
            ),
            all_orders=Count("orders", distinct=True),
        )
        .filter(recent_orders__lte=1, all_orders__gte=1, all_orders__lte=NEAR_NON_BUYER_ORDERS)
        .first()
    )
    examples = []
    if gold is not None:
        examples.append(_example(gold, "was Gold under the previous programme"))
    if near_non_buyer is not None:
        examples.append(_example(near_non_buyer, "near non-buyer, Silver under the previous one"))
    billed = (
        with_user.filter(pk__in=Statement.objects.values("partner_id"))
        .exclude(pk__in=[example.pk for example in (gold, near_non_buyer) if example])
        .first()
    )
    if billed is not None:
        examples.append(_example(billed, "resells managed services: usage statements"))
    # One line per login: a partner already shown is not shown again for another reason.
    shown = [example.partner_number for example in examples]
    untrained = _held_back_by_training(with_user.exclude(partner_number__in=shown), as_of=latest)
    if untrained is not None:
        examples.append(
            _example(untrained, "the draft programme holds it out of Gold: two-day course missing")
        )
    return examples


def _held_back_by_training(with_user: QuerySet[Partner], *, as_of: dt.date) -> Partner | None:
    """A partner with a login that the draft open for feedback keeps out of its better tier
    only for want of a course (R7): its portal home says so and names the course."""
    policy = policy_open_for_feedback()
    if policy is None:
        return None
    blocked = partners_blocked_by_training(policy=policy, as_of=as_of)
    numbers = {entry.partner_number for entries in blocked.values() for entry in entries}
    return with_user.filter(partner_number__in=numbers).first()


def _example(partner: Partner, why: str) -> PartnerExample:
    return PartnerExample(
        partner_number=partner.partner_number,
        name=partner.name,
        username=partner_username(partner_number=partner.partner_number),
        password=PARTNER_PASSWORD,
        why=why,
    )


def gunicorn_available() -> bool:
    return importlib.util.find_spec("gunicorn") is not None


def serve_commands(*, host: str, port: int) -> tuple[list[str], list[str]]:
    """The worker and the server, both run with this interpreter (the project's venv)."""
    worker = [sys.executable, "-m", "channeldesk", "run_huey"]
    server = [
        sys.executable,
        "-m",
        "gunicorn",
        "channeldesk.wsgi:application",
        "--workers",
        str(GUNICORN_WORKERS),
        "--bind",
        f"{host}:{port}",
    ]
    return worker, server


def processes_run(*, background: Sequence[str], foreground: Sequence[str]) -> ServeResult:
    """Run `background` and `foreground` until either ends or SIGINT/SIGTERM arrives; then stop
    both (SIGTERM, SIGKILL after a grace period) and report their exit codes."""
    worker = subprocess.Popen(background)  # noqa: S603 - our own fixed command line
    try:
        server = subprocess.Popen(foreground)  # noqa: S603 - our own fixed command line
    except OSError:
        _stop(worker)
        raise
    ended_by = ""

    def stop_both(signum: int, frame: FrameType | None) -> None:
        nonlocal ended_by
        ended_by = ended_by or "signal"
        for process in (server, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)

    previous = {
        number: signal.signal(number, stop_both) for number in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        while server.poll() is None and worker.poll() is None:
            time.sleep(POLL_SECONDS)
        ended_by = ended_by or ("server" if server.poll() is not None else "worker")
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _stop(server)
        _stop(worker)
    return ServeResult(server.returncode, worker.returncode, ended_by or "signal")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
    try:
        process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
