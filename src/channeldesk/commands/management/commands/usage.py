"""`channeldesk usage ...`: usage events in, rating, closing months, statements out.

- `import FILE [--format jsonl|csv] [--dry-run]`: events from JSON Lines or CSV, with a progress
  bar. The whole file is checked first; if any line is bad, every problem is listed with file,
  line and field, and nothing is stored. Re-importing a file stores nothing twice.
- `rate --month 2026-10 | --open`: rate an open month, or every open month as the hourly job
  does (repeatable; the same events give the same lines).
- `close --month 2026-10` or `close --due`: close a month after its grace period and issue its
  statements (once); `--due` closes every month that is due, in order.
- `statement list [--month M] [--partner P]`, `statement show NUMBER [--format table|json|csv]`,
  `statement export NUMBER [--pdf F] [--csv F] [--evidence F] [--customer K]`.
- `terms SKU user_day|user_month [--prorate]`, `subscribe CONTRACT KEY [--time-zone Z]
  [--minimum N]`, `grant KEY_ID SUBSCRIPTION_KEY ...`: set up metering.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import asdict
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import CommandError
from django.utils import timezone

from channeldesk.catalog.models import Product
from channeldesk.commands.console import FORMATS, SubcommandCommand, new_table, progress_bar
from channeldesk.contracts.models import Contract, Customer
from channeldesk.core.models import ServiceToken
from channeldesk.usage.closing import (
    period_close,
    period_rate,
    periods_close_due,
    periods_rate_open,
)
from channeldesk.usage.events import FIELDS, EventInput, Rejection, event_parse
from channeldesk.usage.ingest import usage_events_check, usage_events_ingest
from channeldesk.usage.models import BillingUnit, Statement, Subscription
from channeldesk.usage.selectors import statement_customer, statement_lines
from channeldesk.usage.services import sender_grant, service_terms_set, subscription_create
from channeldesk.usage.statements import (
    statement_csv_write,
    statement_evidence_write,
    statement_pdf,
)

CHUNK = 10_000
MAX_PROBLEMS = 50


def parse_month(value: str) -> dt.date:
    """`2026-10` (or a date in it) as the first of that month."""
    try:
        return dt.date.fromisoformat(f"{value}-01" if len(value) == 7 else value).replace(day=1)
    except ValueError:
        raise CommandError(f"'{value}' is not a month (use YYYY-MM).") from None


class Command(SubcommandCommand):
    help = "Usage events, rating, month close and statements of the managed services."
    error_codes_shown = True

    def add_actions(self, commands: Any) -> None:
        importing = self.action(
            commands, "import", "Import events (JSON Lines or CSV).", formats=False
        )
        importing.add_argument("file", type=Path)
        importing.add_argument("--format", choices=("jsonl", "csv"), help="Default: by suffix.")
        importing.add_argument("--dry-run", action="store_true", help="Only check the file.")

        rate = self.action(commands, "rate", "Rate an open month.")
        which = rate.add_mutually_exclusive_group(required=True)
        which.add_argument("--month", type=parse_month, help="One open month.")
        which.add_argument(
            "--open",
            action="store_true",
            help="Every open month (this one, and the last until it is closed), as the job does.",
        )

        close = self.action(commands, "close", "Close a month and issue its statements.")
        which = close.add_mutually_exclusive_group(required=True)
        which.add_argument("--month", type=parse_month)
        which.add_argument("--due", action="store_true", help="Every month that is due.")

        statement = self.action(
            commands, "statement", "List, show or export statements.", formats=False
        )
        statement_commands = statement.add_subparsers(dest="statement_action", required=True)
        listing = self.action(statement_commands, "list", "Statements, newest month first.")
        listing.add_argument("--month", type=parse_month)
        listing.add_argument("--partner", help="Partner number.")
        show = self.action(statement_commands, "show", "One statement.", formats=(*FORMATS, "csv"))
        show.add_argument("number")
        export = self.action(statement_commands, "export", "Write files.", formats=False)
        export.add_argument("number")
        export.add_argument("--pdf", type=Path)
        export.add_argument("--csv", type=Path)
        export.add_argument("--evidence", type=Path)
        export.add_argument("--customer", help="Only this customer's lines (to forward).")

        terms = self.action(commands, "terms", "How a service product is billed.", formats=False)
        terms.add_argument("sku")
        terms.add_argument("unit", choices=BillingUnit.values)
        terms.add_argument("--prorate", action="store_true")

        subscribe = self.action(commands, "subscribe", "Meter a service contract.", formats=False)
        subscribe.add_argument("contract_number")
        subscribe.add_argument("subscription_key")
        subscribe.add_argument("--time-zone", default="Europe/Berlin")
        subscribe.add_argument("--minimum", help="Minimum units per month.")

        grant = self.action(
            commands, "grant", "Let a usage token send for subscriptions.", formats=False
        )
        grant.add_argument("key_id")
        grant.add_argument("subscription_keys", nargs="+")

    # --- import ---------------------------------------------------------------------------

    def do_import(self, options: dict[str, Any]) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        kind = options["format"] or ("csv" if path.suffix.lower() == ".csv" else "jsonl")
        problems = self._check_file(path, kind)
        if problems:
            for problem in problems[:MAX_PROBLEMS]:
                self.stderr.write(problem)
            more = len(problems) - MAX_PROBLEMS
            if more > 0:
                self.stderr.write(f"... and {more} more")
            raise CommandError(
                f"{path}: rejected with {len(problems)} problems; nothing was imported."
            )
        if options["dry_run"]:
            self.stdout.write(f"{path}: all events are valid (dry run, nothing stored).")
            return
        accepted = duplicates = 0
        with progress_bar(f"importing {path.name}", total=path.stat().st_size) as advance:
            for chunk, size in _chunks(path, kind):
                report = usage_events_ingest(events=[item for _, item in chunk])
                accepted += report.accepted
                duplicates += report.duplicates
                advance(size)
        self.stdout.write(f"{path}: {accepted} events stored, {duplicates} duplicates skipped.")

    def _check_file(self, path: Path, kind: str) -> list[str]:
        problems: list[str] = []
        with progress_bar(f"checking {path.name}", total=path.stat().st_size) as advance:
            for chunk, size in _chunks(path, kind):
                report = usage_events_check(events=[item for _, item in chunk])
                for index, rejection in sorted(report.rejections.items()):
                    line = chunk[index][0]
                    problems.append(f"{path}:{line}: {rejection.message} ({rejection.reason})")
                advance(size)
        return problems

    # --- rate and close -------------------------------------------------------------------

    def do_rate(self, options: dict[str, Any]) -> None:
        if options["open"]:
            summaries = periods_rate_open(today=timezone.localdate())
        else:
            summaries = [period_rate(month=options["month"])]
        for summary in summaries:
            if self.format == "json":
                self.emit(asdict(summary))
                continue
            self.stdout.write(
                f"{summary.month:%Y-%m}: {summary.subscriptions} subscriptions, {summary.lines} "
                f"lines, {summary.units.normalize():f} units, net {summary.net_total} EUR."
            )

    def do_close(self, options: dict[str, Any]) -> None:
        due = options["due"]
        results = periods_close_due() if due else [period_close(month=options["month"])]
        if self.format == "json":
            for result in results:
                self.emit(asdict(result))
            return
        if not results:
            self.stdout.write("No month is due for closing.")
        for result in results:
            state = "closed now" if result.closed_now else "was closed before"
            self.stdout.write(
                f"{result.month:%Y-%m} {state}: {result.statements} statements, {result.lines} "
                f"lines ({result.adjustment_lines} adjustments), net {result.net_total} EUR."
            )

    # --- statements -----------------------------------------------------------------------

    def do_statement(self, options: dict[str, Any]) -> None:
        action = options["statement_action"]
        if action == "list":
            self._statement_list(options)
            return
        statement = _statement(options["number"])
        if action == "show":
            self._statement_show(statement)
        else:
            self._statement_export(statement, options)

    def _statement_list(self, options: dict[str, Any]) -> None:
        statements = Statement.objects.select_related("partner").order_by("-period", "number")
        if options["month"]:
            statements = statements.filter(period=options["month"])
        if options["partner"]:
            statements = statements.filter(partner__partner_number=options["partner"])
        rows = [
            {
                "number": item.number,
                "partner_number": item.partner.partner_number,
                "period": f"{item.period:%Y-%m}",
                "list_total": item.list_total,
                "net_total": item.net_total,
            }
            for item in statements
        ]
        if self.format == "json":
            for row in rows:
                self.emit(row)
            return
        table = new_table("number", "partner", "period", "list total", "net total")
        for row in rows:
            table.add_row(
                str(row["number"]),
                str(row["partner_number"]),
                str(row["period"]),
                str(row["list_total"]),
                str(row["net_total"]),
            )
        self.console.print(table)

    def _statement_show(self, statement: Statement) -> None:
        if self.format == "csv":
            statement_csv_write(statement=statement, target=self.stdout)
            return
        lines = list(statement_lines(statement=statement))
        if self.format == "json":
            self.emit(
                {
                    "number": statement.number,
                    "partner_number": statement.partner.partner_number,
                    "period": f"{statement.period:%Y-%m}",
                    "net_total": statement.net_total,
                    "lines": [_line_json(line) for line in lines],
                }
            )
            return
        table = new_table(
            "#",
            "customer",
            "contract",
            "month",
            "adj.",
            "kind",
            "units",
            "price",
            "disc. %",
            "net",
        )
        for line in lines:
            table.add_row(
                str(line.position),
                line.customer.customer_number,
                line.contract.contract_number,
                f"{line.usage_month:%Y-%m}",
                "yes" if line.is_adjustment else "",
                f"{line.billing_unit}" if line.line_kind == "usage" else "minimum commitment",
                f"{line.units.normalize():f}",
                str(line.unit_price),
                str(line.discount_percent),
                str(line.net_amount),
            )
        self.console.print(f"{statement.number} {statement.partner.name} {statement.period:%Y-%m}")
        self.console.print(table)
        self.console.print(f"net total {statement.net_total} EUR (list {statement.list_total} EUR)")

    def _statement_export(self, statement: Statement, options: dict[str, Any]) -> None:
        customer = None
        if options["customer"]:
            try:
                customer = statement_customer(
                    statement=statement, customer_number=options["customer"]
                )
            except Customer.DoesNotExist as error:
                raise CommandError(f"{options['customer']}: not on {statement.number}.") from error
        if options["pdf"]:
            document = statement_pdf(statement=statement, customer=customer)
            options["pdf"].write_bytes(document.file.read())
            self.stdout.write(f"PDF written to {options['pdf']}.")
        for key, write in (("csv", statement_csv_write), ("evidence", statement_evidence_write)):
            if options[key]:
                with options[key].open("w", encoding="utf-8", newline="") as target:
                    count = write(statement=statement, target=target, customer=customer)
                self.stdout.write(f"{key.upper()} written to {options[key]} ({count} rows).")

    # --- setup ----------------------------------------------------------------------------

    def do_terms(self, options: dict[str, Any]) -> None:
        product = _get(Product, sku=options["sku"])
        terms = service_terms_set(
            product=product, billing_unit=options["unit"], prorate=options["prorate"]
        )
        self.stdout.write(f"{product.sku}: billed per {terms.billing_unit}.")

    def do_subscribe(self, options: dict[str, Any]) -> None:
        contract = _get(Contract, contract_number=options["contract_number"])
        minimum = None
        if options["minimum"]:
            try:
                minimum = Decimal(options["minimum"])
            except InvalidOperation:
                raise CommandError(f"--minimum {options['minimum']}: not a number.") from None
        subscription = subscription_create(
            contract=contract,
            subscription_key=options["subscription_key"],
            time_zone=options["time_zone"],
            minimum_units=minimum,
        )
        self.stdout.write(f"{contract.contract_number} metered as {subscription}.")

    def do_grant(self, options: dict[str, Any]) -> None:
        token = _get(ServiceToken, key_id=options["key_id"])
        keys = options["subscription_keys"]
        subscriptions = list(Subscription.objects.filter(subscription_key__in=keys))
        unknown = sorted(set(keys) - {item.subscription_key for item in subscriptions})
        if unknown:
            raise CommandError(f"Unknown subscriptions: {', '.join(unknown)}.")
        added = sender_grant(token=token, subscriptions=subscriptions)
        self.stdout.write(f"{token.name}: {added} subscriptions granted.")


def _get(model: Any, **lookup: str) -> Any:
    try:
        return model.objects.get(**lookup)
    except model.DoesNotExist:
        value = next(iter(lookup.values()))
        raise CommandError(f"No {model._meta.verbose_name} {value}.") from None


def _statement(number: str) -> Statement:
    return _get(Statement, number=number)


def _line_json(line: Any) -> dict[str, Any]:
    return {
        "position": line.position,
        "customer_number": line.customer.customer_number,
        "contract_number": line.contract.contract_number,
        "usage_month": f"{line.usage_month:%Y-%m}",
        "adjustment": line.is_adjustment,
        "line_kind": line.line_kind,
        "units": line.units,
        "unit_price": line.unit_price,
        "tier": line.tier_code,
        "discount_percent": line.discount_percent,
        "net_amount": line.net_amount,
    }


type _Numbered = list[tuple[int, EventInput | Rejection]]


def _chunks(path: Path, kind: str) -> Iterator[tuple[_Numbered, int]]:
    """(line number, parsed item) in chunks of CHUNK, with the bytes each chunk covered."""
    with path.open(encoding="utf-8-sig", newline="") as source:
        items = _csv_items(source) if kind == "csv" else _jsonl_items(source)
        chunk: _Numbered = []
        size = 0
        for line, item, length in items:
            chunk.append((line, event_parse(item)))
            size += length
            if len(chunk) == CHUNK:
                yield chunk, size
                chunk, size = [], 0
        if chunk:
            yield chunk, size


def _jsonl_items(source: TextIO) -> Iterator[tuple[int, object, int]]:
    for number, text in enumerate(source, 1):
        if not text.strip():
            continue
        try:
            item: object = json.loads(text)
        except json.JSONDecodeError:
            item = "not JSON"
        yield number, item, len(text.encode())


def _csv_items(source: TextIO) -> Iterator[tuple[int, object, int]]:
    reader = csv.DictReader(source)
    unknown = set(reader.fieldnames or ()) - set(FIELDS)
    if unknown:
        raise CommandError(f"Unknown columns: {', '.join(sorted(unknown))}.")
    for row in reader:
        values = {key: value for key, value in row.items() if value}
        yield reader.line_num, values, sum(len(value) + 1 for value in row.values() if value)
