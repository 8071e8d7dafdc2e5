"""Probes for load balancers and supervisors: `/healthz` (the process answers) and `/readyz` (it
can do its work: database, cache, job queue, document storage, migrations applied).

The checks are django-health-check's (database, cache, storage) plus two of ours (the job queue,
the migrations). Both probes answer 200 or 503, as plain text or JSON (`Accept:
application/json` or `?format=json`), without authentication and without secrets: a failing
check says which one failed and a fixed sentence, never a connection string.

`ProbeMiddleware`, first in MIDDLEWARE, answers the probes (and `/metrics`) before any other
middleware runs: a load balancer asking `http://10.0.0.5:8000/readyz` is neither refused for its
Host header (ALLOWED_HOSTS), nor redirected to https (SECURE_SSL_REDIRECT), nor sent to the
second-factor setup, nor logged as a request every few seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any, ClassVar

from asgiref.sync import async_to_sync, iscoroutinefunction
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse, JsonResponse
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable
from health_check.views import HealthCheckView

from channeldesk.core.metrics import metrics_view

# Whether this process found every migration applied once: code and migrations do not change
# under a running process, and a deployment migrates before it starts the new processes.
_MIGRATED: set[str] = set()


@dataclasses.dataclass
class Migrations(HealthCheck):
    """Every migration of the installed code is applied to the database (a process started
    before `migrate` finished must not take traffic). Checked until it passes once."""

    alias: str = DEFAULT_DB_ALIAS

    def run(self) -> None:
        if self.alias in _MIGRATED:
            return
        try:
            executor = MigrationExecutor(connections[self.alias])
            plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as error:
            raise ServiceUnavailable("Database unreachable") from error
        if plan:
            raise ServiceUnavailable(f"{len(plan)} migrations not applied")
        _MIGRATED.add(self.alias)


@dataclasses.dataclass
class JobQueue(HealthCheck):
    """huey's storage answers (Redis with HUEY_REDIS_URL, else the SQLite file under var/):
    without it nothing can be queued or scheduled."""

    def run(self) -> None:
        from huey.contrib.djhuey import HUEY  # noqa: PLC0415 - set up by huey's app

        try:
            HUEY.storage.queue_size()
        except Exception as error:
            # Redis and SQLite raise their own types; none of their text is shown.
            raise ServiceUnavailable("Job queue unreachable") from error


class ReadinessView(HealthCheckView):
    """The checks of `/readyz`, as text or JSON, 503 when one fails (the library says 500,
    which a load balancer or an alert would take for a bug of the probe)."""

    checks: ClassVar = (
        "health_check.checks.Database",
        Migrations,
        "health_check.checks.Cache",
        JobQueue,
        "health_check.checks.Storage",
    )

    async def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with self.get_executor() as executor:
            self.results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        status = 503 if any(result.error for result in self.results) else 200
        if _wants_json(request):
            return self.render_to_response_json(status)
        return self.render_to_response_text(status)

    def get_executor(self) -> contextlib.AbstractContextManager[Executor | None]:
        return _closing_executor()


@contextlib.contextmanager
def _closing_executor() -> Iterator[Executor]:
    """Threads for the synchronous checks that close their database connections when done, so
    a probe every few seconds leaves no connection behind; a hung check is not waited for."""
    pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="readyz")
    submit = pool.submit

    def closing_submit(function: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        def call() -> Any:
            try:
                return function(*args, **kwargs)
            finally:
                connections.close_all()

        return submit(call)

    pool.submit = closing_submit  # type: ignore[method-assign]
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _wants_json(request: HttpRequest) -> bool:
    return request.GET.get("format") == "json" or "application/json" in request.headers.get(
        "Accept", ""
    )


def liveness_view(request: HttpRequest) -> HttpResponse:
    """GET /healthz: the process answers requests. Touches neither the database nor anything
    else, so a database outage does not make the supervisor restart healthy processes."""
    if _wants_json(request):
        return JsonResponse({"status": "ok"})
    return HttpResponse("ok\n", content_type="text/plain; charset=utf-8")


readiness_view = ReadinessView.as_view()


def _answer(view: Callable[..., Any], request: HttpRequest) -> HttpResponse:
    if iscoroutinefunction(view):
        response: HttpResponse = async_to_sync(view)(request)
    else:
        response = view(request)
    response["Cache-Control"] = "no-store"
    # A failing probe is asked every few seconds: the failing check is logged (a warning of
    # django-health-check), not each 503 as a server error that would flood Sentry.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class ProbeMiddleware:
    """Answers `/healthz`, `/readyz` and `/metrics` before every other middleware (see the
    module docstring); the URL patterns name the same views, so both ways agree."""

    PROBES: ClassVar[dict[str, Callable[..., Any]]] = {
        "/healthz": liveness_view,
        "/readyz": readiness_view,
        "/metrics": metrics_view,
    }

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        view = self.PROBES.get(request.path_info)
        if view is None or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        try:
            return _answer(view, request)
        except Exception:  # an Http404 of /metrics, or a broken probe
            return self.get_response(request)
