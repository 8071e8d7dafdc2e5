"""Reads of the licensing domain, scoped to what a user may see.

A partner user sees the keycodes and licence status of the contracts it may see
(`contracts.selectors.contracts_visible_to`: the customers it looks after now), never the full
code: `keycode_masked` hides the middle. Vendor staff see everything. The compliance report is
for vendor staff only; the faces check that before calling `compliance_report`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channeldesk.contracts.models import Contract, CustomerAssignment, CustomerSector
from channeldesk.contracts.selectors import contracts_visible_to
from channeldesk.core.exports import PLAIN_CSV, CsvExport, ExportColumn, ExportFormat
from channeldesk.core.querysets import queryset_narrow
from channeldesk.licensing.keycodes import keycode_mask
from channeldesk.licensing.models import (
    UNDER_LICENSED_STATUSES,
    ComplianceEpisode,
    ComplianceRecord,
    ComplianceStatus,
    Keycode,
    KeycodeStatus,
)
from channeldesk.licensing.services import keycode_text
from channeldesk.partners.selectors import AnyUser
from channeldesk.tiers.models import Tier

_UNDER = tuple(str(status) for status in UNDER_LICENSED_STATUSES)


# --- Keycodes and licence status (portal, API) ------------------------------------------------


def keycodes_visible_to(*, user: AnyUser) -> QuerySet[Keycode]:
    """The keycodes of the contracts the user may see (all for staff)."""
    return Keycode.objects.filter(contract__in=contracts_visible_to(user=user).values("pk"))


def keycode_masked(*, keycode: Keycode) -> str:
    """The code with its middle hidden (`10100-*****-*****-*****-*H0H0`), for partners."""
    return keycode_mask(keycode_text(keycode=keycode))


def keycode_active_of(*, contract: Contract) -> Keycode | None:
    return Keycode.objects.filter(contract=contract, status=KeycodeStatus.ACTIVE).first()


@dataclass(frozen=True)
class LicenceStatus:
    """What the portal shows per contract: the masked code, the latest compliance record and
    the open under-licensing episode with its true-up quote."""

    contract_id: int
    keycode_masked: str | None
    keycode_status: str | None
    day: dt.date | None
    seats: int
    active_installations: int
    peak_installations: int
    utilisation_percent: Decimal
    status: str
    under_licensed_since: dt.date | None
    trueup_quote: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "keycode": self.keycode_masked,
            "keycode_status": self.keycode_status,
            "day": self.day.isoformat() if self.day else None,
            "seats": self.seats,
            "active_installations": self.active_installations,
            "peak_installations": self.peak_installations,
            "utilisation_percent": str(self.utilisation_percent),
            "status": self.status,
            "under_licensed_since": (
                self.under_licensed_since.isoformat() if self.under_licensed_since else None
            ),
            "trueup_quote": self.trueup_quote,
        }


def contract_licence_status(
    *, contract_ids: Collection[int], on: dt.date | None = None
) -> dict[int, LicenceStatus]:
    """The licence status of each contract as of the latest scan on or before `on` (four
    queries, whatever the number of contracts). Scope the ids first (`contracts_visible_to`)."""
    on = on or timezone.localdate()
    ids = list(contract_ids)
    seats = dict(Contract.objects.filter(pk__in=ids).values_list("pk", "seats"))
    latest: dict[int, ComplianceRecord] = {}
    for record in ComplianceRecord.objects.filter(contract_id__in=ids, day__lte=on).order_by(
        "contract_id", "-day"
    ):
        latest.setdefault(record.contract_id, record)
    keycodes: dict[int, Keycode] = {}
    for keycode in Keycode.objects.filter(contract_id__in=ids).order_by(
        "contract_id", "-issued_at"
    ):
        if keycode.contract_id not in keycodes or keycode.status == KeycodeStatus.ACTIVE:
            keycodes.setdefault(keycode.contract_id, keycode)
    episodes = {
        episode.contract_id: episode
        for episode in ComplianceEpisode.objects.filter(contract_id__in=ids, ended_on__isnull=True)
    }
    return {
        pk: _licence_status(
            contract_id=pk,
            seats=seats[pk],
            record=latest.get(pk),
            keycode=keycodes.get(pk),
            episode=episodes.get(pk),
        )
        for pk in ids
        if pk in seats
    }


def _licence_status(
    *,
    contract_id: int,
    seats: int,
    record: ComplianceRecord | None,
    keycode: Keycode | None,
    episode: ComplianceEpisode | None,
) -> LicenceStatus:
    quote = (
        episode.quote
        if episode is not None and episode.quote and "error" not in episode.quote
        else None
    )
    return LicenceStatus(
        contract_id=contract_id,
        keycode_masked=keycode_masked(keycode=keycode) if keycode is not None else None,
        keycode_status=keycode.status if keycode is not None else None,
        day=record.day if record else None,
        seats=record.seats if record else seats,
        active_installations=record.active_installations if record else 0,
        peak_installations=record.peak_installations if record else 0,
        utilisation_percent=record.utilisation_percent if record else Decimal("0.0"),
        status=record.status if record else ComplianceStatus.COMPLIANT,
        under_licensed_since=episode.started_on if episode is not None else None,
        trueup_quote=quote,
    )


# --- The compliance report (vendor staff) -----------------------------------------------------

GAP_BUCKETS = ((25, "up to 25 %"), (50, "25–50 %"), (100, "50–100 %"), (None, "100 % and more"))


@dataclass
class ReportGroup:
    key: str
    name: str
    customers: int = 0
    under_licensed: int = 0

    @property
    def share_percent(self) -> Decimal:
        if not self.customers:
            return Decimal("0.0")
        return (Decimal(self.under_licensed) * 100 / self.customers).quantize(Decimal("0.1"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "customers": self.customers,
            "under_licensed": self.under_licensed,
            "share_percent": str(self.share_percent),
        }


@dataclass(frozen=True)
class ReportContract:
    contract_number: str
    customer_number: str
    customer_name: str
    sector: str
    partner_number: str
    sku: str
    seats: int
    active_installations: int
    peak_installations: int
    missing_seats: int
    utilisation_percent: Decimal
    status: str
    under_licensed_since: dt.date | None
    trueup_net_amount: str | None
    trueup_list_amount: str | None
    tier: str | None

    def as_dict(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["utilisation_percent"] = str(self.utilisation_percent)
        data["under_licensed_since"] = (
            self.under_licensed_since.isoformat() if self.under_licensed_since else None
        )
        return data


@dataclass
class ComplianceReport:
    """Customers under-licensed on a day: overall, by partner, by sector, by gap, the trend."""

    day: dt.date | None
    customers: int = 0
    under_licensed_customers: int = 0
    contracts: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    by_partner: list[ReportGroup] = field(default_factory=list)
    by_sector: list[ReportGroup] = field(default_factory=list)
    by_gap: list[dict[str, Any]] = field(default_factory=list)
    trend: list[dict[str, Any]] = field(default_factory=list)
    under_licensed: list[ReportContract] = field(default_factory=list)

    @property
    def share_percent(self) -> Decimal:
        if not self.customers:
            return Decimal("0.0")
        return (Decimal(self.under_licensed_customers) * 100 / self.customers).quantize(
            Decimal("0.1")
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat() if self.day else None,
            "customers": self.customers,
            "under_licensed_customers": self.under_licensed_customers,
            "share_percent": str(self.share_percent),
            "contracts": self.contracts,
            "by_status": self.by_status,
            "by_partner": [group.as_dict() for group in self.by_partner],
            "by_sector": [group.as_dict() for group in self.by_sector],
            "by_gap": self.by_gap,
            "trend": self.trend,
            "under_licensed": [row.as_dict() for row in self.under_licensed],
        }


@dataclass(frozen=True)
class LicenceTrend:
    """How a contract's active installations moved over the last days (for the portal)."""

    since: dt.date
    before: int
    now: int

    @property
    def change(self) -> int:
        return self.now - self.before


def contract_licence_trend(
    *, contract_ids: Sequence[int], on: dt.date, days: int = 30
) -> dict[int, LicenceTrend]:
    """Per contract, the active installations of its latest record up to `on` against its
    earliest record in the `days` before: one query for the whole page."""
    if not contract_ids:
        return {}
    rows = (
        ComplianceRecord.objects.filter(
            contract_id__in=contract_ids, day__gt=on - dt.timedelta(days=days), day__lte=on
        )
        .order_by("contract_id", "day")
        .values_list("contract_id", "day", "active_installations")
    )
    first: dict[int, tuple[dt.date, int]] = {}
    last: dict[int, int] = {}
    for contract_id, day, active in rows:
        first.setdefault(contract_id, (day, active))
        last[contract_id] = active
    return {
        contract_id: LicenceTrend(since=since, before=before, now=last[contract_id])
        for contract_id, (since, before) in first.items()
    }


def compliance_latest_day(*, on: dt.date | None = None) -> dt.date | None:
    records = queryset_narrow(ComplianceRecord.objects.all(), day__lte=on)
    return records.order_by("-day").values_list("day", flat=True).first()


def compliance_report(*, on: dt.date | None = None, trend_days: int = 90) -> ComplianceReport:
    """The report as of the latest scan on or before `on` (a handful of queries; the grouping
    of one day's records happens in memory, a few MB at 100,000 contracts)."""
    day = compliance_latest_day(on=on)
    report = ComplianceReport(day=day)
    if day is None:
        return report
    rows = list(
        ComplianceRecord.objects.filter(day=day).values_list(
            "contract_id",
            "contract__contract_number",
            "contract__customer_id",
            "contract__customer__customer_number",
            "contract__customer__name",
            "contract__customer__sector",
            "contract__product__sku",
            "seats",
            "active_installations",
            "peak_installations",
            "status",
        )
    )
    partners = _current_partners(customer_ids={row[2] for row in rows})
    _report_groups(report=report, rows=rows, partners=partners)
    report.under_licensed = _report_contracts(rows=rows, partners=partners)
    report.by_gap = _report_gaps(report.under_licensed)
    report.trend = _report_trend(day=day, days=trend_days)
    return report


def _current_partners(*, customer_ids: set[int]) -> dict[int, tuple[str, str]]:
    spans = CustomerAssignment.objects.filter(valid_to__isnull=True).values_list(
        "customer_id", "partner__partner_number", "partner__name"
    )
    return {
        customer: (number, name) for customer, number, name in spans if customer in customer_ids
    }


def _report_groups(
    *, report: ComplianceReport, rows: list[tuple[Any, ...]], partners: dict[int, tuple[str, str]]
) -> None:
    customer_under: dict[int, bool] = {}
    sector_of: dict[int, str] = {}
    for row in rows:
        customer_id, status = row[2], row[10]
        customer_under[customer_id] = customer_under.get(customer_id, False) or status in _UNDER
        sector_of[customer_id] = row[5]
        report.by_status[status] = report.by_status.get(status, 0) + 1
    report.contracts = len(rows)
    report.customers = len(customer_under)
    report.under_licensed_customers = sum(customer_under.values())
    by_partner: dict[str, ReportGroup] = {}
    by_sector: dict[str, ReportGroup] = {}
    for customer_id, under in customer_under.items():
        number, name = partners.get(customer_id, ("", ""))
        sector = sector_of[customer_id]
        for groups, key, label in ((by_partner, number, name), (by_sector, sector, sector)):
            group = groups.setdefault(key, ReportGroup(key=key, name=label))
            group.customers += 1
            group.under_licensed += int(under)
    report.by_partner = sorted(
        by_partner.values(), key=lambda group: (-group.under_licensed, group.key)
    )
    report.by_sector = sorted(
        by_sector.values(), key=lambda group: (-group.share_percent, group.key)
    )


def _report_contracts(
    *, rows: list[tuple[Any, ...]], partners: dict[int, tuple[str, str]]
) -> list[ReportContract]:
    under = [row for row in rows if row[10] in _UNDER]
    episodes = {
        episode.contract_id: episode
        for episode in ComplianceEpisode.objects.filter(
            contract_id__in=[row[0] for row in under], ended_on__isnull=True
        )
    }
    result = []
    for row in under:
        episode = episodes.get(row[0])
        quote = (episode.quote or {}) if episode is not None else {}
        seats, active = row[7], row[8]
        result.append(
            ReportContract(
                contract_number=row[1],
                customer_number=row[3],
                customer_name=row[4],
                sector=row[5],
                partner_number=partners.get(row[2], ("", ""))[0],
                sku=row[6],
                seats=seats,
                active_installations=active,
                peak_installations=row[9],
                missing_seats=max(0, active - seats),
                utilisation_percent=(Decimal(active) * 100 / seats).quantize(Decimal("0.1")),
                status=row[10],
                under_licensed_since=episode.started_on if episode is not None else None,
                trueup_net_amount=quote.get("net_amount"),
                trueup_list_amount=quote.get("list_amount"),
                tier=(quote.get("price") or {}).get("tier"),
            )
        )
    return sorted(result, key=lambda row: (-row.missing_seats, row.contract_number))


def _report_gaps(rows: list[ReportContract]) -> list[dict[str, Any]]:
    """Under-licensed contracts by the size of the gap, relative to the seats paid for."""
    counts = [0] * len(GAP_BUCKETS)
    seats = [0] * len(GAP_BUCKETS)
    for row in rows:
        gap = Decimal(row.missing_seats) * 100 / row.seats
        index = next(
            position
            for position, (limit, _label) in enumerate(GAP_BUCKETS)
            if limit is None or gap <= limit
        )
        counts[index] += 1
        seats[index] += row.missing_seats
    return [
        {"gap": label, "contracts": counts[index], "missing_seats": seats[index]}
        for index, (_limit, label) in enumerate(GAP_BUCKETS)
    ]


def _report_trend(*, day: dt.date, days: int) -> list[dict[str, Any]]:
    """Per scanned day: customers with a contract in force, and how many were under-licensed."""
    per_day = (
        ComplianceRecord.objects.filter(day__gt=day - dt.timedelta(days=days), day__lte=day)
        .values("day")
        .annotate(
            customers=Count("contract__customer", distinct=True),
            under_licensed=Count("contract__customer", distinct=True, filter=Q(status__in=_UNDER)),
        )
        .order_by("day")
    )
    return [
        {
            "day": row["day"].isoformat(),
            "customers": row["customers"],
            "under_licensed": row["under_licensed"],
            "share_percent": str(
                (Decimal(row["under_licensed"]) * 100 / row["customers"]).quantize(Decimal("0.1"))
                if row["customers"]
                else Decimal("0.0")
            ),
        }
        for row in per_day
    ]


REPORT_CSV_COLUMNS = (
    ExportColumn("contract_number", _("Contract number")),
    ExportColumn("customer_number", _("Customer number")),
    ExportColumn("customer_name", _("Customer")),
    ExportColumn("sector", _("Sector")),
    ExportColumn("partner_number", _("Partner number")),
    ExportColumn("sku", _("SKU")),
    ExportColumn("seats", _("Seats")),
    ExportColumn("active_installations", _("Active installations")),
    ExportColumn("peak_installations", _("Peak installations")),
    ExportColumn("missing_seats", _("Missing seats")),
    ExportColumn("utilisation_percent", _("Utilisation (%)")),
    ExportColumn("status", _("Status")),
    ExportColumn("under_licensed_since", _("Under-licensed since")),
    ExportColumn("trueup_list_amount", _("True-up list amount (EUR)")),
    ExportColumn("trueup_net_amount", _("True-up net amount (EUR)")),
    ExportColumn("tier", _("Tier")),
)


def compliance_report_rows(*, report: ComplianceReport, language: str) -> list[list[object]]:
    """The under-licensed contracts of the report as export rows (`REPORT_CSV_COLUMNS`):
    sectors, states and tiers by name in `language`, amounts as numbers; for CSV and `.xlsx`."""
    german = language == "de"
    tiers = {
        code: name_de if german else name_en
        for code, name_de, name_en in Tier.objects.filter(
            code__in={row.tier for row in report.under_licensed if row.tier}
        )
        .order_by("policy_id")
        .values_list("code", "name_de", "name_en")
    }
    return [_report_csv_row(row, tiers) for row in report.under_licensed]


def compliance_report_csv(*, report: ComplianceReport, export: ExportFormat = PLAIN_CSV) -> str:
    """The under-licensed contracts of the report as CSV in one dialect (`core.exports`), text
    cells safe from formulas."""
    writer = CsvExport(columns=REPORT_CSV_COLUMNS, export=export)
    return writer.text(compliance_report_rows(report=report, language=export.language))


def _report_csv_row(row: ReportContract, tiers: dict[str, str]) -> list[object]:
    return [
        row.contract_number,
        row.customer_number,
        row.customer_name,
        _label(CustomerSector, row.sector),
        row.partner_number,
        row.sku,
        row.seats,
        row.active_installations,
        row.peak_installations,
        row.missing_seats,
        row.utilisation_percent,
        _label(ComplianceStatus, row.status),
        row.under_licensed_since,
        None if row.trueup_list_amount is None else Decimal(row.trueup_list_amount),
        None if row.trueup_net_amount is None else Decimal(row.trueup_net_amount),
        tiers.get(row.tier, row.tier) if row.tier else None,
    ]


def _label(choices: type[models.TextChoices], value: str) -> object:
    """A stored choice by its label (translated when written); an unknown value as it is."""
    return choices(value).label if value in choices.values else value
