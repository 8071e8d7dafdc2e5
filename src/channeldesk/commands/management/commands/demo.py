"""`channeldesk demo load|serve`: the demo data shaped by the seed, and the demo servers.

`demo load` is what `make demo` runs before serving; it may run any number of times (partners,
and partners' customers, already present are skipped, so nothing is duplicated). See
docs/demo.md for the data's shape.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.module_loading import import_string

from channeldesk.commands.console import SubcommandCommand, err_console, progress_bar, status
from channeldesk.commands.demo.accounts import PARTNER_PASSWORD, vendor_logins
from channeldesk.commands.demo.loader import (
    DemoLoadError,
    LoadResult,
    PreparedLoad,
    demo_load,
    demo_prepare,
)
from channeldesk.commands.demo.population import (
    DEFAULT_PARTNERS,
    DEFAULT_SEED,
    DemoPlan,
    plan_make,
)
from channeldesk.commands.demo.serve import DEMO_JOB_WORKERS, DEMO_WEB_WORKERS, partner_examples
from channeldesk.commands.demo.shape import customers_shape, demo_shape
from channeldesk.commands.processes import gunicorn_available, serve_run
from channeldesk.contracts.models import CustomerSector
from channeldesk.tiers.models import PolicyStatus, TierPolicy

# The demo's first load runs the reminder sweep for this many past days, so staff see letters
# and partner e-mails already sent.
DEMO_REMINDER_DAYS = 14


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a date (YYYY-MM-DD).") from None


@contextmanager
def _timed(label: str, steps: list[tuple[str, float]], *, spinner: str = "") -> Iterator[None]:
    """Time one step of the load into `steps`, with a spinner on a terminal when the step has
    no progress bar of its own."""
    started = time.monotonic()
    with status(f"{spinner}…") if spinner else nullcontext():
        yield
    steps.append((label, time.monotonic() - started))


def _duration(seconds: float) -> str:
    """`7.0 s`, `4 min 12.3 s`."""
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)} min {rest:.1f} s" if minutes else f"{rest:.1f} s"


# The domains that add demo data after the partners, orders, customers and contracts, in order;
# imported when loading (`import_string`), as they bring their domains' services with them.
DOMAIN_LOADS = {
    "training": "channeldesk.commands.demo.training.demo_training_load",
    "licensing": "channeldesk.commands.demo.licensing.demo_licensing_load",
    "usage": "channeldesk.commands.demo.usage.demo_usage_load",
}


class Command(SubcommandCommand):
    help = "Load the demo data shaped by the seed (demo load), or serve the demo (demo serve)."

    def add_actions(self, commands: Any) -> None:
        load = self.action(
            commands, "load", "Load the demo data; running it again adds nothing.", formats=False
        )
        load.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed.")
        load.add_argument(
            "--partners", type=int, default=DEFAULT_PARTNERS, help="Partners (max 100,000)."
        )
        load.add_argument(
            "--orders",
            type=int,
            default=None,
            help="Order lines in all (max 10,000,000; default 30,000 per 940 partners).",
        )
        load.add_argument(
            "--today", type=_date, default=None, help="Anchor date: orders end here (YYYY-MM-DD)."
        )
        load.add_argument(
            "--users",
            action=argparse.BooleanOptionalAction,
            default=None,
            help=f"A login per partner (default: only up to {DEFAULT_PARTNERS} partners).",
        )
        load.add_argument(
            "--reminder-days",
            type=int,
            default=None,
            help="Run the renewal reminders for the last N days up to the anchor date, so letters "
            f"and e-mails have been sent (default: 14 up to {DEFAULT_PARTNERS} partners, else 0).",
        )
        load.add_argument(
            "--without",
            action="append",
            choices=sorted(DOMAIN_LOADS),
            default=[],
            help="Leave out one domain's demo data (repeatable); a later load can add it.",
        )
        serve = self.action(
            commands, "serve", "Print the logins, run the worker and the server.", formats=False
        )
        serve.add_argument("--host", default="127.0.0.1")
        serve.add_argument("--port", type=int, default=8000)

    # --- load ---------------------------------------------------------------------------------

    def do_load(self, options: dict[str, Any]) -> None:
        started = time.monotonic()
        plan = plan_make(
            seed=options["seed"],
            partners=options["partners"],
            order_lines=options["orders"],
            today=options["today"] or timezone.localdate(),
        )
        self.stdout.write(
            f"Demo data: seed {plan.seed}, {plan.partners:,} partners, "
            f"{plan.order_lines:,} order lines, orders from {plan.first_day} to {plan.today}."
        )
        prepared = demo_prepare(plan=plan)
        with_users = options["users"]
        if with_users is None:
            with_users = plan.partners <= DEFAULT_PARTNERS
        steps: list[tuple[str, float]] = []
        try:
            # This step and the reminders show progress bars of their own.
            with _timed("partners, orders and customers", steps):
                result = self._load_with_progress(
                    prepared=prepared, with_users=with_users, verbosity=options["verbosity"]
                )
        except DemoLoadError as error:
            raise CommandError(str(error)) from error
        self._report_load(prepared=prepared, result=result, seconds=steps[-1][1])
        with _timed("shape", steps, spinner="Measuring the demo's shape"):
            self._report_shape(plan=plan)
            self._report_customers(plan=plan)
        # Each later domain adds its demo data in its own module (commands/demo/<domain>.py).
        for name, load_domain in DOMAIN_LOADS.items():
            if name not in options["without"]:
                with _timed(name, steps, spinner=f"Loading the {name} demo data"):
                    import_string(load_domain)(plan=plan, write=self.stdout.write)
        self._open_draft_for_feedback()
        days = options["reminder_days"]
        if days is None:
            days = DEMO_REMINDER_DAYS if plan.partners <= DEFAULT_PARTNERS else 0
        with _timed("renewal reminders", steps):
            self._replay_reminders(until=plan.today, days=days)
        self.stdout.write(
            "\nLogins: `channeldesk demo serve` prints them when it starts (see docs/demo.md)."
        )
        parts = ", ".join(
            f"{label} {_duration(seconds)}" for label, seconds in steps if seconds >= 0.1
        )
        total = _duration(time.monotonic() - started)
        self.stdout.write(f"Demo load done in {total} ({parts}).")

    def _open_draft_for_feedback(self) -> None:
        """Put the `default` draft up for the partners' comments (R3), so the portal shows each
        partner its projected tier and the feedback form. Left alone when staff opened another
        draft or `default` is published."""
        from channeldesk.feedback.selectors import policy_open_for_feedback  # noqa: PLC0415 (start-up cost: commands/console.py)
        from channeldesk.feedback.services import policy_feedback_open  # noqa: PLC0415 (start-up cost: commands/console.py)

        if policy_open_for_feedback() is not None:
            return
        draft = TierPolicy.objects.filter(code="default", status=PolicyStatus.DRAFT).last()
        if draft is None:
            return
        policy_feedback_open(policy=draft)
        self.stdout.write(
            f"Feedback: the draft policy {draft.reference} is open for the partners' comments."
        )

    def _replay_reminders(self, *, until: dt.date, days: int) -> None:
        """Run the daily reminder sweep for each of the last `days` days, as the job would have.

        Idempotent like the sweep itself: a second load sends nothing again.
        """
        if days <= 0:
            return
        from channeldesk.contracts.reminders.services import reminders_run  # noqa: PLC0415 (start-up cost: commands/console.py)

        berlin = ZoneInfo(settings.TIME_ZONE)
        sent = 0
        with progress_bar("renewal reminders", total=days + 1) as advance:
            for offset in range(days, -1, -1):
                day = until - dt.timedelta(days=offset)
                now = dt.datetime.combine(day, dt.time(9, 0), tzinfo=berlin)
                report = reminders_run(today=day, now=now, limit=10_000)
                sent += report.dispatch.sent
                advance(1)
        self.stdout.write(
            f"Renewal reminders: the daily sweep ran for {days + 1} days up to {until}; "
            f"{sent} reminders sent (letters are in the print batch: channeldesk letters batch)."
        )

    def _load_with_progress(
        self, *, prepared: PreparedLoad, with_users: bool, verbosity: int
    ) -> LoadResult:
        """The load with a progress bar on stderr (none at verbosity 0 or with nothing to do):
        order lines while the partners are written, then customers while their contracts are."""
        from rich import progress as rich_progress  # noqa: PLC0415 (start-up cost: commands/console.py)

        if verbosity == 0 or prepared.nothing_to_load:
            return demo_load(prepared=prepared, with_users=with_users)
        progress = rich_progress.Progress(
            rich_progress.TextColumn("[bold]{task.description:<11}"),
            rich_progress.BarColumn(),
            rich_progress.MofNCompleteColumn(),
            rich_progress.TextColumn("{task.fields[detail]}"),
            rich_progress.TimeElapsedColumn(),
            rich_progress.TimeRemainingColumn(),
            console=err_console(),
        )
        with progress:
            lines_task = progress.add_task(
                "order lines",
                total=prepared.lines_to_load,
                detail="0 partners",
                visible=bool(prepared.lines_to_load),
            )
            customers_task = progress.add_task(
                "customers",
                total=prepared.customers.customers_to_load,
                detail="0 contracts",
                visible=bool(prepared.customers.customers_to_load),
            )
            partners = contracts = 0

            def advance(lines: int, chunk_partners: int) -> None:
                nonlocal partners
                partners += chunk_partners
                progress.update(lines_task, advance=lines, detail=f"{partners:,} partners")

            def advance_customers(customers: int, chunk_contracts: int) -> None:
                nonlocal contracts
                contracts += chunk_contracts
                progress.update(
                    customers_task, advance=customers, detail=f"{contracts:,} contracts"
                )

            return demo_load(
                prepared=prepared,
                with_users=with_users,
                on_progress=advance,
                on_customers=advance_customers,
            )

    def _report_load(self, *, prepared: PreparedLoad, result: LoadResult, seconds: float) -> None:
        if prepared.present:
            self.stdout.write(
                f"{len(prepared.present):,} of the {prepared.plan.partners:,} demo partners were "
                "already loaded and were left as they are."
            )
        if result.partners_added:
            self.stdout.write(
                f"Loaded {result.partners_added:,} partners with {result.orders_added:,} orders "
                f"and credit notes ({result.lines_added:,} order lines)."
            )
        if result.customers_added:
            self.stdout.write(
                f"Loaded {result.customers_added:,} customers with "
                f"{result.contracts_added:,} contracts."
            )
        if result.partners_added or result.customers_added:
            self.stdout.write(f"Took {seconds:,.1f} s.")
        else:
            self.stdout.write("Nothing to add: the demo data is already loaded.")
        if result.vendor_logins_added or result.partner_users_added:
            self.stdout.write(
                f"Created {result.vendor_logins_added} vendor logins and "
                f"{result.partner_users_added:,} partner users."
            )

    def _report_shape(self, *, plan: DemoPlan) -> None:
        shape = demo_shape(as_of=plan.today)
        share = shape.near_non_buyers / shape.partners if shape.partners else 0.0
        histogram = " · ".join(
            f"{orders}{'+' if orders == max(shape.orders_histogram) else ''}: {count:,}"
            for orders, count in shape.orders_histogram.items()
        )
        initial = ", ".join(f"{code} {count:,}" for code, count in shape.initial_tiers.items())
        self.stdout.write(
            f"\nShape in the evaluation half-year {shape.period.label()} "
            f"(the last complete one before {plan.today}):\n"
            f"  partners by orders: {histogram}\n"
            f"  near non-buyers (at most 1 order): {shape.near_non_buyers:,} "
            f"of {shape.partners:,} ({share:.0%})\n"
            f"  retail-only buyers: {shape.retail_only:,}\n"
            f"  meeting Gold's order criteria (>= 4 orders, not only retail): "
            f"{shape.gold_candidates:,}; Silver's (>= 2 orders): {shape.silver_candidates:,}\n"
            f"  initial tiers (previous programme): {initial or 'none'}"
        )

    def _report_customers(self, *, plan: DemoPlan) -> None:
        shape = customers_shape(as_of=plan.today)
        if not shape.customers:
            return
        sectors = ", ".join(f"{sector} {count:,}" for sector, count in shape.by_sector.items())
        authorities = shape.by_sector.get(CustomerSector.PUBLIC_AUTHORITY, 0) / shape.customers
        statuses = ", ".join(
            f"{status} {count:,}" for status, count in shape.contracts_by_status.items()
        )
        self.stdout.write(
            f"\nCustomers and contracts:\n"
            f"  {shape.customers:,} customers ({authorities:.0%} public authorities): {sectors}; "
            f"{shape.moved:,} moved to another partner\n"
            f"  {sum(shape.contracts_by_status.values()):,} contracts: {statuses}\n"
            f"  ending in the year before {plan.today}: {shape.ending_before:,}, in the year "
            f"from it: {shape.ending_after:,}; {shape.fewest_on_a_day}-{shape.most_on_a_day} "
            "on each of those days"
        )

    def _report_logins(self, *, with_users: bool) -> None:
        self.stdout.write("\nLogins:")
        for login in vendor_logins():
            self.stdout.write(f"  {login.username} / {login.password}  — {login.description}")
        self.stdout.write(
            "    vendor staff set up an authenticator app (TOTP) at their first sign-in; "
            "the back office and the admin need it"
        )
        examples = partner_examples()
        if examples:
            self.stdout.write(
                f"  partner users: the partner number in lower case / {PARTNER_PASSWORD}, e.g."
            )
            for example in examples:
                self.stdout.write(
                    f"    {example.username}  {example.name} ({example.partner_number}): "
                    f"{example.why}"
                )
        elif not with_users:
            self.stdout.write("  partner users were not created (demo load --users creates them)")

    # --- serve --------------------------------------------------------------------------------

    def do_serve(self, options: dict[str, Any]) -> None:
        host, port = options["host"], options["port"]
        if not gunicorn_available():
            raise CommandError("gunicorn is not installed in this environment (pip install .).")
        from channeldesk.commands.demo.licensing import certificate_example  # noqa: PLC0415 (start-up cost: commands/console.py)

        self._report_logins(with_users=False)
        if example := certificate_example(today=timezone.localdate()):
            self.stdout.write(f"  a contract with a keycode, for the licensing commands: {example}")
        base = f"http://{host}:{port}"
        self.stdout.write(
            f"\nChannelDesk demo on {base}/\n"
            f"  admin (vendor staff, support desk): {base}/admin/\n"
            f"  API documentation:                  {base}/api/v1/docs/\n"
        )
        serve_run(
            stdout=self.stdout,
            host=host,
            port=port,
            web_workers=DEMO_WEB_WORKERS,
            job_workers=DEMO_JOB_WORKERS,
        )
