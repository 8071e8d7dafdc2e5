"""Where an audit entry comes from: a web or API request, a CLI command or a job.

The request's user is read when the entry is written, not when the request starts, so an API
call signed in by a token (DRF authenticates inside the view) still names its person. Outside a
request the entry names the command (`cli: tiers apply`) or the huey task (`job: tiers_sweep`)
and has no person as actor: the system acted.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar, Token
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import HttpRequest

# The programs that run Django's management commands (`python -m channeldesk` runs __main__.py).
COMMAND_PROGRAMS = frozenset({"channeldesk", "manage.py", "django-admin", "__main__.py"})
# Terminal huey signals: after any of them the task is over and its origin is dropped.
_JOB_ENDS = (
    "complete",
    "error",
    "timeout",
    "rate-limited",
    "locked",
    "canceled",
    "interrupted",
)


@dataclass(frozen=True)
class Origin:
    """`via` says how the change came in: `web`, `api`, `cli: <command>`, `job: <task>`,
    `system`; `request` is the HTTP request it came with, if any; `actor` the person who asked
    for work done outside the request (a back-office run in a thread of its own)."""

    via: str
    request: HttpRequest | None = None
    actor: Any = None


_origin: ContextVar[Origin | None] = ContextVar("channeldesk_audit_origin", default=None)
_job_tokens: dict[str, Token[Origin | None]] = {}


@contextmanager
def audit_origin(
    *, via: str, request: HttpRequest | None = None, actor: Any = None
) -> Iterator[Origin]:
    """Entries written inside the block come from `via` (and `request`, or `actor`)."""
    origin = Origin(via=via[:100], request=request, actor=actor)
    token = _origin.set(origin)
    try:
        yield origin
    finally:
        _origin.reset(token)


def current_origin() -> Origin:
    """The origin set by the middleware, a job or a command; else the command line's."""
    origin = _origin.get()
    if origin is not None:
        return origin
    return Origin(via=command_name(sys.argv))


def command_name(argv: list[str]) -> str:
    """`cli: tiers apply` for `channeldesk tiers apply --as-of …`: the program's first two
    words that are not options. Arguments beyond them may carry names or secrets, so they are
    never recorded. Any other program (a test runner, gunicorn's threads) is `system`."""
    if not argv or Path(argv[0]).name not in COMMAND_PROGRAMS:
        return "system"
    words = [word for word in argv[1:] if not word.startswith("-")][:2]
    return f"cli: {' '.join(words)}" if words else "cli"


def remote_address(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or, behind the trusted proxies counted by
    ALLAUTH_TRUSTED_PROXY_COUNT (the same count the login throttle trusts), the address the
    outermost trusted proxy saw. A forwarded header is never believed without such a proxy,
    since any client can send one."""
    proxies = settings.ALLAUTH_TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("X-Forwarded-For", "")
    if proxies > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= proxies:
            return _address_only(hops[-proxies])
    address = request.META.get("REMOTE_ADDR")
    return address or None


def _address_only(hop: str) -> str:
    """Drop a port: `1.2.3.4:5678` and `[2001:db8::1]:443` become bare addresses."""
    if hop.startswith("["):
        return hop[1:].split("]", maxsplit=1)[0]
    if hop.count(":") == 1:
        return hop.split(":", maxsplit=1)[0]
    return hop


def job_names_follow() -> None:
    """Name the running huey task as the origin of what it writes (`job: tiers_sweep`).

    huey sends its signals in the thread that runs the task, so the origin is set and dropped
    in that thread's context; a task run inline (immediate mode) restores the caller's origin.
    """
    # The queue is made from settings when djhuey is imported: at ready(), not at model loading.
    from huey import signals  # noqa: PLC0415
    from huey.contrib.djhuey import HUEY  # noqa: PLC0415

    def started(signal: str, task: Any, *args: Any) -> None:
        _job_tokens[task.id] = _origin.set(Origin(via=f"job: {task.name}"[:100]))

    def ended(signal: str, task: Any, *args: Any) -> None:
        token = _job_tokens.pop(task.id, None)
        if token is not None:
            # A token set in another context leaves nothing of this thread to restore.
            with suppress(ValueError):
                _origin.reset(token)

    HUEY.signal(signals.SIGNAL_EXECUTING)(started)
    HUEY.signal(*_JOB_ENDS)(ended)
