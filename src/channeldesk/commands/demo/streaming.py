"""Streaming helpers of the demo load: whole records grouped into chunks, and a chunk generated
in the background while the previous one is written.

Both keep memory flat at any scale: at most the chunk being written and the next one are held.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import cast

_END = object()


def chunked[T](*, items: Iterable[T], weight: Callable[[T], int], limit: int) -> Iterator[list[T]]:
    """Whole items, grouped until a group's weight (order lines, contracts) reaches `limit`."""
    chunk: list[T] = []
    total = 0
    for item in items:
        chunk.append(item)
        total += weight(item)
        if total >= limit:
            yield chunk
            chunk, total = [], 0
    if chunk:
        yield chunk


def prefetched[T](*, chunks: Iterator[T]) -> Iterator[T]:
    """Yield `chunks`, generating the next one in a thread while the caller writes this one.

    Writing a chunk is mostly waiting for the database (PostgreSQL checks every foreign key of a
    chunk at commit) and psycopg releases the GIL while it waits, so generating meanwhile takes
    about a fifth off a full-scale load. At most one chunk waits in the queue: memory stays flat.
    Generation touches no database, so the thread needs no connection of its own.
    """
    handover: queue.Queue[object] = queue.Queue(maxsize=1)
    stopped = threading.Event()

    def hand_over(item: object) -> None:
        while not stopped.is_set():
            try:
                handover.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for chunk in chunks:
                hand_over(chunk)
            hand_over(_END)
        except BaseException as error:  # handed over: re-raised in the consuming thread
            hand_over(error)

    thread = threading.Thread(target=produce, name="demo-generator", daemon=True)
    thread.start()
    try:
        while (item := handover.get()) is not _END:
            if isinstance(item, BaseException):
                raise item
            yield cast(T, item)
    finally:
        stopped.set()
        thread.join()
