"""Reads behind the back-office pages. Staff see every partner (`partners.selectors`); each
page costs a fixed number of queries, whatever the partner's or the programme's size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    IntegerField,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth

from channeldesk.backoffice.models import ProgrammeRun, RunKind, RunStatus
from channeldesk.catalog.models import Order, OrderLine
from channeldesk.contracts.models import (
    Contract,
    ContractStatus,
    Customer,
    CustomerAssignment,
    CustomerSector,
    Reminder,
    ReminderStatus,
)
from channeldesk.contracts.selectors import contracts_visible_to, customers_visible_to
from channeldesk.core.money import money_round
from channeldesk.core.periods import Period, add_months, last_complete_period, months_ending
from channeldesk.core.querysets import queryset_narrow
from channeldesk.feedback.selectors import policy_open_for_feedback
from channeldesk.licensing.models import (
    UNDER_LICENSED_STATUSES,
    ComplianceEpisode,
    ComplianceRecord,
    ComplianceStatus,
)
from channeldesk.licensing.selectors import ReportContract
from channeldesk.notifications.models import OutboxMessage
from channeldesk.partners.models import Partner
from channeldesk.partners.selectors import AnyUser, partners_search, partners_visible_to
from channeldesk.tiers.hotlines import partners_calling_from
from channeldesk.tiers.models import PolicyStatus, Tier, TierCriterion, TierPolicy
from channeldesk.tiers.selectors import evaluation_period, policy_in_force
from channeldesk.training.criteria import grace_days_of, training_people_measure

# A search with this many digits may be a telephone number (shorter ones are partner numbers).

LIST_LIMIT = 20
PIPELINE_MONTHS = 12


def backoffice_partners(*, user: AnyUser, search: str = "", status: str = "") -> QuerySet[Partner]:
    """Partners by a fragment of number or name, or by a phone number of the partner or one of
    its contacts (the support desk types what the caller's display shows, R8)."""
    visible = partners_visible_to(user=user)
    found = partners_search(partners=visible, search=search or None, status=status or None)
    callers = partners_calling_from(search)
    if callers is not None:
        by_phone = partners_search(partners=visible, status=status or None).filter(pk__in=callers)
        found = found | by_phone
    return found.order_by("partner_number")


def backoffice_partner(*, user: AnyUser, partner_number: str) -> Partner:
    """Raises `Partner.DoesNotExist` for an unknown number."""
    return (
        partners_visible_to(user=user)
        .select_related("account_manager")
        .get(partner_number=partner_number)
    )


def partner_orders(*, partner: Partner, limit: int = LIST_LIMIT) -> list[Order]:
    """The partner's latest orders with their totals (one query)."""
    return list(
        Order.objects.filter(partner=partner)
        .annotate(total=Sum("lines__net_amount"), line_count=Count("lines"))
        .order_by("-order_date", "-id")[:limit]
    )


def partner_customers(*, user: AnyUser, partner: Partner) -> QuerySet[Customer]:
    """The customers the partner looks after now (through the open assignment)."""
    return customers_visible_to(user=user).filter(Q(care__partner=partner)).order_by("name", "pk")


def partner_contracts(*, user: AnyUser, partner: Partner) -> QuerySet[Contract]:
    """Contracts of the customers the partner looks after now, soonest end first."""
    return (
        contracts_visible_to(user=user)
        .filter(Q(care__partner=partner))
        .select_related("customer", "product")
        .order_by("end_date", "contract_number")
    )


def partner_messages(*, partner: Partner, limit: int = LIST_LIMIT) -> list[Reminder]:
    """The e-mails sent to the partner about its customers' contracts, newest first, with the
    outbox message each became."""
    return list(
        Reminder.objects.filter(partner=partner, message__isnull=False)
        .select_related("message", "contract", "rule")
        .order_by("-sent_at", "-id")[:limit]
    )


@dataclass(frozen=True)
class PipelineMonth:
    month: dt.date
    contracts: int
    seats: int
    list_value: Decimal


def _list_value() -> ExpressionWrapper:
    return ExpressionWrapper(
        F("seats") * F("product__list_price"),
        output_field=DecimalField(max_digits=20, decimal_places=2),
    )


def renewals_by_month(
    *, user: AnyUser, today: dt.date, months: int = PIPELINE_MONTHS
) -> list[PipelineMonth]:
    """Active contracts ending in each of the coming months (this one first): how many, their
    seats and their value at today's list price (one grouped query)."""
    start = today.replace(day=1)
    period = Period(start=start, end=add_months(start, months))
    rows = (
        contracts_visible_to(user=user)
        .filter(
            status=ContractStatus.ACTIVE,
            end_date__gte=period.start,
            end_date__lt=period.end,
        )
        .annotate(month=TruncMonth("end_date"))
        .values("month")
        .annotate(
            contract_total=Count("pk"), seat_total=Sum("seats"), value_total=Sum(_list_value())
        )
        .order_by("month")
    )
    found = {_as_date(row["month"]): row for row in rows}
    result = []
    for index in range(months):
        month = add_months(start, index)
        row: dict[str, Any] = dict(found.get(month) or {})
        result.append(
            PipelineMonth(
                month=month,
                contracts=row.get("contract_total", 0),
                seats=row.get("seat_total") or 0,
                list_value=money_round(Decimal(str(row.get("value_total") or 0))),
            )
        )
    return result


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class PipelinePartner:
    partner_number: str
    name: str
    contracts: int
    seats: int
    list_value: Decimal


def renewals_by_partner(
    *, user: AnyUser, period: Period, limit: int = LIST_LIMIT
) -> list[PipelinePartner]:
    """The partners with the most contracts up for renewal in the period (one query)."""
    rows = (
        contracts_visible_to(user=user)
        .filter(status=ContractStatus.ACTIVE, end_date__gte=period.start, end_date__lt=period.end)
        .values(
            partner_number=F("care__partner__partner_number"), partner_name=F("care__partner__name")
        )
        .annotate(
            contract_total=Count("pk"), seat_total=Sum("seats"), value_total=Sum(_list_value())
        )
        .order_by("-contract_total", "partner_number")[:limit]
    )
    return [
        PipelinePartner(
            partner_number=row["partner_number"] or "",
            name=row["partner_name"] or "",
            contracts=row["contract_total"],
            seats=row["seat_total"] or 0,
            list_value=money_round(Decimal(str(row["value_total"] or 0))),
        )
        for row in rows
    ]


REMINDER_TABS = {
    "planned": (ReminderStatus.PLANNED,),
    "sent": (ReminderStatus.SENT,),
    "failed": (ReminderStatus.FAILED, ReminderStatus.MISSED),
    "review": (ReminderStatus.REVIEW,),
    "dismissed": (ReminderStatus.CANCELLED,),
}


# The partner list at real size -------------------------------------------------------------

PARTNER_SORTS: dict[str, tuple[str, ...]] = {
    "number": ("partner_number",),
    "name": ("name", "partner_number"),
    # Best tier first; partners without a tier last.
    "tier": ("-tier_rank", "partner_number"),
    # Highest revenue first.
    "revenue": ("-revenue", "partner_number"),
}


@dataclass(frozen=True)
class PartnerFilters:
    """What the partner list is narrowed and sorted by (the view's validated form)."""

    search: str = ""
    status: str = ""
    tier: str = ""
    postal_code: str = ""
    training_missing: bool = False
    sort: str = "number"


def partner_revenue_window(*, today: dt.date) -> Period:
    """The window the revenue column sums: the one the tier programme measures revenue over as
    of today, that is, what a re-tiering today (and the tier decided in the running period)
    is based on.

    The revenue criterion's window of the policy in force (its `months` ending with the last
    complete evaluation period), or that evaluation period itself when the policy has no
    revenue criterion; without a policy in force, the last complete half-year.
    """
    policy = policy_in_force(on=today)
    if policy is None:
        return last_complete_period(today)
    period = evaluation_period(policy=policy, as_of=today)
    months = [
        int((parameters or {}).get("months", 12))
        for parameters in TierCriterion.objects.filter(
            tier__policy=policy, kind="revenue"
        ).values_list("parameters", flat=True)
    ]
    return months_ending(period.end, max(months)) if months else period


def backoffice_partner_list(
    *,
    user: AnyUser,
    filters: PartnerFilters,
    today: dt.date,
    window: Period,
    draft: TierPolicy | None = None,
) -> QuerySet[Partner]:
    """The partners matching the filters, sorted, each with its tier in force on `today`
    (`tier_code`, `tier_rank`, `tier_name_de`, `tier_name_en`) and its net `revenue` in the
    window: one query per page (the revenue is a correlated sum over the order lines' partner
    and date index, computed for the rows read), plus one for the count. "Training missing"
    checks the training criteria of the policy in force and of the `draft`."""
    in_force = Q(tier_assignments__valid_from__lte=today) & (
        Q(tier_assignments__valid_to__isnull=True) | Q(tier_assignments__valid_to__gt=today)
    )
    cents = DecimalField(max_digits=16, decimal_places=2)
    revenue = (
        OrderLine.objects.filter(
            partner_id=OuterRef("pk"), order_date__gte=window.start, order_date__lt=window.end
        )
        .order_by()
        .values("partner_id")
        .annotate(total=Sum("net_amount", output_field=cents))
        .values("total")
    )
    partners = (
        backoffice_partners(user=user, search=filters.search, status=filters.status)
        .annotate(current=FilteredRelation("tier_assignments", condition=in_force))
        .annotate(
            tier_code=F("current__tier__code"),
            tier_rank=F("current__tier__rank"),
            tier_name_de=F("current__tier__name_de"),
            tier_name_en=F("current__tier__name_en"),
            revenue=Coalesce(
                Subquery(revenue, output_field=cents), Value(Decimal(0)), output_field=cents
            ),
        )
    )
    partners = queryset_narrow(
        partners, tier_code=filters.tier, postal_code__startswith=filters.postal_code
    )
    if filters.training_missing:
        partners = partners.filter(_training_missing(today=today, draft=draft))
    sort = filters.sort.lstrip("-")
    order = PARTNER_SORTS.get(sort, PARTNER_SORTS["number"])
    if filters.sort.startswith("-"):
        order = (
            tuple(field[1:] if field.startswith("-") else f"-{field}" for field in order[:1])
            + order[1:]
        )
    return partners.order_by(*(_nulls_last(field) for field in order))


def _nulls_last(field: str) -> OrderBy:
    expression = F(field.lstrip("-"))
    if field.startswith("-"):
        return expression.desc(nulls_last=True)
    return expression.asc(nulls_last=True)


def _training_missing(*, today: dt.date, draft: TierPolicy | None) -> Q:
    """Partners holding a tier whose training criterion, in the policy in force or in the
    draft, they do not meet today (nobody of theirs has a valid completion of a qualifying
    course): they would lose the tier when re-tiered. One grouped query per training criterion
    (one or two per policy), through the criterion's own measure."""
    policies = {policy.pk for policy in (policy_in_force(on=today), draft) if policy is not None}
    missing = Q(pk__in=[])
    criteria = TierCriterion.objects.filter(tier__policy__in=policies, kind="training").values_list(
        "tier__code", "threshold", "parameters"
    )
    for tier_code, threshold, stored in criteria:
        parameters = stored or {}
        people = training_people_measure(
            course_code=str(parameters.get("course", "")),
            tier_code=tier_code,
            on=today,
            grace_days=grace_days_of(parameters),
        )
        required = int(threshold or 1)
        enough = [partner_id for partner_id, count in people.items() if count >= required]
        missing |= Q(tier_code=tier_code) & ~Q(pk__in=enough)
    return missing


# The draft programme's projection, from the latest simulation --------------------------------


@dataclass(frozen=True)
class DraftProjection:
    """Where the latest finished simulation of a draft puts the partners.

    The simulation stores its movers only: a partner not among them keeps the tier it had on
    the simulation's as-of date, which is the tier it has now unless it changed since.
    """

    policy: TierPolicy
    run: ProgrammeRun
    movers: list[dict[str, Any]]
    tier_names: dict[str, tuple[str, str]]

    @property
    def moves(self) -> dict[str, str]:
        return {mover["partner_number"]: mover["to"] for mover in self.movers}

    def draft_tier(self, *, partner_number: str, current_code: str | None) -> str | None:
        return self.moves.get(partner_number, current_code)


def draft_to_project(*, reference: str = "") -> TierPolicy | None:
    """The draft asked for (`code@version`), else the one open for feedback, else the newest."""
    drafts = TierPolicy.objects.filter(status=PolicyStatus.DRAFT)
    if reference:
        code, _sep, version = reference.partition("@")
        if not version.isdigit():
            return None
        return drafts.filter(code=code, version=int(version)).first()
    return policy_open_for_feedback() or drafts.order_by("-created_at", "-id").first()


def draft_projection(*, policy: TierPolicy | None) -> DraftProjection | None:
    """The latest finished simulation of the draft (two queries), or None if it has none."""
    if policy is None:
        return None
    run = (
        ProgrammeRun.objects.filter(policy=policy, kind=RunKind.SIMULATE, status=RunStatus.DONE)
        .order_by("-finished_at", "-id")
        .first()
    )
    if run is None or not run.result:
        return None
    return DraftProjection(
        policy=policy,
        run=run,
        movers=list(run.result.get("movers", [])),
        tier_names=tier_names_for(policies=[policy]),
    )


def tier_names_for(*, policies: Sequence[TierPolicy | None]) -> dict[str, tuple[str, str]]:
    """Tier code → (German, English) name, the given policies' tiers first, then any policy's
    (a mover's old tier may come from an older policy); one query."""
    preferred = [policy.pk for policy in policies if policy is not None]
    # The first policy given is written last, so its names win; other policies' newest wins.
    rank = {policy_id: index for index, policy_id in enumerate(reversed(preferred))}
    rows = Tier.objects.order_by("policy_id").values_list("policy_id", "code", "name_de", "name_en")
    names: dict[str, tuple[str, str]] = {}
    for _policy_id, code, name_de, name_en in sorted(rows, key=lambda row: rank.get(row[0], -1)):
        names[code] = (name_de, name_en)
    return names


MOVER_DIRECTIONS = ("up", "down", "new")


def movers_filtered(
    *, projection: DraftProjection, direction: str = "", tier: str = ""
) -> list[dict[str, Any]]:
    """The simulation's movers in partner-number order, narrowed to one direction and to the
    ones moving from or to one tier."""
    movers = projection.movers
    if direction:
        movers = [mover for mover in movers if mover["direction"] == direction]
    if tier:
        movers = [mover for mover in movers if tier in (mover["from"], mover["to"])]
    return sorted(movers, key=lambda mover: mover["partner_number"])


def partner_names(*, numbers: Sequence[str] | None) -> dict[str, str]:
    """Partner number → name, of the given numbers (None: of every partner); one query."""
    partners = Partner.objects.all()
    if numbers is not None:
        partners = partners.filter(partner_number__in=list(numbers))
    return dict(partners.values_list("partner_number", "name").iterator(chunk_size=5000))


# The renewals pipeline as a list -------------------------------------------------------------


def renewal_contracts(*, user: AnyUser, today: dt.date, months: int = PIPELINE_MONTHS) -> Any:
    """The active contracts of the pipeline (ending from this month on, `months` months), soonest
    end first, with customer, product and the partner looking after them (one query, as
    value rows, for an export)."""
    start = today.replace(day=1)
    return (
        contracts_visible_to(user=user)
        .filter(
            status=ContractStatus.ACTIVE,
            end_date__gte=start,
            end_date__lt=add_months(start, months),
        )
        .annotate(list_value=_list_value())
        .order_by("end_date", "contract_number")
        .values_list(
            "contract_number",
            "customer__customer_number",
            "customer__name",
            "care__partner__partner_number",
            "care__partner__name",
            "product__sku",
            "product__name_de",
            "product__name_en",
            "seats",
            "end_date",
            "list_value",
        )
    )


# The compliance list and the outbox at real size ---------------------------------------------

# The states the compliance list shows, by the filter's value: "" is every under-licensed one.
COMPLIANCE_LIST_STATES: dict[str, tuple[str, ...]] = {
    "": tuple(UNDER_LICENSED_STATUSES),
    ComplianceStatus.UNDER_LICENSED: (ComplianceStatus.UNDER_LICENSED,),
    ComplianceStatus.HEAVILY_UNDER_LICENSED: (ComplianceStatus.HEAVILY_UNDER_LICENSED,),
    ComplianceStatus.NEAR_LIMIT: (ComplianceStatus.NEAR_LIMIT,),
}


@dataclass(frozen=True)
class ComplianceFilters:
    """What the compliance list is narrowed to (the view's validated form)."""

    sector: str = ""
    partner_number: str = ""
    state: str = ""


@dataclass(frozen=True)
class ComplianceListRow:
    """One contract of the compliance list, its sector and state by name."""

    contract_number: str
    customer_name: str
    sector: str
    partner_number: str
    seats: int
    active_installations: int
    missing_seats: int
    state: str
    under_licensed_since: dt.date | None
    trueup_net_amount: Decimal | None


def compliance_list(*, day: dt.date, filters: ComplianceFilters) -> QuerySet[ComplianceRecord, Any]:
    """The contracts of one scan day in the filtered states, the largest gap first, as values
    with the customer's current partner: one query per page in SQL, plus one for the count."""
    current = CustomerAssignment.objects.filter(
        customer_id=OuterRef("contract__customer_id"), valid_to__isnull=True
    ).order_by("-valid_from")
    records = queryset_narrow(
        ComplianceRecord.objects.filter(
            day=day, status__in=COMPLIANCE_LIST_STATES.get(filters.state, ())
        ),
        contract__customer__sector=filters.sector,
    )
    if filters.partner_number:
        partner_customers = CustomerAssignment.objects.filter(
            valid_to__isnull=True, partner__partner_number=filters.partner_number
        ).values("customer_id")
        records = records.filter(contract__customer_id__in=partner_customers)
    return (
        records.annotate(
            partner_number=Subquery(current.values("partner__partner_number")[:1]),
            gap=ExpressionWrapper(F("active_installations") - F("seats"), IntegerField()),
        )
        .order_by("-gap", "contract__contract_number", "pk")
        .values(
            "contract_id",
            "contract__contract_number",
            "contract__customer__name",
            "contract__customer__sector",
            "contract__customer__customer_number",
            "contract__product__sku",
            "partner_number",
            "seats",
            "active_installations",
            "peak_installations",
            "status",
        )
    )


def compliance_export_rows(*, day: dt.date, filters: ComplianceFilters) -> list[ReportContract]:
    """Every contract of the filtered compliance list (not one page), as the rows of the
    API's compliance report, so the page's download has the API's columns and the page's
    filters: two queries, whatever the number of contracts."""
    records = list(compliance_list(day=day, filters=filters))
    episodes = {
        episode.contract_id: episode
        for episode in ComplianceEpisode.objects.filter(
            contract_id__in=[record["contract_id"] for record in records], ended_on__isnull=True
        )
    }
    return [_report_contract(record, episodes.get(record["contract_id"])) for record in records]


def _report_contract(record: dict[str, Any], episode: ComplianceEpisode | None) -> ReportContract:
    quote = (episode.quote or {}) if episode is not None else {}
    seats, active = record["seats"], record["active_installations"]
    return ReportContract(
        contract_number=record["contract__contract_number"],
        customer_number=record["contract__customer__customer_number"],
        customer_name=record["contract__customer__name"],
        sector=record["contract__customer__sector"],
        partner_number=record["partner_number"] or "",
        sku=record["contract__product__sku"],
        seats=seats,
        active_installations=active,
        peak_installations=record["peak_installations"],
        missing_seats=max(0, active - seats),
        utilisation_percent=(Decimal(active) * 100 / seats).quantize(Decimal("0.1")),
        status=record["status"],
        under_licensed_since=episode.started_on if episode is not None else None,
        trueup_net_amount=quote.get("net_amount"),
        trueup_list_amount=quote.get("list_amount"),
        tier=(quote.get("price") or {}).get("tier"),
    )


def compliance_list_rows(records: Iterable[dict[str, Any]]) -> list[ComplianceListRow]:
    """The list's lines for one page, with the open episode's start and true-up (one query)."""
    page = list(records)
    episodes = {
        contract_id: (started_on, quote or {})
        for contract_id, started_on, quote in ComplianceEpisode.objects.filter(
            contract_id__in=[record["contract_id"] for record in page], ended_on__isnull=True
        ).values_list("contract_id", "started_on", "quote")
    }
    return [_compliance_row(record, episodes.get(record["contract_id"])) for record in page]


def _compliance_row(
    record: dict[str, Any], episode: tuple[dt.date, dict[str, Any]] | None
) -> ComplianceListRow:
    sector, status = record["contract__customer__sector"], record["status"]
    quote = episode[1] if episode is not None else {}
    net = quote.get("net_amount") if "error" not in quote else None
    return ComplianceListRow(
        contract_number=record["contract__contract_number"],
        customer_name=record["contract__customer__name"],
        sector=str(CustomerSector(sector).label) if sector in CustomerSector.values else sector,
        partner_number=record["partner_number"] or "",
        seats=record["seats"],
        active_installations=record["active_installations"],
        missing_seats=max(0, record["active_installations"] - record["seats"]),
        state=str(ComplianceStatus(status).label) if status in ComplianceStatus.values else status,
        under_licensed_since=episode[0] if episode is not None else None,
        trueup_net_amount=money_round(Decimal(str(net))) if net not in (None, "") else None,
    )


def outbox_found(*, statuses: Sequence[str], search: str = "") -> QuerySet[OutboxMessage]:
    """E-mails in the given states, newest first, whose recipient, key or subject contains the
    search. The sealed full text of a sensitive message is never read here."""
    messages = OutboxMessage.objects.filter(status__in=statuses).defer("sealed_body", "html_body")
    if search:
        messages = messages.filter(
            Q(to__icontains=search)
            | Q(idempotency_key__icontains=search)
            | Q(subject__icontains=search)
        )
    return messages.order_by("-created_at", "-id")


def reminders_found(
    *, statuses: Sequence[str], search: str = "", newest_first: bool = False
) -> QuerySet[Reminder]:
    """Reminders in the given states whose recipient, contract number, customer or key
    (`reminder:<id>`) matches the search, soonest due first (or latest first), with contract,
    customer, rule, partner and letter in the same query."""
    reminders = Reminder.objects.filter(status__in=statuses)
    if search:
        found = (
            Q(recipient__icontains=search)
            | Q(contract__contract_number__icontains=search)
            | Q(contract__customer__name__icontains=search)
        )
        prefix, _sep, number = search.partition(":")
        if prefix.strip().lower() == "reminder" and number.strip().isdigit():
            found |= Q(pk=int(number))
        reminders = reminders.filter(found)
    order = ("-due_on", "-id") if newest_first else ("due_on", "id")
    return reminders.select_related(
        "contract", "contract__customer", "rule", "partner", "document"
    ).order_by(*order)
