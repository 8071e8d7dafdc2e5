"""Races for the concurrency tests: the same work started in several threads at one moment."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections


def run_together(count: int, work: Callable[[int], object]) -> list[object]:
    """`work(0)` … `work(count - 1)`, each in a thread of its own (with its own database
    connection, closed after), all released at the same moment; their results in that order,
    an exception standing for the result of the work that raised it (for the caller's
    assertions to report)."""
    barrier = threading.Barrier(count)
    results: list[object] = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = work(index)
        except Exception as error:  # reported by the assertions of the caller
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
