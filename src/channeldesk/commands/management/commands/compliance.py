"""`channeldesk compliance ...`: under-licensing of enterprise contracts.

- `scan [--date D] [--no-notices]`: the daily job by hand: catch up the missed days through D
  (default today), queue the partner notices of new episodes and the staff digest;
- `report [--date D] [--format table|json|csv]`: the report as of the latest scan on or before D.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from channeldesk.commands.console import (
    ChannelDeskCommand,
    new_table,
    out_console,
    parse_date,
    to_json,
)
from channeldesk.licensing.compliance import compliance_run
from channeldesk.licensing.notices import digest_send, notices_send
from channeldesk.licensing.selectors import compliance_report, compliance_report_csv


class Command(ChannelDeskCommand):
    help = "Scan licence compliance and report under-licensed customers."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True, parser_class=CommandParser)
        scan = commands.add_parser("scan", help="Scan through a day (catching up missed days).")
        scan.add_argument("--date", type=parse_date, help="Scan through this day (default today).")
        scan.add_argument("--no-notices", action="store_true", help="Queue no e-mails.")
        scan.add_argument("--format", choices=("table", "json"), default="table")
        report = commands.add_parser("report", help="Who is under-licensed.")
        report.add_argument("--date", type=parse_date, help="As of this day (latest scan).")
        report.add_argument("--format", choices=("table", "json", "csv"), default="table")

    def handle(self, *args: Any, **options: Any) -> None:
        self.console = out_console(self.stdout)
        getattr(self, f"do_{options['action']}")(options)

    def do_scan(self, options: dict[str, Any]) -> None:
        today = options["date"] or timezone.localdate()
        results = compliance_run(today=today)
        notices = digest = None
        if not options["no_notices"]:
            notices = notices_send()
            digest = digest_send(day=today)
        document: dict[str, Any] = {
            "days": [
                {
                    "day": result.day.isoformat(),
                    "contracts": result.contracts,
                    "by_status": result.by_status,
                    "episodes_opened": result.episodes_opened,
                    "episodes_closed": result.episodes_closed,
                }
                for result in results
            ],
            "notices_queued": notices.queued if notices else 0,
            "digest_queued": bool(digest),
        }
        if options["format"] == "json":
            self.stdout.write(to_json(document))
            return
        for day in document["days"]:
            statuses = ", ".join(
                f"{key} {value}" for key, value in sorted(day["by_status"].items())
            )
            self.console.print(
                f"{day['day']}: {day['contracts']} contracts ({statuses}); episodes "
                f"+{day['episodes_opened']} -{day['episodes_closed']}"
            )
        self.console.print(
            f"notices queued: {document['notices_queued']}; "
            f"digest queued: {document['digest_queued']}"
        )

    def do_report(self, options: dict[str, Any]) -> None:
        report = compliance_report(on=options["date"])
        if options["format"] == "json":
            self.stdout.write(to_json(report.as_dict()))
            return
        if options["format"] == "csv":
            self.stdout.write(compliance_report_csv(report=report), ending="")
            return
        if report.day is None:
            self.console.print("No compliance scan yet: run `channeldesk compliance scan`.")
            return
        self.console.print(
            f"{report.day}: {report.under_licensed_customers} of {report.customers} customers "
            f"under-licensed ({report.share_percent} %), {report.contracts} contracts."
        )
        for title, groups in (("sector", report.by_sector), ("partner", report.by_partner[:15])):
            table = new_table(title, "customers", "under-licensed", "%")
            for group in groups:
                table.add_row(
                    f"{group.key} {group.name if group.name != group.key else ''}".strip(),
                    str(group.customers),
                    str(group.under_licensed),
                    str(group.share_percent),
                )
            self.console.print(table)
        gaps = new_table("gap", "contracts", "missing seats")
        for row in report.by_gap:
            gaps.add_row(row["gap"], str(row["contracts"]), str(row["missing_seats"]))
        self.console.print(gaps)
        top = new_table(
            "contract", "customer", "partner", "seats", "active", "missing", "true-up net"
        )
        for item in report.under_licensed[:20]:
            top.add_row(
                item.contract_number,
                item.customer_name,
                item.partner_number,
                str(item.seats),
                str(item.active_installations),
                str(item.missing_seats),
                item.trueup_net_amount or "",
            )
        self.console.print(top)
