"""The CLI face of the delivery engine, written once for `outbox`, `reminders` and `tiers notices`.

- `add_dispatch_action` / `dispatch`: `dispatch [--loop] [--limit N] [--batch N] [--worker NAME]`,
  once or until SIGTERM/Ctrl-C (which lets the current batch finish), with one report line
  (or JSON document) per run that did something and a total;
- `add_review_actions` / `do_release` / `do_dismiss`: `release REF ... [--note TEXT]` and
  `dismiss REF ... --reason TEXT` through the kind's `Reviewable`.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections

from channeldesk.commands.console import SubcommandCommand, positive_int, stop_signal
from channeldesk.notifications.leases import DispatchResult, default_worker
from channeldesk.notifications.review import Reviewable


class DeliveryCommand(SubcommandCommand):
    """A subcommand CLI for one kind of delivery.

    A subclass sets `review` (its `Reviewable`, or a function returning it), `noun` (plural,
    for the help texts), `reference` (the positional argument: "keys"/"KEY" or "ids"/"ID" and
    its type), `counts` (the names of the counts it reports) and implements `report_line`.
    """

    noun: str
    counts: tuple[str, ...]
    reference_name = "keys"
    reference_metavar = "KEY"
    reference_type: Callable[[str], Any] = str

    @abstractmethod
    def reviewable(self) -> Reviewable[Any]:
        """The kind's `Reviewable` (release, dismiss)."""

    # --- dispatch ------------------------------------------------------------------------------

    def add_dispatch_action(self, commands: Any, *, help: str, date: Any = None) -> Any:
        parser = self.action(commands, "dispatch", help)
        if date is not None:
            parser.add_argument("--date", type=date, help="Send what is due by this day.")
        parser.add_argument("--loop", action="store_true", help="Keep going until stopped.")
        parser.add_argument(
            "--limit", type=positive_int, default=1000, help=f"{self.noun.capitalize()} per run."
        )
        parser.add_argument(
            "--batch", type=positive_int, help=f"{self.noun.capitalize()} claimed at once."
        )
        parser.add_argument("--worker", default="", help="Name in the history (host:pid).")
        return parser

    def dispatch(
        self,
        options: dict[str, Any],
        run: Callable[..., DispatchResult],
        *,
        poll_interval: Callable[[], float],
        label: str,
    ) -> None:
        """Run `run(limit=, worker=, batch_size=)` once, or in a loop until stopped."""
        arguments = {
            "limit": options["limit"],
            "worker": options["worker"] or default_worker(),
            "batch_size": options["batch"],
        }
        if not options["loop"]:
            self.report(run(**arguments), label=label)
            return
        total = DispatchResult()
        with stop_signal() as stop:
            while not stop.is_set():
                close_old_connections()
                result = run(**arguments)
                total += result
                if result.did_something:
                    self.report(result, label=label)
                if not result.claimed:
                    stop.wait(poll_interval())
        self.report(total, label="total")

    def report(self, result: DispatchResult, *, label: str) -> None:
        if self.format == "json":
            self.emit({"label": label, **result.document(self.counts)})
            return
        self.console.print(f"{label}: {self.report_line(result)}")

    @abstractmethod
    def report_line(self, result: DispatchResult) -> str:
        """One run's counts as a line of text."""

    # --- release, dismiss ----------------------------------------------------------------------

    def add_review_actions(self, commands: Any) -> None:
        release = self.action(commands, "release", f"Send review/failed {self.noun} again.")
        self._references(release)
        release.add_argument("--note", default="", help="Why (kept in the history).")
        dismiss = self.action(commands, "dismiss", f"Close {self.noun} without sending them.")
        self._references(dismiss)
        dismiss.add_argument("--reason", required=True, help="Why (kept in the history).")

    def _references(self, parser: Any) -> None:
        parser.add_argument(
            self.reference_name,
            nargs="+",
            type=self.reference_type,
            metavar=self.reference_metavar,
        )

    def do_release(self, options: dict[str, Any]) -> None:
        self._decide(options, action="release", text=options["note"])

    def do_dismiss(self, options: dict[str, Any]) -> None:
        self._decide(options, action="dismiss", text=options["reason"])

    def _decide(self, options: dict[str, Any], *, action: str, text: str) -> None:
        review_decide(
            self, self.reviewable(), options[self.reference_name], action=action, text=text
        )


def review_decide(
    command: SubcommandCommand,
    kind: Reviewable[Any],
    references: list[Any],
    *,
    action: str,
    text: str,
) -> None:
    """Release or dismiss each referenced item of a kind through its `Reviewable`, printing
    its new status (a line, or a JSON document per item); a refusal (a `DomainError`) ends the
    command. Also used by commands that host a kind's review beside other actions
    (`tiers notices-release`)."""
    for reference in references:
        item = kind.decide(kind.get(reference), action=action, actor=None, text=text)
        if command.format == "json":
            command.emit({**kind.reference(item), "status": item.status})
        else:
            command.console.print(f"{kind.name(item)}: {item.status}")
