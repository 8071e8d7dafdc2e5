"""Compliance states across the persistence window and the tolerance edges; episodes, notices
once per episode, the digest, true-up quotes and the report."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from channeldesk.contracts.models import Contract
from channeldesk.licensing.compliance import compliance_run, compliance_scan, trueup_quote
from channeldesk.licensing.models import (
    ComplianceEpisode,
    ComplianceRecord,
    Installation,
    InstallationState,
    Keycode,
    LicensingPolicy,
)
from channeldesk.licensing.notices import digest_send, notices_send
from channeldesk.licensing.selectors import compliance_report, compliance_report_csv
from channeldesk.notifications.models import OutboxMessage
from channeldesk.tiers.hotlines import hotline_for_partner
from channeldesk.tiers.models import TierPolicy
from tests.licensing.factories import enterprise_contract, issued
from tests.tiers.factories import previous_tier

DAY = dt.date(2026, 11, 2)
_counter = iter(range(1, 10**9))


def machines(
    keycode: Keycode,
    count: int,
    *,
    first_seen: dt.date = dt.date(2026, 5, 1),
    last_seen: dt.date = DAY,
    state: str = InstallationState.ACTIVE,
) -> list[Installation]:
    return Installation.objects.bulk_create(
        Installation(
            keycode=keycode,
            fingerprint=f"{next(_counter):064x}",
            installation_uuid=uuid.uuid4(),
            first_seen_on=first_seen,
            last_seen_on=last_seen,
            last_seen_at=dt.datetime.combine(last_seen, dt.time(9), tzinfo=dt.UTC),
            state=state,
        )
        for _ in range(count)
    )


def record(contract: Contract, day: dt.date) -> ComplianceRecord:
    return ComplianceRecord.objects.get(contract=contract, day=day)


def scan_days(first: dt.date, days: int) -> None:
    for offset in range(days):
        compliance_scan(day=first + dt.timedelta(days=offset))


@pytest.fixture
def licensed(personas: Any) -> tuple[Contract, Keycode]:
    contract = enterprise_contract(personas.partner_a, seats=20)
    return contract, issued(contract).keycode


def test_active_means_seen_within_the_window_and_not_retired(licensed: Any) -> None:
    contract, keycode = licensed
    machines(keycode, 3, last_seen=DAY - dt.timedelta(days=29))  # counts
    machines(keycode, 4, last_seen=DAY - dt.timedelta(days=30))  # stale
    machines(keycode, 5, state=InstallationState.RETIRED)
    machines(
        keycode, 6, first_seen=DAY + dt.timedelta(days=1), last_seen=DAY + dt.timedelta(days=1)
    )
    compliance_scan(day=DAY)
    assert record(contract, DAY).active_installations == 3


@pytest.mark.parametrize(
    ("active", "status"),
    [
        (0, "compliant"),
        (17, "compliant"),
        (18, "near_limit"),
        (25, "near_limit"),
        (26, "near_limit"),
    ],
)
def test_status_on_the_first_day(licensed: Any, active: int, status: str) -> None:
    """Seats 20, tolerance max(5, 2) = 5: over from 26 on, but not yet for the window."""
    contract, keycode = licensed
    machines(keycode, active)
    compliance_scan(day=DAY)
    found = record(contract, DAY)
    assert (found.status, found.tolerance, found.active_installations) == (status, 5, active)
    assert (found.over_since is not None) == (active > 25)


def test_over_the_tolerance_for_seven_days_is_under_licensed(licensed: Any) -> None:
    contract, keycode = licensed
    machines(keycode, 26, last_seen=DAY + dt.timedelta(days=10))
    scan_days(DAY, 7)
    statuses = [record(contract, DAY + dt.timedelta(days=n)).status for n in range(7)]
    assert statuses == ["near_limit"] * 6 + ["under_licensed"]
    assert record(contract, DAY + dt.timedelta(days=6)).over_since == DAY


def test_exactly_seats_plus_tolerance_never_becomes_under_licensed(licensed: Any) -> None:
    _contract, keycode = licensed
    machines(keycode, 25, last_seen=DAY + dt.timedelta(days=10))
    scan_days(DAY, 10)
    assert set(ComplianceRecord.objects.values_list("status", flat=True)) == {"near_limit"}


def test_a_day_under_the_tolerance_restarts_the_window(licensed: Any) -> None:
    contract, keycode = licensed
    machines(keycode, 25, last_seen=DAY + dt.timedelta(days=20))
    extra = machines(keycode, 1, last_seen=DAY + dt.timedelta(days=20))
    scan_days(DAY, 6)
    Installation.objects.filter(pk=extra[0].pk).update(state=InstallationState.RETIRED)
    compliance_scan(day=DAY + dt.timedelta(days=6))
    Installation.objects.filter(pk=extra[0].pk).update(state=InstallationState.ACTIVE)
    scan_days(DAY + dt.timedelta(days=7), 7)
    statuses = [record(contract, DAY + dt.timedelta(days=n)).status for n in range(14)]
    assert statuses == ["near_limit"] * 13 + ["under_licensed"]
    assert record(contract, DAY + dt.timedelta(days=13)).over_since == DAY + dt.timedelta(days=7)


def test_twice_the_seats_for_the_window_is_heavily_under_licensed(licensed: Any) -> None:
    contract, keycode = licensed
    machines(keycode, 40, last_seen=DAY + dt.timedelta(days=10))
    scan_days(DAY, 7)
    assert record(contract, DAY + dt.timedelta(days=6)).status == "heavily_under_licensed"
    assert record(contract, DAY + dt.timedelta(days=5)).status == "near_limit"


def test_the_tolerance_is_ten_percent_for_large_contracts(personas: Any) -> None:
    contract = enterprise_contract(personas.partner_a, number="V-BIG", seats=200)
    keycode = issued(contract).keycode
    machines(keycode, 220, last_seen=DAY + dt.timedelta(days=10))
    scan_days(DAY, 7)
    assert record(contract, DAY + dt.timedelta(days=6)).status == "near_limit"
    assert record(contract, DAY).tolerance == 20
    machines(keycode, 1, first_seen=DAY, last_seen=DAY + dt.timedelta(days=10))
    scan_days(DAY, 7)
    assert record(contract, DAY + dt.timedelta(days=6)).status == "under_licensed"


def test_settings_change_tolerance_and_window(licensed: Any, settings: Any) -> None:
    settings.LICENSING_TOLERANCE_SEATS = 0
    settings.LICENSING_TOLERANCE_PERCENT = 0
    settings.LICENSING_PERSISTENCE_DAYS = 2
    contract, keycode = licensed
    machines(keycode, 21, last_seen=DAY + dt.timedelta(days=5))
    scan_days(DAY, 2)
    assert [record(contract, DAY + dt.timedelta(days=n)).status for n in range(2)] == [
        "near_limit",
        "under_licensed",
    ]


def test_peak_is_the_high_water_mark_of_the_term(licensed: Any) -> None:
    contract, keycode = licensed
    machines(keycode, 10, last_seen=DAY + dt.timedelta(days=5))
    burst = machines(keycode, 8, last_seen=DAY)
    compliance_scan(day=DAY)
    Installation.objects.filter(pk__in=[item.pk for item in burst]).update(state="retired")
    compliance_scan(day=DAY + dt.timedelta(days=1))
    found = record(contract, DAY + dt.timedelta(days=1))
    assert (found.active_installations, found.peak_installations) == (10, 18)


def test_scanning_a_day_again_changes_nothing(licensed: Any) -> None:
    _contract, keycode = licensed
    machines(keycode, 30, last_seen=DAY + dt.timedelta(days=10))
    scan_days(DAY, 8)
    state = (
        list(ComplianceRecord.objects.order_by("pk").values()),
        list(ComplianceEpisode.objects.order_by("pk").values()),
    )
    compliance_scan(day=DAY + dt.timedelta(days=7))
    compliance_run(today=DAY + dt.timedelta(days=7))
    assert state == (
        list(ComplianceRecord.objects.order_by("pk").values()),
        list(ComplianceEpisode.objects.order_by("pk").values()),
    )


def test_missed_days_are_caught_up(licensed: Any) -> None:
    contract, keycode = licensed
    machines(keycode, 30, last_seen=DAY + dt.timedelta(days=10))
    compliance_scan(day=DAY)
    results = compliance_run(today=DAY + dt.timedelta(days=6))
    assert [result.day for result in results] == [DAY + dt.timedelta(days=n) for n in range(1, 7)]
    assert record(contract, DAY + dt.timedelta(days=6)).status == "under_licensed"


def test_contracts_not_in_force_are_not_scanned(personas: Any) -> None:
    ended = enterprise_contract(personas.partner_a, number="V-OLD", end_date=dt.date(2026, 10, 31))
    issued(enterprise_contract(personas.partner_a, number="V-NOW"))
    compliance_scan(day=DAY)
    assert list(ComplianceRecord.objects.values_list("contract__contract_number", flat=True)) == [
        "V-NOW"
    ]
    assert not ComplianceRecord.objects.filter(contract=ended).exists()


# --- Episodes, notices, quotes -------------------------------------------------------------------


def _expected_quote(contract: Contract, missing: int, on: dt.date, discount: Decimal) -> Decimal:
    list_amount = (contract.product.list_price * missing).quantize(Decimal("0.01"), ROUND_HALF_UP)
    net = (list_amount - list_amount * discount / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
    term = (contract.end_date - contract.start_date).days + 1
    remaining = (contract.end_date - on).days + 1
    return (net * remaining / term).quantize(Decimal("0.01"), ROUND_HALF_UP)


def test_an_episode_opens_once_with_a_quote_and_one_notice(licensed: Any, settings: Any) -> None:
    contract, keycode = licensed
    previous_tier(contract.partner, "silver")
    discount = TierPolicy.objects.get(code="previous").tiers.get(code="silver").discount_percent
    machines(keycode, 30, last_seen=DAY + dt.timedelta(days=30))
    scan_days(DAY, 10)
    episode = ComplianceEpisode.objects.get()
    started = DAY + dt.timedelta(days=6)
    assert (episode.started_on, episode.ended_on, episode.seats, episode.active_installations) == (
        started,
        None,
        20,
        30,
    )
    assert episode.quote is not None
    assert episode.quote["missing_seats"] == 10
    assert Decimal(episode.quote["net_amount"]) == _expected_quote(contract, 10, started, discount)
    assert notices_send().queued == 1
    assert notices_send().queued == 0
    message = OutboxMessage.objects.get()
    assert message.idempotency_key == f"licensing:episode:{episode.pk}:partner"
    assert message.to == [contract.partner.email]
    assert contract.contract_number in message.subject
    assert episode.quote["net_amount"].replace(".", ",") in message.text_body
    # The partner is told which support line to call (R9): its Silver tier's, in German form.
    hotline = hotline_for_partner(partner=contract.partner, on=started)
    assert hotline is not None
    assert hotline.phone
    assert hotline.display("de") in message.text_body


def test_a_new_episode_after_recovery_gets_a_new_notice(licensed: Any) -> None:
    contract, keycode = licensed
    previous_tier(contract.partner, "silver")
    extra = machines(keycode, 10, last_seen=DAY + dt.timedelta(days=40))
    machines(keycode, 20, last_seen=DAY + dt.timedelta(days=40))
    scan_days(DAY, 7)
    notices_send()
    Installation.objects.filter(pk__in=[item.pk for item in extra]).update(state="retired")
    compliance_scan(day=DAY + dt.timedelta(days=7))
    first = ComplianceEpisode.objects.get()
    assert first.ended_on == DAY + dt.timedelta(days=7)
    Installation.objects.filter(pk__in=[item.pk for item in extra]).update(state="active")
    scan_days(DAY + dt.timedelta(days=8), 7)
    assert ComplianceEpisode.objects.count() == 2
    assert notices_send().queued == 1
    assert OutboxMessage.objects.count() == 2


def test_the_ladder_can_turn_the_notice_off(licensed: Any) -> None:
    contract, keycode = licensed
    LicensingPolicy.objects.create(product=contract.product, notify_partner=False)
    machines(keycode, 30, last_seen=DAY + dt.timedelta(days=10))
    scan_days(DAY, 7)
    assert notices_send().queued == 0
    assert OutboxMessage.objects.count() == 0


def test_a_partner_without_a_tier_gets_no_quote_but_a_notice(licensed: Any) -> None:
    _contract, keycode = licensed
    machines(keycode, 30, last_seen=DAY + dt.timedelta(days=10))
    scan_days(DAY, 7)
    episode = ComplianceEpisode.objects.get()
    assert "error" in episode.quote
    assert notices_send().queued == 1
    assert "€" not in OutboxMessage.objects.get().text_body


def test_trueup_quote_is_exact_money(licensed: Any) -> None:
    contract, _keycode = licensed
    previous_tier(contract.partner, "gold")
    discount = TierPolicy.objects.get(code="previous").tiers.get(code="gold").discount_percent
    quote = trueup_quote(contract=contract, missing_seats=7, on=dt.date(2026, 12, 1))
    assert quote.term_days == 365
    assert quote.remaining_days == 121
    assert quote.net_amount == _expected_quote(contract, 7, dt.date(2026, 12, 1), discount)
    assert quote.price.quantity == 7
    assert isinstance(quote.net_amount, Decimal)


def test_the_digest_goes_out_once_per_day(licensed: Any, settings: Any) -> None:
    settings.LICENSING_DIGEST_TO = ["licensing@vendor.example"]
    contract, keycode = licensed
    machines(keycode, 30, last_seen=DAY + dt.timedelta(days=10))
    scan_days(DAY, 7)
    last = DAY + dt.timedelta(days=6)
    assert digest_send(day=last) is True
    assert digest_send(day=last) is True
    digest = OutboxMessage.objects.get(idempotency_key=f"licensing:digest:{last.isoformat()}")
    assert "1" in digest.subject
    assert contract.contract_number in digest.text_body
    assert digest_send(day=last + dt.timedelta(days=1)) is False  # no scan that day


def test_report_by_partner_sector_gap_and_trend(personas: Any) -> None:
    public = enterprise_contract(
        personas.partner_a, number="V-PUB", seats=10, customer={"sector": "public_authority"}
    )
    retail = enterprise_contract(
        personas.partner_b, number="V-RET", seats=10, customer={"sector": "retail"}
    )
    machines(issued(public).keycode, 25, last_seen=DAY + dt.timedelta(days=10))
    machines(issued(retail).keycode, 5, last_seen=DAY + dt.timedelta(days=10))
    scan_days(DAY, 7)
    report = compliance_report(on=DAY + dt.timedelta(days=20))
    assert report.day == DAY + dt.timedelta(days=6)
    assert (report.customers, report.under_licensed_customers, str(report.share_percent)) == (
        2,
        1,
        "50.0",
    )
    assert [(group.key, group.under_licensed, group.customers) for group in report.by_sector] == [
        ("public_authority", 1, 1),
        ("retail", 0, 1),
    ]
    assert [(group.key, group.under_licensed) for group in report.by_partner] == [
        ("A-1000", 1),
        ("B-2000", 0),
    ]
    assert [row.contract_number for row in report.under_licensed] == ["V-PUB"]
    assert report.under_licensed[0].missing_seats == 15
    assert report.by_gap[-1] == {"gap": "100 % and more", "contracts": 1, "missing_seats": 15}
    assert [row["under_licensed"] for row in report.trend] == [0] * 6 + [1]
    csv_text = compliance_report_csv(report=report)
    assert csv_text.splitlines()[0].startswith("Contract number,Customer number")
    assert csv_text.splitlines()[1].startswith("V-PUB,K-V-PUB")
    assert len(csv_text.splitlines()) == 2


def test_report_without_a_scan_is_empty(db: None) -> None:
    report = compliance_report()
    assert report.day is None
    assert report.as_dict()["customers"] == 0


def test_a_skipped_scan_day_does_not_restart_the_window(licensed: Any) -> None:
    contract, keycode = licensed
    machines(keycode, 30, last_seen=DAY + dt.timedelta(days=10))
    compliance_scan(day=DAY)
    compliance_scan(day=DAY + dt.timedelta(days=6))  # five days without a scan in between
    found = record(contract, DAY + dt.timedelta(days=6))
    assert (found.over_since, found.status) == (DAY, "under_licensed")


def test_a_record_older_than_the_window_does_not_carry_over(licensed: Any) -> None:
    contract, keycode = licensed
    machines(keycode, 30, last_seen=DAY + dt.timedelta(days=10))
    compliance_scan(day=DAY)
    compliance_scan(day=DAY + dt.timedelta(days=8))
    found = record(contract, DAY + dt.timedelta(days=8))
    assert (found.over_since, found.status) == (DAY + dt.timedelta(days=8), "near_limit")
