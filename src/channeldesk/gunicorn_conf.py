"""gunicorn's configuration for `channeldesk web` (`gunicorn -c python:channeldesk.gunicorn_conf`).

Read by gunicorn before Django starts, so it takes its few settings from the environment itself
(docs/processes.md lists them):

- `BIND` (default 127.0.0.1:8000): where to listen; behind the TLS proxy, on loopback or a
  private address. `channeldesk web --bind` overrides it.
- `WEB_CONCURRENCY`: worker processes; default 2 × cores + 1, at most MAX_DEFAULT_WORKERS (each
  worker holds a database connection, so the default stays modest on large machines).
- `WEB_TIMEOUT` (default 30 s): a worker silent for this long is killed and replaced.
- `WEB_GRACEFUL_TIMEOUT` (default 30 s): on SIGTERM, running requests get this long to finish.
- `PROMETHEUS_MULTIPROC_DIR`: when set, a worker that exits is marked dead for the metrics
  (prometheus_client's multiprocess mode), so its gauges do not linger in /metrics.

gunicorn writes no access log: its lines would carry whole paths and query strings, and with
them the secrets of invitation and password-reset links. ChannelDesk writes one line per request
itself (core/request_logging.py: view name, status, duration, request id, user, partner; link
secrets redacted, no query string). The error log goes to stderr, where the supervisor
(systemd's journal, the container runtime) collects it.
"""

from __future__ import annotations

import os
from typing import Any

MAX_DEFAULT_WORKERS = 12


def default_workers(cores: int | None) -> int:
    """2 × cores + 1 (gunicorn's advice for synchronous workers), at most MAX_DEFAULT_WORKERS."""
    return min(2 * (cores or 1) + 1, MAX_DEFAULT_WORKERS)


def _positive(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    number = int(value)
    if number < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}.")
    return number


bind = [os.environ.get("BIND", "").strip() or "127.0.0.1:8000"]
workers = _positive("WEB_CONCURRENCY", default_workers(os.cpu_count()))
worker_class = "sync"
timeout = _positive("WEB_TIMEOUT", 30)
graceful_timeout = _positive("WEB_GRACEFUL_TIMEOUT", 30)
keepalive = 5
accesslog = None
errorlog = "-"
# The proxy in front (docs/deploy.md) terminates TLS and says so in X-Forwarded-Proto.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
proc_name = "channeldesk-web"


def child_exit(server: Any, worker: Any) -> None:
    """A worker exited: its metrics files no longer count as live (Prometheus multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # noqa: PLC0415 (only with metrics on)

        multiprocess.mark_process_dead(worker.pid)
