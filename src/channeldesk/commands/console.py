"""Shared helpers for the command-line face: the commands' base, consoles, tables, progress,
dates, JSON.

rich is imported by the helpers that draw, not at the top: it takes about a tenth of a second,
which every command would pay at its start, `--help` included (benchmarks/cli_start.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import select
import signal
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from channeldesk.core.errors import DomainError

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

FORMATS = ("table", "json")


class ChannelDeskCommand(BaseCommand):
    """The base of ChannelDesk's own commands (`tiers`, `demo`, `letters` …).

    They start without Django's system checks: the checks import every URL configuration with
    all its views and the API schema, which would add about half a second to every command,
    and what they check does not change from one command to the next. `channeldesk check`
    (`--deploy` in production), `migrate` and `runserver` still run them.
    """

    requires_system_checks: list[str] = []
    # The licensing and usage commands have always ended a refusal with its code
    # ("… (keycode_exists)"), and scripts match on it; the others print the message alone.
    error_codes_shown = False

    def execute(self, *args: Any, **options: Any) -> Any:
        """A refusal by a business rule (`DomainError`) ends the command with its message and
        exit status 1, like any `CommandError`; anything else is a bug and keeps its traceback."""
        try:
            return super().execute(*args, **options)
        except DomainError as error:
            message = f"{error.message} ({error.code})" if self.error_codes_shown else error.message
            raise CommandError(message) from error


class SubcommandCommand(ChannelDeskCommand, metaclass=ABCMeta):
    """A command with actions (`channeldesk outbox dispatch|list|show|release|dismiss`).

    A subclass adds its actions in `add_actions` with `self.action(commands, name, help)` (which
    gives each action `--format table|json` unless `formats=False`; `formats=("table", "json",
    "csv")` offers those) and implements `do_<action>(options)` (`do_refresh_numbers` for
    `refresh-numbers`). `self.format` is set before it runs, `self.console` (rich, on stdout)
    is made when first used, `self.emit(document)` writes one JSON document and
    `self.answer(document, line)` gives a one-line result in either format.
    """

    format: str

    @cached_property
    def console(self) -> Console:
        """rich's console on the command's stdout, made when first used: an action that answers
        in JSON never imports rich."""
        return out_console(self.stdout)

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        self.add_actions(commands)

    @abstractmethod
    def add_actions(self, commands: Any) -> None:
        """Add the command's actions to `commands` (argparse subparsers)."""

    def action(
        self, commands: Any, name: str, help: str, *, formats: bool | Sequence[str] = True
    ) -> CommandParser:
        parser: CommandParser = commands.add_parser(name, help=help)
        if formats:
            choices = FORMATS if formats is True else tuple(formats)
            parser.add_argument("--format", choices=choices, default="table")
        return parser

    def handle(self, *args: Any, **options: Any) -> None:
        self.format = options.get("format", "table")
        self.__dict__.pop("console", None)  # run again (tests): a console on the new stdout
        getattr(self, f"do_{options['action'].replace('-', '_')}")(options)

    def emit(self, document: Any) -> None:
        self.stdout.write(to_json(document))

    def answer(self, document: Any, line: str) -> None:
        """An action's one result: `document` as JSON with `--format json`, else `line`."""
        if self.format == "json":
            self.emit(document)
        else:
            self.console.print(line)


def out_console(stdout: Any) -> Console:
    """A console on the command's stdout; plain (no colours, wide) when not a terminal."""
    from rich.console import Console  # noqa: PLC0415 (start-up cost, see above)

    return Console(file=stdout, soft_wrap=True, width=160 if not stdout.isatty() else None)


def err_console() -> Console:
    from rich.console import Console  # noqa: PLC0415 (start-up cost, see above)

    return Console(stderr=True)


def new_table(*headers: str, **options: Any) -> Table:
    """A rich table with these column headers (`title=` and the other options of rich's
    `Table`), to print on `out_console`."""
    from rich.table import Table  # noqa: PLC0415 (start-up cost, see above)

    return Table(*headers, **options)


@contextmanager
def status(message: str) -> Iterator[None]:
    """A spinner on stderr while long work runs (only when stderr is a terminal)."""
    console = err_console()
    if console.is_terminal:
        with console.status(message):
            yield
    else:
        yield


@contextmanager
def progress_bar(description: str, *, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr while long work runs, for `total` steps (None: unknown); yields
    `advance(steps)`. Shown only when stderr is a terminal, like `status`; output for scripts
    and logs stays as it is."""
    from rich import progress as rich_progress  # noqa: PLC0415 (start-up cost, see above)

    console = err_console()
    if not console.is_terminal:
        yield lambda _steps: None
        return
    columns = (
        rich_progress.TextColumn("{task.description}"),
        rich_progress.BarColumn(),
        rich_progress.MofNCompleteColumn(),
        rich_progress.TimeElapsedColumn(),
        rich_progress.TimeRemainingColumn(),
    )
    with rich_progress.Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task(description, total=total)
        yield lambda steps: progress.advance(task, steps)


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


class StopRequest:
    """A stop asked for by a signal, and a wait that a signal ends at once.

    Not a `threading.Event`: its `set()` takes a lock, and a signal handler that runs while the
    main thread holds that same lock (inside `Event.wait`) waits on itself forever. That hung a
    dispatcher on SIGTERM in CI. The handler here only sets a flag and writes one byte to a
    pipe; `wait()` sleeps in `select()` on that pipe, which the byte wakes.
    """

    def __init__(self) -> None:
        self._requested = False
        self._read, self._write = os.pipe()
        os.set_blocking(self._write, False)

    def set(self, *_signal: object) -> None:
        self._requested = True
        with suppress(BlockingIOError):  # the pipe is full of earlier requests: already awake
            os.write(self._write, b"x")

    def is_set(self) -> bool:
        return self._requested

    def wait(self, timeout: float) -> bool:
        """Sleep up to `timeout` seconds; return at once when a stop is (or was) requested."""
        if not self._requested:
            select.select([self._read], [], [], timeout)
        return self._requested

    def close(self) -> None:
        os.close(self._read)
        os.close(self._write)


@contextmanager
def stop_signal() -> Iterator[StopRequest]:
    """SIGTERM and SIGINT ask a worker loop to stop after its current run (never mid-send)."""
    stop = StopRequest()
    previous = {
        number: signal.signal(number, stop.set) for number in (signal.SIGTERM, signal.SIGINT)
    }
    try:
        yield stop
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        stop.close()
