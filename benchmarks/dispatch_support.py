"""Shared pieces of the dispatch benchmarks (`reminders_dispatch`, `webhooks_dispatch`): a peer
process that receives what is sent (an SMTP sink, an HTTP receiver) and counts it, dispatcher
processes timed from a common start signal, scratch tables emptied between runs, and the runs
themselves: per run the bare loop and then the dispatchers, each checked at the peer for
exactly-once arrival, reported as rates and sender CPU beside the bare loop's.

A peer is `peer(port, control)`: it sends "ready" over the pipe, answers "stats" with the
counts of the ids it saw since the last "stats", and ends on "stop". A dispatcher is
`target(*job, ready, start, out)`: it releases `ready` when started up, waits for `start`, then
puts `(perf_counter() at its end, number sent, CPU seconds)` on `out`.
"""

from __future__ import annotations

import multiprocessing
import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from common import emit_compared

DISPATCHERS = 2
STARTUP_TIMEOUT = 120  # seconds
RUN_TIMEOUT = 600  # seconds


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def peer_running(peer: Callable[[int, Connection], None], port: int) -> Iterator[Connection]:
    """The peer in a process of its own, listening on `port`; the pipe to it while it runs."""
    context = multiprocessing.get_context("spawn")
    control, remote = context.Pipe()
    process = context.Process(target=peer, args=(port, remote), daemon=True)
    process.start()
    assert control.recv() == "ready"
    yield control
    control.send("stop")
    process.join()


def arrived_once(control: Connection, ids: Iterator[str]) -> bool:
    """Whether the peer saw each of `ids` exactly once (and nothing else) since the last ask."""
    control.send("stats")
    return control.recv() == dict.fromkeys(ids, 1)


@dataclass(frozen=True)
class Measured:
    """Items sent per second, and the sender's CPU time per item (all its processes)."""

    rate: float
    cpu_ms: float


def dispatch_rate(target: Callable[..., None], jobs: Sequence[tuple[Any, ...]]) -> Measured:
    """One dispatcher process per job, timed from a common start signal."""
    context = multiprocessing.get_context("spawn")
    ready, start, out = context.Semaphore(0), context.Event(), context.Queue()
    processes = [context.Process(target=target, args=(*job, ready, start, out)) for job in jobs]
    for process in processes:
        process.start()
    for _ in processes:
        if not ready.acquire(timeout=STARTUP_TIMEOUT):
            for process in processes:
                process.kill()
                process.join()
            raise RuntimeError("A dispatcher process did not start; see its traceback above.")
    began = time.perf_counter()
    start.set()
    reports = [out.get(timeout=RUN_TIMEOUT) for _ in processes]
    for process in processes:
        process.join()
    sent = sum(report[1] for report in reports)
    cpu = sum(report[2] for report in reports)
    return Measured(sent / (max(report[0] for report in reports) - began), cpu * 1000 / sent)


def tables_empty(tables: Sequence[str]) -> None:
    """DELETE (children first), then VACUUM on PostgreSQL: the deleted rows would otherwise stay
    behind as dead tuples wherever autovacuum is off (as on the benchmark machine) and slow
    later runs down."""
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM {', '.join(tables)}")


def tables_analyze(tables: Sequence[str]) -> None:
    """Fresh planner statistics after a refill (PostgreSQL only)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")


@dataclass
class Figures:
    bare: list[Measured] = field(default_factory=list)
    dispatch: list[Measured] = field(default_factory=list)
    exactly_once: bool = True

    def median(self, which: str, field: str) -> float:
        return statistics.median(getattr(m, field) for m in getattr(self, which))


def measure[T](
    runs: int,
    control: Connection,
    *,
    refill: Callable[[], list[T]],
    bare: Callable[[list[T]], Measured],
    dispatch: Callable[[], Measured],
    key: Callable[[T], str],
) -> Figures:
    """Per run: refill, the bare loop, refill, the dispatchers; each checked at the peer (which
    counts the `key` of each item)."""
    figures = Figures()
    for _ in range(runs):
        items = refill()
        figures.bare.append(bare(items))
        figures.exactly_once &= arrived_once(control, map(key, items))
        items = refill()
        figures.dispatch.append(dispatch())
        figures.exactly_once &= arrived_once(control, map(key, items))
    return figures


def emit_figures(
    figures: Figures,
    *,
    rate: tuple[str, str],
    cpu_name: str,
    cpu_note: str,
    targets: Mapping[str, Any],
    common: Mapping[str, Any],
) -> None:
    """The dispatchers' median rate (`rate` is its name and unit) beside the bare loop's, with
    `targets`, and their median sender CPU per item beside the bare loop's."""
    common = {**common, "runs": len(figures.dispatch), "exactly_once": figures.exactly_once}
    name, unit = rate
    emit_compared(
        name,
        figures.median("dispatch", "rate"),
        unit,
        baseline=figures.median("bare", "rate"),
        **targets,
        rates=[round(m.rate, 1) for m in figures.dispatch],
        baselines=[round(m.rate, 1) for m in figures.bare],
        **common,
    )
    emit_compared(
        cpu_name,
        figures.median("dispatch", "cpu_ms"),
        "ms",
        baseline=figures.median("bare", "cpu_ms"),
        note=cpu_note,
        **common,
    )
