"""A worker loop's stop: SIGTERM ends its wait at once, and never hangs the process."""

from __future__ import annotations

import os
import signal
import threading
import time

from channeldesk.commands.console import StopRequest, stop_signal


def test_a_stop_request_ends_a_wait_that_is_already_sleeping() -> None:
    stop = StopRequest()
    threading.Timer(0.05, stop.set).start()
    started = time.monotonic()
    assert stop.wait(30) is True
    assert time.monotonic() - started < 29, "the wait ran out instead of being woken"
    stop.close()


def test_a_wait_after_the_request_returns_at_once_and_requests_repeat_harmlessly() -> None:
    stop = StopRequest()
    for _ in range(100_000):  # far more than a pipe holds: the handler must never block
        stop.set()
    assert stop.is_set()
    assert stop.wait(30) is True
    stop.close()


def test_sigterm_during_many_short_waits_stops_the_loop_and_restores_the_handler() -> None:
    """The dispatcher's loop shape with a short poll, signalled from another thread over and
    over: a handler that took a lock the waiting thread holds would hang here."""
    before = signal.getsignal(signal.SIGTERM)
    for _ in range(50):
        with stop_signal() as stop:
            threading.Timer(0.003, os.kill, (os.getpid(), signal.SIGTERM)).start()
            while not stop.is_set():  # the signal may land before the first round, or in any
                stop.wait(0.0005)
            assert stop.wait(30) is True  # and a wait after it never sleeps
    assert signal.getsignal(signal.SIGTERM) is before
