"""Prometheus metrics: what the processes count, and the `/metrics` endpoint that reports it.

prometheus-client directly (django-prometheus pins an older Django). Under gunicorn every worker
is its own process with its own counters; with `PROMETHEUS_MULTIPROC_DIR` set (the same empty
directory for the web and the job processes of a host, see docs/operations.md) each process
writes its values to files there and a scrape adds them up, whichever worker answers it. Without
it (one process: `runserver`, tests) the counters live in memory.

Figures that the database knows (outbox messages per state, compliance counts, when a sweep
last succeeded) are not counted by the processes but read when Prometheus scrapes: the faces
that know those domains plug a collector in (`jobs.metrics`), since `core` may import none.

Labels never hold raw paths or other unbounded values: a request is labelled by its URL
pattern's name, an ingest rejection by its reason code.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404, resolve
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

# Request latency in seconds: most pages answer within 100 ms, an import or report may take many
# seconds, and gunicorn kills a request at its timeout.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# A sweep takes from milliseconds (nothing due) to many minutes (a month's statements).
JOB_BUCKETS = (0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 1800.0, 3600.0)
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# The view label of a request that matched no URL pattern (a 404 for an unknown path), and of
# one answered by a middleware before its URL was resolved.
UNMATCHED = "(unmatched)"
# The view label of a static file served by whitenoise.
STATIC = "(static)"

HTTP_REQUEST_DURATION = Histogram(
    "channeldesk_http_request_duration_seconds",
    "Time from the request reaching Django until its response, per view (URL pattern name).",
    ["view", "method"],
    buckets=LATENCY_BUCKETS,
)
HTTP_REQUESTS = Counter(
    "channeldesk_http_requests",
    "Answered requests per view (URL pattern name), method and HTTP status.",
    ["view", "method", "status"],
)
JOB_RUNS = Counter(
    "channeldesk_job_runs",
    "Job runs (huey tasks) per job name and outcome (success or error).",
    ["job", "outcome"],
)
JOB_DURATION = Histogram(
    "channeldesk_job_duration_seconds",
    "How long each job run took, per job name.",
    ["job"],
    buckets=JOB_BUCKETS,
)
INGEST_ITEMS = Counter(
    "channeldesk_ingest_items",
    "Items received from other systems per kind (heartbeat, usage_event) and outcome "
    "(accepted, duplicate, rejected, unknown_keycode).",
    ["kind", "outcome"],
)
INGEST_REJECTIONS = Counter(
    "channeldesk_ingest_rejections",
    "Rejected ingest items per kind and reason code.",
    ["kind", "reason"],
)

# Collectors the faces plug in (`metrics_collector_register`), asked at every scrape.
_SCRAPE_COLLECTORS: list[Collector] = []


def metrics_collector_register(collector: Collector) -> None:
    """Add a collector asked at every scrape (once per collector, however often registered)."""
    if collector not in _SCRAPE_COLLECTORS:
        _SCRAPE_COLLECTORS.append(collector)


def ingest_record(*, kind: str, outcomes: Iterable[tuple[str, str]]) -> None:
    """Count one ingested batch: one `(outcome, reason)` per item, reason "" unless rejected.

    Called by the ingest services after their transaction, one increment per distinct pair, so
    a batch of 10,000 costs a handful of increments."""
    tally: dict[tuple[str, str], int] = {}
    for pair in outcomes:
        tally[pair] = tally.get(pair, 0) + 1
    for (outcome, reason), count in tally.items():
        INGEST_ITEMS.labels(kind=kind, outcome=outcome).inc(count)
        if reason:
            INGEST_REJECTIONS.labels(kind=kind, reason=reason).inc(count)


def multiprocess_directory() -> str:
    """The directory prometheus-client's multiprocess mode writes to, "" when it is off."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def metrics_exposition() -> bytes:
    """Everything `/metrics` reports, in Prometheus' text format.

    In multiprocess mode the counters come from every process's files; otherwise from this
    process's memory. The plugged-in collectors (database figures) are asked once either way.
    """
    parts = []
    if multiprocess_directory():
        counted = CollectorRegistry()
        MultiProcessCollector(counted)
        parts.append(generate_latest(counted))
    else:
        parts.append(generate_latest(REGISTRY))
    scraped = CollectorRegistry()
    for collector in _SCRAPE_COLLECTORS:
        scraped.register(collector)
    parts.append(generate_latest(scraped))
    return b"".join(parts)


# --- Who may read /metrics ------------------------------------------------------------------


def _networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(text, strict=False) for text in settings.METRICS_ALLOWED_NETWORKS]


def _address_allowed(request: HttpRequest) -> bool:
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in _networks())


def _token_presented(request: HttpRequest) -> bool:
    expected = settings.METRICS_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    return (
        bool(expected)
        and scheme.lower() == "bearer"
        and hmac.compare_digest(presented.strip().encode(), expected.encode())
    )


def metrics_access(request: HttpRequest) -> int:
    """200 when the request may read the metrics, else the status to refuse it with.

    404 while neither a token nor networks are configured (the endpoint does not exist); with
    them, the right bearer token or a client address in one of the networks opens it (either
    suffices), anything else gets 401 (a token is configured) or 403."""
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
        return 404
    if _token_presented(request) or _address_allowed(request):
        return 200
    return 401 if settings.METRICS_TOKEN else 403


def metrics_view(request: HttpRequest) -> HttpResponse:
    """GET /metrics for Prometheus (see `metrics_access` for who may read it)."""
    status = metrics_access(request)
    if status == 404:
        raise Http404
    if status != 200:
        response = HttpResponse("Not allowed.\n", status=status, content_type="text/plain")
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    response = HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response["Cache-Control"] = "no-store"
    return response


# --- Request metrics ------------------------------------------------------------------------


def view_label(request: HttpRequest) -> str:
    """The request's URL pattern name (`portal:contracts`), never its path."""
    match = getattr(request, "resolver_match", None)
    if match is None and request.path_info.startswith(settings.STATIC_URL or "/static/"):
        return STATIC
    if match is None:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return UNMATCHED
    # The pattern's name with its namespaces, or the view's dotted path when it has no name.
    return match.view_name


class RequestMetricsMiddleware:
    """Times every request and counts it by view, method and status. First in the list after
    the probes, so redirects and refusals of the other middleware are counted too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        self.observe(request, response.status_code, time.perf_counter() - started)
        return response

    @staticmethod
    def observe(request: HttpRequest, status: int, seconds: float) -> None:
        view = view_label(request)
        method = request.method if request.method in KNOWN_METHODS else "other"
        HTTP_REQUEST_DURATION.labels(view=view, method=method).observe(seconds)
        HTTP_REQUESTS.labels(view=view, method=method, status=str(status)).inc()
