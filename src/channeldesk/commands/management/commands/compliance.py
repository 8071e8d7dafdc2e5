"""`channeldesk compliance ...`: under-licensing of enterprise contracts.

- `scan [--date D] [--no-notices]`: the daily job by hand (`compliance_sweep`, the job's own
  sweep): mark stale installations, catch up the missed days through D (default today), queue
  the partner notices of new episodes and the staff digest;
- `stale [--date D]`: the hourly job by hand: installations not seen within
  LICENSING_ACTIVE_DAYS become stale (they no longer count as active in the next scan);
- `report [--date D] [--format table|json|csv]`: the report as of the latest scan on or before D.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from channeldesk.commands.console import FORMATS, SubcommandCommand, new_table, parse_date
from channeldesk.licensing.compliance import compliance_sweep
from channeldesk.licensing.selectors import compliance_report, compliance_report_csv
from channeldesk.licensing.services import installations_mark_stale


class Command(SubcommandCommand):
    help = "Scan licence compliance and report under-licensed customers."

    def add_actions(self, commands: Any) -> None:
        scan = self.action(commands, "scan", "Scan through a day (catching up missed days).")
        scan.add_argument("--date", type=parse_date, help="Scan through this day (default today).")
        scan.add_argument("--no-notices", action="store_true", help="Queue no e-mails.")
        stale = self.action(commands, "stale", "Mark installations not seen lately as stale.")
        stale.add_argument("--date", type=parse_date, help="As of this day (default today).")
        report = self.action(
            commands, "report", "Who is under-licensed.", formats=(*FORMATS, "csv")
        )
        report.add_argument("--date", type=parse_date, help="As of this day (latest scan).")

    def do_scan(self, options: dict[str, Any]) -> None:
        result = compliance_sweep(
            today=options["date"] or timezone.localdate(),
            with_notices=not options["no_notices"],
        )
        document: dict[str, Any] = {
            "stale_installations": result.stale_installations,
            "days": [
                {
                    "day": scan.day.isoformat(),
                    "contracts": scan.contracts,
                    "by_status": scan.by_status,
                    "episodes_opened": scan.episodes_opened,
                    "episodes_closed": scan.episodes_closed,
                }
                for scan in result.scans
            ],
            "notices_queued": result.notices_queued,
            "digest_queued": result.digest_queued,
        }
        if self.format == "json":
            self.emit(document)
            return
        self.console.print(f"stale installations: {result.stale_installations}")
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

    def do_stale(self, options: dict[str, Any]) -> None:
        stale = installations_mark_stale(today=options["date"] or timezone.localdate())
        self.answer({"stale_installations": stale}, f"stale installations: {stale}")

    def do_report(self, options: dict[str, Any]) -> None:
        report = compliance_report(on=options["date"])
        if self.format == "json":
            self.emit(report.as_dict())
            return
        if self.format == "csv":
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
