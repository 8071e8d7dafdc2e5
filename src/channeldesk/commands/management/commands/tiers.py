"""`channeldesk tiers ...`: evaluate, preview, calibrate, publish and apply tier policies."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from dataclasses import asdict
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from channeldesk.commands.console import (
    FORMATS,
    SubcommandCommand,
    new_table,
    parse_date,
    progress_bar,
    status,
    to_json,
)
from channeldesk.commands.delivery import review_decide
from channeldesk.partners.models import Partner
from channeldesk.tiers import reports
from channeldesk.tiers.calibration import tiers_calibrate
from channeldesk.tiers.evaluation import Evaluation, tiers_evaluate
from channeldesk.tiers.models import TierPolicy
from channeldesk.tiers.notices import (
    NOTICE_COUNTS,
    TIER_NOTICE_REVIEW,
    NoticeSendResult,
    tier_notices_send,
)
from channeldesk.tiers.selectors import (
    policy_get,
    tier_history,
    tier_notices_due_count,
)
from channeldesk.tiers.services import (
    tier_override_create,
    tier_policy_publish,
    tiers_apply,
    tiers_apply_check,
    tiers_sweep,
)
from channeldesk.tiers.simulation import tiers_simulate

# Notices sent between two updates of the progress bar.
NOTICES_PER_ROUND = 20


def _target(value: str) -> tuple[str, tuple[int, int]]:
    """`gold=60-75` → ("gold", (60, 75)); `gold=70` → ("gold", (70, 70))."""
    code, _, span = value.partition("=")
    low, _, high = span.partition("-")
    try:
        bounds = (int(low), int(high or low))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"'{value}' is not TIER=MIN-MAX (e.g. gold=60-75)."
        ) from None
    if not code or bounds[0] > bounds[1] or bounds[0] < 0:
        raise argparse.ArgumentTypeError(f"'{value}' is not TIER=MIN-MAX (e.g. gold=60-75).")
    return code, bounds


class Command(SubcommandCommand):
    help = "Evaluate, simulate, calibrate, publish and apply tier policies."

    def add_actions(self, commands: Any) -> None:
        commands.add_parser("policies", help="List the tier policies.").add_argument(
            "--format", choices=FORMATS, default="table"
        )
        show = commands.add_parser("show", help="Show one policy's tiers and criteria.")
        self._policy_options(show, as_of=False)

        evaluate = commands.add_parser("evaluate", help="Every partner's tier; changes nothing.")
        self._policy_options(evaluate, formats=(*FORMATS, "csv"))
        evaluate.add_argument("--partner", action="append", help="Only these partner numbers.")

        apply = commands.add_parser("apply", help="Record the evaluation as tier assignments.")
        self._policy_options(apply)
        apply.add_argument("--yes", action="store_true", help="Apply without asking.")

        simulate = commands.add_parser("simulate", help="Preview a policy: counts, movers, cost.")
        self._policy_options(simulate)

        calibrate = commands.add_parser("calibrate", help="Find thresholds for target counts.")
        self._policy_options(calibrate)
        calibrate.add_argument("--target", action="append", type=_target, default=[])
        calibrate.add_argument("--no-save", action="store_true", help="Do not save a new draft.")

        publish = commands.add_parser("publish", help="Publish a draft with its effective date.")
        self._policy_options(publish, as_of=False)
        publish.add_argument("--effective", type=parse_date, required=True)

        override = commands.add_parser("override", help="Set a partner's tier by hand.")
        override.add_argument("partner_number")
        override.add_argument("tier")
        override.add_argument("--reason", required=True)
        override.add_argument("--from", dest="valid_from", type=parse_date)
        override.add_argument("--until", type=parse_date)
        override.add_argument("--format", choices=FORMATS, default="table")

        history = commands.add_parser("history", help="A partner's tier history with reasons.")
        history.add_argument("partner_number")
        history.add_argument("--format", choices=FORMATS, default="table")

        notices = commands.add_parser(
            "notices", help="Send the tier-change notices due (letters and e-mails)."
        )
        notices.add_argument("--date", type=parse_date, help="Send what is due by then (today).")
        notices.add_argument("--limit", type=int, default=1000)
        notices.add_argument("--format", choices=FORMATS, default="table")
        release = self.action(
            commands, "notices-release", "Send tier notices in review again (once more)."
        )
        release.add_argument("ids", nargs="+", type=int, metavar="ID")
        release.add_argument("--note", default="", help="Why (kept with the notice).")
        dismiss = self.action(
            commands, "notices-dismiss", "Close tier notices without sending them."
        )
        dismiss.add_argument("ids", nargs="+", type=int, metavar="ID")
        dismiss.add_argument("--reason", required=True, help="Why (kept with the notice).")

        sweep = self.action(
            commands,
            "sweep",
            "Apply a policy whose day has come, tier new partners, end overrides.",
        )
        sweep.add_argument("--date", type=parse_date, help="Sweep as of this day (default: today).")

    def _policy_options(
        self, parser: CommandParser, *, as_of: bool = True, formats: tuple[str, ...] = FORMATS
    ) -> None:
        parser.add_argument("--policy", required=True, help="CODE or CODE@VERSION")
        if as_of:
            parser.add_argument("--as-of", type=parse_date, help="Default: today.")
        parser.add_argument("--format", choices=formats, default="table")

    def policy(self, options: dict[str, Any]) -> TierPolicy:
        return policy_get(reference=options["policy"])

    def as_of(self, options: dict[str, Any]) -> Any:
        return options.get("as_of") or timezone.localdate()

    # --- policies -----------------------------------------------------------------------------

    def do_policies(self, options: dict[str, Any]) -> None:
        policies = list(TierPolicy.objects.prefetch_related("tiers").order_by("code", "version"))
        if self.format == "json":
            self.emit([reports.policy_document(p) for p in policies])
            return
        table = new_table("policy", "status", "effective from", "tiers (discount)", "name")
        for policy in policies:
            tiers = ", ".join(
                f"{t.code} {reports.number(t.discount_percent)} %"
                for t in sorted(policy.tiers.all(), key=lambda t: -t.rank)
            )
            table.add_row(
                policy.reference,
                policy.status,
                str(policy.effective_from or "–"),
                tiers,
                policy.name,
            )
        self.console.print(table)

    def do_show(self, options: dict[str, Any]) -> None:
        document = reports.policy_document(self.policy(options))
        if self.format == "json":
            self.emit(document)
            return
        self.console.print(
            f"{document['policy']} ({document['status']}), effective from "
            f"{document['effective_from'] or '–'}: {document['name']}"
        )
        table = new_table("tier", "rank", "discount", "target", "criteria")
        for tier in document["tiers"]:
            target = tier["target"]
            table.add_row(
                f"{tier['code']} ({tier['name_de']})",
                str(tier["rank"]),
                f"{tier['discount_percent']} %",
                f"{target['min']}–{target['max']}" if target else "–",
                "; ".join(_criterion_text(c) for c in tier["criteria"]) or "none (entry tier)",
            )
        self.console.print(table)

    # --- evaluate / apply ---------------------------------------------------------------------

    def evaluate(self, options: dict[str, Any], policy: TierPolicy | None = None) -> Evaluation:
        policy = policy or self.policy(options)
        partner_ids = None
        if options.get("partner"):
            partner_ids = list(
                Partner.objects.filter(partner_number__in=options["partner"]).values_list(
                    "id", flat=True
                )
            )
        with status(f"Evaluating partners under {policy.reference}…"):
            return tiers_evaluate(policy=policy, as_of=self.as_of(options), partner_ids=partner_ids)

    def do_evaluate(self, options: dict[str, Any]) -> None:
        evaluation = self.evaluate(options)
        if self.format == "json":
            for decision in evaluation.decisions:
                self.stdout.write(to_json(decision.as_dict()))
            return
        if self.format == "csv":
            self._evaluation_csv(evaluation)
            return
        self._summary(evaluation)
        table = new_table("partner", "tier", "before", "reasons")
        for decision in evaluation.decisions:
            table.add_row(
                decision.partner_number,
                decision.tier,
                decision.previous_tier or "–",
                _reasons_text(decision.reasons_as_dicts()),
            )
        self.console.print(table)

    def _evaluation_csv(self, evaluation: Evaluation) -> None:
        writer = csv.writer(self.stdout)
        writer.writerow(
            [
                "partner_number",
                "tier",
                "previous_tier",
                "criterion",
                "measured",
                "threshold",
                "holds",
            ]
        )
        for decision in evaluation.decisions:
            for reason in decision.reasons_as_dicts():
                writer.writerow(
                    [
                        decision.partner_number,
                        decision.tier,
                        decision.previous_tier or "",
                        f"{reason.get('tier', '')}:{reason.get('criterion', 'override')}",
                        reason.get("measured", reason.get("override", "")),
                        "" if reason.get("threshold") is None else reason["threshold"],
                        reason.get("holds", ""),
                    ]
                )

    def _summary(self, evaluation: Evaluation) -> None:
        document = reports.evaluation_document(evaluation)
        self._period_header(
            document,
            partial=f"these figures run only up to {evaluation.today} and can only be "
            f"previewed, not applied.",
        )
        previous = document["previous_counts"]
        table = new_table("tier", "now", "after")
        for code, count in document["counts"].items():
            table.add_row(code, str(previous.get(code, 0)), str(count))
        self.console.print(table)
        directions = document["directions"]
        self.console.print(
            f"up {directions['up']}, down {directions['down']}, unchanged "
            f"{directions['unchanged']}, new {directions['new']}"
        )

    def do_apply(self, options: dict[str, Any]) -> None:
        policy = self.policy(options)
        # Refused before anything is measured: a draft, a date before the policy takes effect,
        # an evaluation period that has not ended.
        as_of = tiers_apply_check(policy=policy, as_of=options.get("as_of"))
        options = {**options, "as_of": as_of}
        evaluation = self.evaluate(options, policy)
        if self.format == "table":
            self._summary(evaluation)
            self._movers(evaluation)
        if not options["yes"]:
            if not sys.stdin.isatty():
                raise CommandError("Nothing applied: pass --yes to apply without a terminal.")
            if input(f"Apply as of {as_of}? [y/N] ").strip().lower() not in ("y", "yes"):
                raise CommandError("Nothing applied.")
        result = tiers_apply(policy=policy, as_of=as_of, evaluation=evaluation)
        summary = reports.apply_document(result)
        self.answer(
            summary,
            f"Applied {policy.reference} from {as_of}: {result.created} new assignments, "
            f"{result.corrected} corrected, {result.unchanged} unchanged.",
        )

    def _movers(self, evaluation: Evaluation, limit: int = 50) -> None:
        movers = evaluation.movers()
        table = new_table("partner", "from", "to", "direction", title=f"Movers ({len(movers)})")
        for decision in movers[:limit]:
            table.add_row(
                decision.partner_number,
                decision.previous_tier or "–",
                decision.tier,
                evaluation.direction(decision),
            )
        if movers:
            self.console.print(table)
        if len(movers) > limit:
            self.console.print(f"… and {len(movers) - limit} more (--format json lists all).")

    # --- simulate / calibrate -----------------------------------------------------------------

    def do_simulate(self, options: dict[str, Any]) -> None:
        policy = self.policy(options)
        with status(f"Simulating {policy.reference}…"):
            simulation = tiers_simulate(policy=policy, as_of=self.as_of(options))
        document = reports.simulation_document(simulation)
        if self.format == "json":
            self.emit(document)
            return
        self._summary(simulation.evaluation)
        table = new_table(
            "tier",
            "discount",
            "now",
            "after",
            "target",
            "cost now",
            "cost after",
            title=f"Discount cost, order lines {document['cost_window']['start']} – "
            f"{document['cost_window']['end']} at list price",
        )
        for tier in document["tiers"]:
            target = tier["target"]
            table.add_row(
                tier["code"],
                f"{tier['discount_percent']} %",
                str(tier["current"]),
                str(tier["projected"]),
                f"{target['min']}–{target['max']}" if target else "–",
                _euro(tier["discount_cost_current"]),
                _euro(tier["discount_cost_projected"]),
            )
        self.console.print(table)
        cost = document["discount_cost"]
        self.console.print(
            f"Discount cost: {_euro(cost['current'])} now, {_euro(cost['projected'])} after "
            f"(change {_euro(cost['change'])})."
        )
        self._movers(simulation.evaluation)

    def _period_header(self, document: dict[str, Any], *, partial: str) -> None:
        """The policy, its as-of day and evaluation period; for a period that has not ended,
        `partial` says what the figures are good for."""
        period = document["evaluation_period"]
        self.console.print(
            f"{document['policy']} as of {document['as_of']} "
            f"(evaluation period {period['start']} – {period['end']})"
        )
        if period["partial"]:
            self.console.print(f"Partial: the evaluation period has not ended; {partial}")

    def do_calibrate(self, options: dict[str, Any]) -> None:
        policy = self.policy(options)
        with status(f"Calibrating {policy.reference}…"):
            calibration = tiers_calibrate(
                policy=policy,
                as_of=self.as_of(options),
                targets=dict(options["target"]),
                save=not options["no_save"],
            )
        document = reports.calibration_document(calibration)
        if self.format == "json":
            self.emit(document)
            return
        self._period_header(
            document, partial=f"the thresholds fit the figures up to {calibration.today} only."
        )
        table = new_table(
            "tier", "criterion", "threshold before", "threshold", "target", "count", "met"
        )
        for tier in document["tiers"]:
            target = tier["target"]
            table.add_row(
                tier["tier"],
                tier["criterion"] or "–",
                str(tier["threshold_before"]),
                str(tier["threshold"]),
                f"{target['min']}–{target['max']}" if target else "–",
                str(tier["count"]),
                "yes" if tier["met"] else "NO",
            )
        self.console.print(table)
        for tier in document["tiers"]:
            self.console.print(f"{tier['tier']}: {tier['message']}")
            for partner in tier["nearest"]:
                marker = "just in " if partner["side"] == "in" else "just out"
                self.console.print(f"  {marker} {partner['partner_number']}: {partner['value']}")
        counts = ", ".join(f"{code} {count}" for code, count in document["counts"].items())
        self.console.print(f"Resulting counts: {counts}")
        if document["draft"]:
            self.console.print(f"Saved as draft {document['draft']}.")

    # --- publish / override / history ---------------------------------------------------------

    def do_publish(self, options: dict[str, Any]) -> None:
        policy = tier_policy_publish(
            policy=self.policy(options), effective_from=options["effective"]
        )
        self.answer(
            reports.policy_document(policy),
            f"Published {policy.reference}, effective {policy.effective_from}.",
        )

    def do_override(self, options: dict[str, Any]) -> None:
        partner = self.partner(options["partner_number"])
        override = tier_override_create(
            partner=partner,
            tier_code=options["tier"],
            reason=options["reason"],
            valid_from=options["valid_from"] or timezone.localdate(),
            valid_until=options["until"],
        )
        document = {
            "partner_number": partner.partner_number,
            "tier": override.tier_code,
            "valid_from": override.valid_from,
            "valid_until": override.valid_until,
            "reason": override.reason,
        }
        self.answer(
            document,
            f"{partner.partner_number} is {override.tier_code} from {override.valid_from} "
            f"until {override.valid_until or 'further notice'}.",
        )

    def do_history(self, options: dict[str, Any]) -> None:
        partner = self.partner(options["partner_number"])
        rows = [
            {
                "policy": a.policy.reference,
                "tier": a.tier.code,
                "discount_percent": a.tier.discount_percent,
                "valid_from": a.valid_from,
                "valid_to": a.valid_to,
                "source": a.source,
                "reasons": a.reasons,
            }
            for a in tier_history(partner=partner)
        ]
        if self.format == "json":
            self.emit({"partner_number": partner.partner_number, "history": rows})
            return
        table = new_table(
            "from",
            "to",
            "tier",
            "discount",
            "policy",
            "source",
            "reasons",
            title=f"{partner.partner_number} {partner.name}",
        )
        for row in rows:
            table.add_row(
                str(row["valid_from"]),
                str(row["valid_to"] or "–"),
                row["tier"],
                f"{reports.number(row['discount_percent'])} %",
                row["policy"],
                row["source"],
                _reasons_text(row["reasons"]),
            )
        self.console.print(table)

    # --- sweep --------------------------------------------------------------------------------

    def do_sweep(self, options: dict[str, Any]) -> None:
        """The CLI twin of the job `tiers_daily_sweep`: the same idempotent sweep, any day."""
        day = options["date"] or timezone.localdate()
        result = tiers_sweep(today=day)
        if self.format == "json":
            self.emit({"date": day, **asdict(result)})
            return
        if result.policy is None:
            self.console.print(f"{day}: no policy in force, nothing to do.")
            return
        applied = "applied" if result.applied_policy else "already applied"
        self.console.print(
            f"{day}: policy {result.policy} {applied}, {result.new_partners} new partner(s) "
            f"tiered, {result.settled_overrides} ended override(s) settled"
        )

    # --- notices ------------------------------------------------------------------------------

    def do_notices_release(self, options: dict[str, Any]) -> None:
        review_decide(
            self, TIER_NOTICE_REVIEW, options["ids"], action="release", text=options["note"]
        )

    def do_notices_dismiss(self, options: dict[str, Any]) -> None:
        review_decide(
            self, TIER_NOTICE_REVIEW, options["ids"], action="dismiss", text=options["reason"]
        )

    def do_notices(self, options: dict[str, Any]) -> None:
        day = options.get("date") or timezone.localdate()
        result = self._notices_send(day=day, limit=options["limit"])
        document = {
            "date": day.isoformat(),
            **result.dispatch.document(NOTICE_COUNTS),
            "letters": result.letters,
            "emails": result.emails,
            "without_email": result.without_email,
        }
        self.answer(
            document,
            f"Tier notices due by {day}: {result.sent} sent ({result.letters} letters, "
            f"{result.emails} e-mails); {len(result.without_email)} partners without an "
            f"e-mail address got the letter only; {result.dispatch.review} to review.",
        )

    def _notices_send(self, *, day: dt.date, limit: int) -> NoticeSendResult:
        """Send the due notices in rounds of `NOTICES_PER_ROUND`, with a progress bar between
        rounds (each notice renders a letter: a few thousand take minutes)."""
        total = min(limit, tier_notices_due_count(today=day))
        result = NoticeSendResult()
        with progress_bar("tier notices", total=total) as advance:
            while result.sent < total:
                round_result = tier_notices_send(
                    today=day, limit=min(NOTICES_PER_ROUND, total - result.sent)
                )
                result.dispatch += round_result.dispatch
                result.emails += round_result.emails
                result.without_email.extend(round_result.without_email)
                if round_result.sent == 0:  # another run sent the rest meanwhile
                    break
                advance(round_result.sent)
        return result

    def partner(self, number: str) -> Partner:
        partner = Partner.objects.filter(partner_number=number).first()
        if partner is None:
            raise CommandError(f"No partner {number}.")
        return partner


def _criterion_text(criterion: dict[str, Any]) -> str:
    parameters = criterion["parameters"]
    comparison = "≤" if parameters.get("comparison") == "at_most" else "≥"
    months = f" ({parameters['months']} months)" if parameters.get("months") else ""
    mark = " *" if criterion["calibrated"] else ""
    if parameters.get("course"):
        months = f" ({parameters['course']})"
    if criterion["threshold"] is None:
        return f"{criterion['kind']}{mark}"
    return f"{criterion['kind']} {comparison} {criterion['threshold']}{months}{mark}"


def _reasons_text(reasons: list[dict[str, Any]]) -> str:
    parts = []
    for reason in reasons:
        if "override" in reason:
            parts.append(f"override: {reason['override']}")
            continue
        verdict = "ok" if reason["holds"] else "no"
        threshold = "" if reason["threshold"] is None else f"/{reason['threshold']}"
        course = f" {reason['course']}" if reason.get("course") else ""
        parts.append(
            f"{reason['tier']}.{reason['criterion']}{course} {reason['measured']}{threshold} "
            f"{verdict}"
        )
    return "; ".join(parts)


def _euro(amount: str) -> str:
    return f"{float(amount):,.2f} €"
