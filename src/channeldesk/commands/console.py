"""Shared helpers for the command-line face: consoles, dates, JSON."""

from __future__ import annotations

import datetime as dt
import json
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandError
from rich.console import Console

FORMATS = ("table", "json")


def out_console(stdout: Any) -> Console:
    """A console on the command's stdout; plain (no colours, wide) when not a terminal."""
    return Console(file=stdout, soft_wrap=True, width=160 if not stdout.isatty() else None)


def err_console() -> Console:
    return Console(stderr=True)


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner on stderr while long work runs (only when stderr is a terminal)."""
    console = err_console()
    if console.is_terminal:
        with console.status(message):
            yield
    else:
        yield


def parse_date(value: str) -> dt.date:
    """ISO (2026-07-01) or German (01.07.2026) dates on the command line."""
    for pattern in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    raise CommandError(f"'{value}' is not a date (use YYYY-MM-DD or DD.MM.YYYY).")


def to_json(data: Any) -> str:
    return json.dumps(data, default=_default, ensure_ascii=False)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def positive_int(value: str) -> int:
    """An argparse type: a whole number of at least 1."""
    number = int(value)
    if number < 1:
        raise ValueError(value)
    return number


@contextmanager
def stop_signal() -> Iterator[threading.Event]:
    """SIGTERM and SIGINT ask a worker loop to stop after its current run (never mid-send)."""
    stop = threading.Event()
    previous = {
        number: signal.signal(number, lambda *_: stop.set())
        for number in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
