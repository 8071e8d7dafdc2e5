"""`channeldesk reminders ...`: plan and send the renewal reminders, look into them, settle them.

- `plan [--date D]`: plan what falls due within the horizon, cancel what no longer holds;
- `run [--date D] [--limit N] [--no-outbox]`: the whole sweep for cron: plan, expire contracts,
  send what is due, then let the outbox send the e-mails;
- `dispatch [--date D] [--loop] [--limit N] [--batch N] [--worker NAME]`: only send what is due
  (once, or until stopped with SIGTERM/Ctrl-C); several may run at once;
- `list [--status S ...] [--contract V] [--limit N]`: reminders by due date;
- `show ID`: one reminder with its history;
- `release ID ...` / `dismiss ID ... --reason TEXT`: staff decisions on review/failed ones.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from channeldesk.commands.console import (
    FORMATS,
    ChannelDeskCommand,
    new_table,
    out_console,
    parse_date,
    positive_int,
    stop_signal,
    to_json,
)
from channeldesk.contracts.models import Reminder, ReminderStatus
from channeldesk.contracts.reminders.conf import reminder_settings
from channeldesk.contracts.reminders.dispatch import DispatchReport, reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.contracts.reminders.selectors import (
    ReminderNotFound,
    reminder_get,
    reminder_history,
    reminders_list,
)
from channeldesk.contracts.reminders.services import (
    ReminderError,
    reminder_dismiss,
    reminder_release,
    reminders_run,
)
from channeldesk.notifications.dispatch import default_worker


class Command(ChannelDeskCommand):
    help = "Plan and send renewal reminders, list them, release or dismiss doubtful ones."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        plan = commands.add_parser("plan", help="Plan what falls due within the horizon.")
        plan.add_argument("--date", type=parse_date, help="Plan as of this day (default: today).")
        plan.add_argument("--format", choices=FORMATS, default="table")

        run = commands.add_parser("run", help="Plan, expire, send what is due, then the outbox.")
        run.add_argument("--date", type=parse_date, help="Send what is due by this day.")
        run.add_argument("--limit", type=positive_int, default=1000, help="Reminders per run.")
        run.add_argument("--no-outbox", action="store_true", help="Leave the e-mails queued.")
        run.add_argument("--format", choices=FORMATS, default="table")

        dispatch = commands.add_parser("dispatch", help="Only send what is due.")
        dispatch.add_argument("--date", type=parse_date, help="Send what is due by this day.")
        dispatch.add_argument("--loop", action="store_true", help="Keep going until stopped.")
        dispatch.add_argument("--limit", type=positive_int, default=1000, help="Reminders per run.")
        dispatch.add_argument("--batch", type=positive_int, help="Reminders claimed at once.")
        dispatch.add_argument("--worker", default="", help="Name in the history (host:pid).")
        dispatch.add_argument("--format", choices=FORMATS, default="table")

        listing = commands.add_parser("list", help="Reminders by due date.")
        listing.add_argument("--status", action="append", choices=ReminderStatus.values, default=[])
        listing.add_argument("--contract", help="Only this contract number.")
        listing.add_argument("--limit", type=positive_int, default=50)
        listing.add_argument("--format", choices=FORMATS, default="table")

        show = commands.add_parser("show", help="One reminder and its history.")
        show.add_argument("id", type=int)
        show.add_argument("--format", choices=FORMATS, default="table")

        release = commands.add_parser("release", help="Send review/failed reminders (again).")
        release.add_argument("ids", nargs="+", type=int, metavar="ID")
        release.add_argument("--note", default="", help="Why (kept in the history).")
        release.add_argument("--format", choices=FORMATS, default="table")

        dismiss = commands.add_parser("dismiss", help="Close reminders without sending them.")
        dismiss.add_argument("ids", nargs="+", type=int, metavar="ID")
        dismiss.add_argument("--reason", required=True, help="Why (kept in the history).")
        dismiss.add_argument("--format", choices=FORMATS, default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        self.console = out_console(self.stdout)
        self.format = options["format"]
        handler = getattr(self, f"do_{options['action']}")
        try:
            handler(options)
        except (ReminderNotFound, ReminderError, ValueError) as error:
            raise CommandError(str(error)) from error

    def emit(self, document: Any) -> None:
        self.stdout.write(to_json(document))

    # --- plan, run, dispatch --------------------------------------------------------------

    def do_plan(self, options: dict[str, Any]) -> None:
        report = reminders_plan(today=options["date"])
        if self.format == "json":
            self.emit(asdict(report))
            return
        self.console.print(
            f"plan: {report.planned} planned, {report.replanned} re-planned, "
            f"{report.cancelled} cancelled"
        )

    def do_run(self, options: dict[str, Any]) -> None:
        report = reminders_run(
            today=options["date"], limit=options["limit"], dispatch_outbox=not options["no_outbox"]
        )
        outbox = report.outbox
        if self.format == "json":
            self.emit(
                {
                    "today": report.today,
                    "expired_contracts": report.expired_contracts,
                    "plan": asdict(report.plan),
                    "dispatch": asdict(report.dispatch),
                    "outbox": asdict(outbox) if outbox is not None else None,
                }
            )
            return
        self.console.print(f"{report.today}: {report.expired_contracts} contract(s) expired")
        self.console.print(
            f"plan: {report.plan.planned} planned, {report.plan.replanned} re-planned, "
            f"{report.plan.cancelled} cancelled"
        )
        self.report(report.dispatch)
        if outbox is not None:
            self.console.print(
                f"outbox: sent {outbox.sent}, retry {outbox.retried}, failed {outbox.failed}, "
                f"review {outbox.review}"
            )

    def do_dispatch(self, options: dict[str, Any]) -> None:
        arguments = {
            "limit": options["limit"],
            "worker": options["worker"] or default_worker(),
            "batch_size": options["batch"],
        }
        if not options["loop"]:
            self.report(reminders_dispatch(today=options["date"], **arguments))
            return
        total = DispatchReport()
        with stop_signal() as stop:
            while not stop.is_set():
                close_old_connections()
                result = reminders_dispatch(today=options["date"], **arguments)
                total += result
                if result.did_something:
                    self.report(result)
                if not result.claimed:
                    stop.wait(reminder_settings().poll_interval)
        self.report(total, label="total")

    def report(self, result: DispatchReport, *, label: str = "dispatch") -> None:
        if self.format == "json":
            self.emit({"label": label, **asdict(result)})
            return
        self.console.print(
            f"{label}: claimed {result.claimed}, sent {result.sent} ({result.late} late), "
            f"cancelled {result.cancelled}, missed {result.missed}, failed {result.failed}, "
            f"deferred {result.deferred}, review {result.review}, returned {result.returned}"
        )

    # --- list, show -----------------------------------------------------------------------

    def do_list(self, options: dict[str, Any]) -> None:
        reminders = reminders_list(
            statuses=options["status"],
            contract_number=options["contract"],
            limit=options["limit"],
        )
        if self.format == "json":
            for reminder in reminders:
                self.emit(_document(reminder))
            return
        table = new_table("id", "contract", "template", "due", "status", "sent on", "to", "reason")
        for reminder in reminders:
            table.add_row(
                str(reminder.pk),
                reminder.contract.contract_number,
                reminder.rule.template,
                reminder.due_on.isoformat(),
                reminder.status + (" (late)" if reminder.late else ""),
                reminder.sent_on.isoformat() if reminder.sent_on else "",
                reminder.recipient,
                reminder.reason,
            )
        self.console.print(table)

    def do_show(self, options: dict[str, Any]) -> None:
        reminder = reminder_get(pk=options["id"])
        history = [asdict(entry) for entry in reminder_history(reminder=reminder)]
        if self.format == "json":
            self.emit({**_document(reminder), "history": history})
            return
        self.console.print(
            f"{reminder.key}: {reminder.contract.contract_number}, {reminder.rule}, due on "
            f"{reminder.due_on}: {reminder.status} {reminder.reason}".strip()
        )
        table = new_table("at", "event", "worker", "by", "detail")
        for row in history:
            table.add_row(
                f"{timezone.localtime(row['at']):%Y-%m-%d %H:%M:%S}",
                row["kind"],
                row["worker"],
                row["by"],
                row["detail"],
            )
        self.console.print(table)

    # --- release, dismiss -----------------------------------------------------------------

    def do_release(self, options: dict[str, Any]) -> None:
        for pk in options["ids"]:
            self.settled(reminder_release(reminder=reminder_get(pk=pk), note=options["note"]))

    def do_dismiss(self, options: dict[str, Any]) -> None:
        for pk in options["ids"]:
            reminder = reminder_dismiss(reminder=reminder_get(pk=pk), reason=options["reason"])
            self.settled(reminder)

    def settled(self, reminder: Reminder) -> None:
        if self.format == "json":
            self.emit({"id": reminder.pk, "status": reminder.status})
        else:
            self.console.print(f"{reminder.key}: {reminder.status}")


def _document(reminder: Reminder) -> dict[str, Any]:
    return {
        "id": reminder.pk,
        "contract": reminder.contract.contract_number,
        "template": reminder.rule.template,
        "offset_days": reminder.offset_days,
        "contract_end_date": reminder.contract_end_date,
        "due_on": reminder.due_on,
        "status": reminder.status,
        "late": reminder.late,
        "reason": reminder.reason,
        "sent_on": reminder.sent_on,
        "recipient": reminder.recipient,
    }
