"""Planning: one `Reminder` row per contract, rule and contract end date, derived from the data.

Planning never trusts what it planned before; each run re-derives it from the contracts and the
schedules, so whatever changed them (a service, an import writing contracts set-based, staff
editing a rule) is picked up by the next run:

1. Planned reminders that no longer hold are cancelled, each with the reason: the contract was
   renewed or cancelled, its end date moved, the rule was switched off, or another schedule is
   now in force for the contract's end date.
2. Planned reminders whose rule's offset was edited get the new due date.
3. Missing reminders are inserted: per active rule, one `INSERT … SELECT` over the contracts
   its schedule covers whose reminder falls due within the planning horizon, leaving out those
   planned already (`NOT EXISTS`, which is what makes a repeated run cheap). The named unique
   constraint `reminder_one_per_contract_rule_end` is the hard guard: `ON CONFLICT DO NOTHING`
   lets two planners at once (the hourly sweep and a contract service) insert nothing twice.

Before-end rules (offset ≤ 0) are planned for active contracts; after-end rules also for expired
ones, since a contract that ran out unrenewed is exactly what they are about.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Field, Q, QuerySet
from django.utils import timezone

from channeldesk.contracts.models import (
    Contract,
    ContractStatus,
    Reminder,
    ReminderEventKind,
    ReminderRule,
    ReminderStatus,
)
from channeldesk.contracts.reminders.conf import reminder_settings
from channeldesk.contracts.reminders.history import events_add, reminders_close
from channeldesk.contracts.reminders.schedules import ScheduleSpan, schedule_spans

# How `end date + offset` is written, per database: both give a date in the column's format.
DUE_DATE_SQL = {
    "postgresql": ("c.end_date + CAST(%s AS integer)", lambda offset: offset),
    "sqlite": ("date(c.end_date, %s)", lambda offset: f"{offset:+d} days"),
}


@dataclass(frozen=True)
class ReminderPlanResult:
    """What one planning run did: reminders inserted, due dates moved, reminders cancelled."""

    planned: int = 0
    replanned: int = 0
    cancelled: int = 0


@transaction.atomic
def reminders_plan(
    *,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
    contract_ids: Collection[int] | None = None,
) -> ReminderPlanResult:
    """Bring the planned reminders in line with the contracts and schedules (module docstring).

    `today` sets the planning horizon (default: today in Europe/Berlin), `now` the time stamps;
    `contract_ids` limits the run to those contracts (the contract services use it inside
    their own transaction).
    """
    now = now or timezone.now()
    today = today or timezone.localdate(now)
    spans = schedule_spans()
    cancelled = _cancel_stale(spans=spans, contract_ids=contract_ids, now=now)
    replanned = _follow_offset_changes(contract_ids=contract_ids, now=now)
    planned = sum(
        _insert_missing(rule=rule, span=span, today=today, now=now, contract_ids=contract_ids)
        for span in spans
        for rule in ReminderRule.objects.filter(schedule_id=span.schedule_id, is_active=True)
    )
    return ReminderPlanResult(planned=planned, replanned=replanned, cancelled=cancelled)


# --- 1. Cancelling what no longer holds -------------------------------------------------------


def _planned(contract_ids: Collection[int] | None) -> QuerySet[Reminder]:
    reminders = Reminder.objects.filter(status=ReminderStatus.PLANNED)
    if contract_ids is not None:
        reminders = reminders.filter(contract_id__in=contract_ids)
    return reminders


def _locked(reminders: QuerySet[Reminder], *fields: str) -> list[tuple]:
    """The rows' ids and `fields`, locked until the transaction ends. Rows a dispatcher is
    claiming right now are skipped: it re-checks them itself before sending."""
    return list(
        reminders.select_for_update(skip_locked=True, of=("self",)).values_list("pk", *fields)
    )


def _cancel(rows: Sequence[tuple[int, str]], *, reason: str, now: dt.datetime) -> int:
    return reminders_close(
        rows=rows,
        status=ReminderStatus.CANCELLED,
        kind=ReminderEventKind.CANCELLED,
        reason=reason,
        at=now,
    )


def _cancel_stale(
    *, spans: Sequence[ScheduleSpan], contract_ids: Collection[int] | None, now: dt.datetime
) -> int:
    """Step 1: one locked query finds the planned reminders that no longer hold, with what their
    contract and rule say now; each is cancelled for the first reason that applies, one UPDATE
    per reason."""
    outside = Q()
    for span in spans:
        beyond = Q(contract__end_date__lt=span.starts)
        if span.ends is not None:
            beyond |= Q(contract__end_date__gte=span.ends)
        outside |= Q(rule__schedule_id=span.schedule_id) & beyond
    stale = _planned(contract_ids).filter(
        Q(contract__status__in=(ContractStatus.RENEWED, ContractStatus.CANCELLED))
        | ~Q(contract_end_date=F("contract__end_date"))
        | Q(rule__is_active=False)
        | outside
    )
    rows = [
        Stale(*row)
        for row in _locked(
            stale,
            "contract_id",
            "contract__status",
            "contract__cancellation_reason",
            "contract_end_date",
            "contract__end_date",
            "rule__is_active",
        )
    ]
    follow_ups = dict(
        Contract.objects.filter(
            renews_id__in=[row.contract_id for row in rows if row.status == ContractStatus.RENEWED]
        ).values_list("renews_id", "contract_number")
    )
    by_reason: dict[str, list[tuple[int, str]]] = {}
    for row in rows:
        reason, detail = row.why(follow_ups=follow_ups)
        by_reason.setdefault(reason, []).append((row.pk, detail))
    return sum(_cancel(details, reason=reason, now=now) for reason, details in by_reason.items())


@dataclass(frozen=True)
class Stale:
    """A planned reminder that no longer holds, with what its contract and rule say now."""

    pk: int
    contract_id: int
    status: str
    cancellation_reason: str
    planned_end: dt.date
    end_date: dt.date
    rule_active: bool

    def why(self, *, follow_ups: dict[int, str]) -> tuple[str, str]:
        """The short reason and the detail for the history, the first that applies."""
        reason = stale_reason(
            status=self.status,
            follow_up=follow_ups.get(self.contract_id),
            cancellation_reason=self.cancellation_reason,
            planned_end=self.planned_end,
            end_date=self.end_date,
            rule_active=self.rule_active,
            schedule_covers=False,  # the only reason left for a row found stale
            replanned=True,
        )
        assert reason is not None  # schedule_covers=False always gives one
        return reason


def stale_reason(
    *,
    status: str,
    follow_up: str | None,
    cancellation_reason: str,
    planned_end: dt.date,
    end_date: dt.date,
    rule_active: bool,
    schedule_covers: bool,
    replanned: bool = False,
) -> tuple[str, str] | None:
    """Why a reminder planned for a contract ending on `planned_end` no longer holds: the short
    reason and the detail for the history, the first that applies; None when it still holds.

    Planning asks this of the rows it found stale (`replanned`: a new row follows a moved end
    date), sending asks it again of each reminder at send time.
    """
    if status == ContractStatus.RENEWED:
        return "Contract renewed.", f"Contract renewed{f' by {follow_up}' if follow_up else ''}."
    if status == ContractStatus.CANCELLED:
        return "Contract cancelled.", f"Contract cancelled: {cancellation_reason}"
    if planned_end != end_date:
        replanning = "; re-planned for the new date" if replanned else ""
        return "End date changed.", f"End date moved from {planned_end} to {end_date}{replanning}."
    if not rule_active:
        return "Rule switched off.", "The rule was switched off."
    if not schedule_covers:
        return "Another schedule applies.", (
            f"The rule's schedule does not cover contracts ending on {end_date}."
        )
    return None


# --- 2. Following edited offsets --------------------------------------------------------------


def _follow_offset_changes(*, contract_ids: Collection[int] | None, now: dt.datetime) -> int:
    """Step 2: planned reminders take their rule's current offset (rules are few; the rows
    concerned are the ones planned for that rule, usually none)."""
    changed: list[Reminder] = []
    events: list[tuple[int, str, str]] = []
    stale = _planned(contract_ids).exclude(offset_days=F("rule__offset_days"))
    for pk, end, old_offset, old_due, offset in _locked(
        stale, "contract_end_date", "offset_days", "due_on", "rule__offset_days"
    ):
        due = end + dt.timedelta(days=offset)
        changed.append(Reminder(pk=pk, offset_days=offset, due_on=due, updated_at=now))
        events.append(
            (
                pk,
                ReminderEventKind.REPLANNED,
                f"Rule offset {old_offset:+d} → {offset:+d} days: "
                f"due on {due} instead of {old_due}.",
            )
        )
    Reminder.objects.bulk_update(changed, ["offset_days", "due_on", "updated_at"], batch_size=500)
    events_add(events, at=now)
    return len(changed)


# --- 3. Inserting what is missing -------------------------------------------------------------


def _insert_missing(
    *,
    rule: ReminderRule,
    span: ScheduleSpan,
    today: dt.date,
    now: dt.datetime,
    contract_ids: Collection[int] | None,
) -> int:
    """Step 3 for one rule: a single INSERT … SELECT; returns the rows inserted."""
    last_end = today + dt.timedelta(days=reminder_settings().horizon_days - rule.offset_days)
    statuses = [ContractStatus.ACTIVE] + ([ContractStatus.EXPIRED] if rule.offset_days > 0 else [])
    due_sql, due_param = DUE_DATE_SQL[connection.vendor]
    ops = connection.ops
    where = [
        f"c.status IN ({', '.join(['%s'] * len(statuses))})",
        "c.end_date >= %s",
        "c.end_date <= %s",
    ]
    params: list[Any] = [
        *statuses,
        ops.adapt_datefield_value(span.starts),
        ops.adapt_datefield_value(last_end),
    ]
    if span.ends is not None:
        where.append("c.end_date < %s")
        params.append(ops.adapt_datefield_value(span.ends))
    if contract_ids is not None:
        if not contract_ids:
            return 0
        where.append(f"c.id IN ({', '.join(['%s'] * len(contract_ids))})")
        params.extend(contract_ids)
    stamp = ops.adapt_datetimefield_value(now)
    select_params: list[Any] = [
        rule.pk,
        rule.offset_days,
        due_param(rule.offset_days),
        ReminderStatus.PLANNED,
        False,
        stamp,
        stamp,
    ]
    with connection.cursor() as cursor:
        sql = _insert_sql(due_sql=due_sql, where=where)
        cursor.execute(sql, [*select_params, *params, rule.pk])
        return max(cursor.rowcount, 0)


def _insert_sql(*, due_sql: str, where: Sequence[str]) -> str:
    quote = connection.ops.quote_name
    reminder_table = quote(Reminder._meta.db_table)
    contract_table = quote(Contract._meta.db_table)
    columns = ", ".join(
        quote(_column(name))
        for name in (
            "contract",
            "rule",
            "contract_end_date",
            "offset_days",
            "due_on",
            "status",
            "late",
            "created_at",
            "updated_at",
            "reason",
            "attempts",
            "claimed_by",
            "recipient",
        )
    )
    contract_column, rule_column, end_column = (
        quote(_column(name)) for name in ("contract", "rule", "contract_end_date")
    )
    conflict = f"{contract_column}, {rule_column}, {end_column}"
    # Table and column names come from the models' meta data, quoted; all values are parameters.
    return (
        f"INSERT INTO {reminder_table} ({columns}) "  # noqa: S608
        f"SELECT c.id, %s, c.end_date, %s, {due_sql}, %s, %s, %s, %s, '', 0, '', '' "
        f"FROM {contract_table} c WHERE {' AND '.join(where)} "
        f"AND NOT EXISTS (SELECT 1 FROM {reminder_table} r WHERE r.{contract_column} = c.id "
        f"AND r.{rule_column} = %s AND r.{end_column} = c.end_date) "
        f"ON CONFLICT ({conflict}) DO NOTHING"
    )


def _column(name: str) -> str:
    field = Reminder._meta.get_field(name)
    assert isinstance(field, Field)
    assert field.column is not None
    return field.column
