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

from django.utils import timezone

from channeldesk.commands.console import new_table, parse_date, positive_int
from channeldesk.commands.delivery import DeliveryCommand
from channeldesk.contracts.models import Reminder, ReminderStatus
from channeldesk.contracts.reminders.conf import reminder_settings
from channeldesk.contracts.reminders.dispatch import REMINDER_COUNTS, reminders_dispatch
from channeldesk.contracts.reminders.planning import reminders_plan
from channeldesk.contracts.reminders.selectors import (
    reminder_get,
    reminder_history,
    reminders_list,
)
from channeldesk.contracts.reminders.services import REMINDER_REVIEW, reminders_run
from channeldesk.notifications.dispatch import OUTBOX_COUNTS
from channeldesk.notifications.leases import DispatchResult
from channeldesk.notifications.review import Reviewable


class Command(DeliveryCommand):
    help = "Plan and send renewal reminders, list them, release or dismiss doubtful ones."
    noun = "reminders"
    counts = REMINDER_COUNTS
    reference_name = "ids"
    reference_metavar = "ID"
    reference_type = int

    def add_actions(self, commands: Any) -> None:
        plan = self.action(commands, "plan", "Plan what falls due within the horizon.")
        plan.add_argument("--date", type=parse_date, help="Plan as of this day (default: today).")

        run = self.action(commands, "run", "Plan, expire, send what is due, then the outbox.")
        run.add_argument("--date", type=parse_date, help="Send what is due by this day.")
        run.add_argument("--limit", type=positive_int, default=1000, help="Reminders per run.")
        run.add_argument("--no-outbox", action="store_true", help="Leave the e-mails queued.")

        self.add_dispatch_action(commands, help="Only send what is due.", date=parse_date)

        listing = self.action(commands, "list", "Reminders by due date.")
        listing.add_argument("--status", action="append", choices=ReminderStatus.values, default=[])
        listing.add_argument("--contract", help="Only this contract number.")
        listing.add_argument("--limit", type=positive_int, default=50)

        show = self.action(commands, "show", "One reminder and its history.")
        show.add_argument("id", type=int)
        self.add_review_actions(commands)

    def reviewable(self) -> Reviewable[Reminder]:
        return REMINDER_REVIEW

    # --- plan, run, dispatch --------------------------------------------------------------

    def do_plan(self, options: dict[str, Any]) -> None:
        report = reminders_plan(today=options["date"])
        self.answer(
            asdict(report),
            f"plan: {report.planned} planned, {report.replanned} re-planned, "
            f"{report.cancelled} cancelled",
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
                    "dispatch": report.dispatch.document(REMINDER_COUNTS),
                    "outbox": outbox.document(OUTBOX_COUNTS) if outbox is not None else None,
                }
            )
            return
        self.console.print(f"{report.today}: {report.expired_contracts} contract(s) expired")
        self.console.print(
            f"plan: {report.plan.planned} planned, {report.plan.replanned} re-planned, "
            f"{report.plan.cancelled} cancelled"
        )
        self.report(report.dispatch, label="dispatch")
        if outbox is not None:
            self.console.print(
                f"outbox: sent {outbox.sent}, retry {outbox.retried}, failed {outbox.failed}, "
                f"review {outbox.review}"
            )

    def do_dispatch(self, options: dict[str, Any]) -> None:
        def run(**arguments: Any) -> DispatchResult:
            return reminders_dispatch(today=options["date"], **arguments)

        poll = lambda: reminder_settings().poll_interval  # noqa: E731 - read when the loop waits
        self.dispatch(options, run, poll_interval=poll, label="dispatch")

    def report_line(self, result: DispatchResult) -> str:
        return (
            f"claimed {result.claimed}, sent {result.sent} ({result.late} late), "
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
