"""The back-office partner list at real size: tier, revenue and draft tier by name, filters,
sorting, paging, the export in the reader's dialect, and a query count that does not grow with
the register."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from channeldesk.backoffice.models import ProgrammeRun, RunKind, RunStatus
from channeldesk.backoffice.runs import run_start
from channeldesk.backoffice.views.exports import PARTNER_COLUMNS
from channeldesk.catalog.models import Product
from channeldesk.partners.models import Partner, PartnerStatus
from channeldesk.tiers.models import TierPolicy
from channeldesk.training.models import Course, Enrollment, EnrollmentStatus, Participant
from channeldesk.training.validity import valid_until
from tests.factories import PartnerFactory, ProductFactory, order_with_lines
from tests.portal.world import PortalWorld
from tests.tiers.factories import previous_tier

pytestmark = pytest.mark.today("2026-12-07")

# As of 7 December 2026 the policy in force (`previous`, half-years, revenue over 12 months)
# measures the 12 months ending with the first half of 2026.
IN_WINDOW = dt.date(2026, 3, 10)
BEFORE_WINDOW = dt.date(2025, 6, 30)


def bought(partner: Partner, amount: str, *, on: dt.date = IN_WINDOW) -> None:
    product = Product.objects.first() or ProductFactory()
    order_with_lines(partner, on, [(product, 1, Decimal(amount))])


def simulation_stored(policy: TierPolicy, movers: list[dict[str, object]]) -> ProgrammeRun:
    """A finished simulation of the draft as the dashboard stores it (movers only)."""
    return ProgrammeRun.objects.create(
        kind=RunKind.SIMULATE,
        policy=policy,
        as_of=dt.date(2026, 12, 7),
        status=RunStatus.DONE,
        result={"movers": movers},
        finished_at=timezone.now(),
    )


def german(client: Client) -> Client:
    client.cookies["django_language"] = "de"
    return client


def english(client: Client) -> Client:
    client.cookies["django_language"] = "en"
    return client


def numbers_in(text: str, *candidates: str) -> list[str]:
    """The candidates in the order they appear in the page."""
    found = [(text.index(f">{number}<"), number) for number in candidates if f">{number}<" in text]
    return [number for _position, number in sorted(found)]


def test_the_list_shows_tier_revenue_and_draft_tier_by_name_in_german(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given partner A (Silver) with 1,234.50 € in the window and 999 € before it, and a
    # simulation of the draft that moves A down to the entry tier
    partner_a = portal_world.personas.partner_a
    bought(partner_a, "1234.50")
    bought(partner_a, "999.00", on=BEFORE_WINDOW)
    simulation_stored(
        portal_world.draft,
        [{"partner_number": "A-1000", "from": "silver", "to": "authorized", "direction": "down"}],
    )

    # When a channel manager reads the list in German
    text = german(client_for("staff")).get("/backoffice/partners/").content.decode()

    # Then A shows its tier, its revenue in the window and its draft tier by name; B (Gold, not
    # a mover) keeps Gold under the draft
    assert "Silber-Partner" in text
    assert "1.234,50\xa0€" in text
    assert "Autorisierter Partner" in text
    assert text.count("Gold-Partner") >= 2
    assert "1. Juli 2025 – 30. Juni 2026" in text
    assert ">silver<" not in text
    assert ">authorized<" not in text


def test_the_draft_tier_comes_from_a_real_simulation_of_the_draft(
    portal_world: PortalWorld, client_for: Callable[[str], Client], settings: object
) -> None:
    # Given a simulation of the draft run as the dashboard runs it
    settings.BACKOFFICE_RUNS_INLINE = True  # type: ignore[attr-defined]
    run = run_start(kind=RunKind.SIMULATE, policy=portal_world.draft, as_of=dt.date(2026, 12, 7))
    assert run.status == RunStatus.DONE

    # When the list is read in English
    text = english(client_for("staff")).get("/backoffice/partners/").content.decode()

    # Then both partners, without orders or courses, land in the new entry tier
    assert text.count("Authorised Partner") == 2


def test_without_a_simulation_the_draft_tier_is_explained_not_guessed(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = english(client_for("staff")).get("/backoffice/partners/").content.decode()

    assert "no simulation of a draft yet" in text
    assert "Authorised Partner" not in text


def test_filters_narrow_by_tier_status_and_postal_code(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given A (Silver, 80331), B (Gold, 80331), C (Silver, 10115) and D (Silver, suspended)
    previous_tier(PartnerFactory(partner_number="C-3000", postal_code="10115"), "silver")
    suspended = PartnerFactory(partner_number="D-4000", status=PartnerStatus.SUSPENDED)
    previous_tier(suspended, "silver")
    client = english(client_for("staff"))

    def listed(**query: str) -> list[str]:
        text = client.get("/backoffice/partners/", query).content.decode()
        return numbers_in(text, "A-1000", "B-2000", "C-3000", "D-4000")

    assert listed(tier="silver") == ["A-1000", "C-3000", "D-4000"]
    assert listed(tier="gold") == ["B-2000"]
    assert listed(postal_code="801") == []
    assert listed(postal_code="803") == ["A-1000", "B-2000", "D-4000"]
    assert listed(tier="silver", postal_code="1") == ["C-3000"]
    assert listed(tier="silver", status=PartnerStatus.SUSPENDED) == ["D-4000"]


def test_training_missing_lists_the_holders_of_a_tier_without_its_course(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given the draft asks Gold for the two-day course and Silver for the half-day one (or the
    # two-day one); B (Gold) has a person with a valid two-day completion, A (Silver) nobody,
    # and E (Silver) a completion that ran out
    partner_b = portal_world.personas.partner_b
    expired = PartnerFactory(partner_number="E-5000")
    previous_tier(expired, "silver")
    completed(partner_b, "CD-GOLD-2D", dt.date(2026, 9, 1))
    completed(expired, "CD-SILVER-HD", dt.date(2020, 9, 1))
    client = english(client_for("staff"))

    text = client.get("/backoffice/partners/", {"training_missing": "on"}).content.decode()

    # Then A and E are listed, B is not
    assert numbers_in(text, "A-1000", "B-2000", "E-5000") == ["A-1000", "E-5000"]


def completed(partner: Partner, course_code: str, session_date: dt.date) -> Enrollment:
    course = Course.objects.get(code=course_code)
    participant = Participant.objects.create(
        partner=partner, name="Erika", email=f"erika@{partner.partner_number.lower()}.example"
    )
    return Enrollment.objects.create(
        record_id=f"R-{partner.partner_number}-{course_code}",
        partner=partner,
        participant=participant,
        course=course,
        session_date=session_date,
        status=EnrollmentStatus.COMPLETED,
        valid_until=valid_until(
            session_date=session_date, status=EnrollmentStatus.COMPLETED, course=course
        ),
    )


def test_sorting_by_revenue_tier_name_and_number(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given A (Silver, 500 €), B (Gold, 100 €) and C (no tier, 900 €)
    bought(portal_world.personas.partner_a, "500.00")
    bought(portal_world.personas.partner_b, "100.00")
    bought(PartnerFactory(partner_number="C-3000", name="Aachen Netz GmbH"), "900.00")
    client = english(client_for("staff"))

    def order(sort: str) -> list[str]:
        text = client.get("/backoffice/partners/", {"sort": sort}).content.decode()
        return numbers_in(text, "A-1000", "B-2000", "C-3000")

    assert order("revenue") == ["C-3000", "A-1000", "B-2000"]
    assert order("-revenue") == ["B-2000", "A-1000", "C-3000"]
    assert order("tier") == ["B-2000", "A-1000", "C-3000"]
    assert order("-tier") == ["A-1000", "B-2000", "C-3000"]
    assert order("name") == ["C-3000", "A-1000", "B-2000"]
    assert order("number") == ["A-1000", "B-2000", "C-3000"]


def test_the_list_pages_through_the_register(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    for index in range(60):
        PartnerFactory(partner_number=f"X-{index:04d}")
    client = english(client_for("staff"))

    first = client.get("/backoffice/partners/").content.decode()
    second = client.get("/backoffice/partners/", {"page": 2}).content.decode()

    assert "62 partners" in first
    assert "Page 1 of 2" in first
    assert ">X-0047<" in first
    assert ">X-0048<" not in first
    assert ">X-0048<" in second
    assert ">X-0059<" in second


def queries_of(client: Client, url: str, query: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query or {})
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(captured.captured_queries)


def many_partners(start: int, stop: int) -> None:
    """Partners M-… with tiers, orders in the window and, for every third, a course."""
    product = Product.objects.first() or ProductFactory()
    for index in range(start, stop):
        partner = PartnerFactory(partner_number=f"M-{index:05d}", postal_code=f"8{index:04d}")
        previous_tier(partner, "silver" if index % 2 else "gold")
        order_with_lines(partner, IN_WINDOW, [(product, 1, Decimal("10.00") + index)])
        if index % 3 == 0:
            completed(partner, "CD-SILVER-HD", dt.date(2026, 9, 1))


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"tier": "silver", "sort": "revenue"},
        {"training_missing": "on", "sort": "-tier", "postal_code": "8"},
    ],
)
def test_the_page_and_the_export_cost_the_same_queries_for_few_or_many_partners(
    portal_world: PortalWorld, client_for: Callable[[str], Client], query: dict[str, str]
) -> None:
    simulation_stored(
        portal_world.draft,
        [{"partner_number": "A-1000", "from": "silver", "to": "authorized", "direction": "down"}],
    )
    client = english(client_for("staff"))
    many_partners(0, 3)
    page_few = queries_of(client, "/backoffice/partners/", query)
    export_few = queries_of(client, "/backoffice/partners.csv", query)

    many_partners(3, 70)

    assert queries_of(client, "/backoffice/partners/", query) == page_few
    assert queries_of(client, "/backoffice/partners.csv", query) == export_few


def csv_of(client: Client, url: str, query: dict[str, str] | None = None) -> str:
    response = client.get(url, query or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    return b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]


def test_the_export_in_german_is_german_excel_with_names_and_decimal_commas(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    # Given A with 1,234.50 € in the window, a formula-like name on B, and a simulation
    bought(portal_world.personas.partner_a, "1234.50")
    Partner.objects.filter(partner_number="B-2000").update(name="=HYPERLINK(1)")
    simulation_stored(
        portal_world.draft,
        [{"partner_number": "A-1000", "from": "silver", "to": "authorized", "direction": "down"}],
    )

    # When a channel manager downloads the Silver partners in German
    text = csv_of(german(client_for("staff")), "/backoffice/partners.csv", {"tier": "silver"})

    # Then: BOM, semicolons, German headers, names not codes, decimal comma, German dates
    with translation.override("de"):
        headers = ";".join(str(column.label) for column in PARTNER_COLUMNS)
        status = str(PartnerStatus.AUTHORIZED.label)
    assert text.split("\r\n") == [
        f"\ufeff{headers}",
        f"A-1000;Alpha Systemhaus GmbH;80331;München;{status};Silber-Partner;1234,50;"
        "01.07.2025;30.06.2026;Autorisierter Partner",
        "",
    ]


def test_the_export_in_english_is_plain_csv_with_every_page(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    bought(portal_world.personas.partner_a, "1234.50")
    Partner.objects.filter(partner_number="B-2000").update(name="=HYPERLINK(1)")
    for index in range(60):
        PartnerFactory(partner_number=f"X-{index:04d}")

    text = csv_of(english(client_for("staff")), "/backoffice/partners.csv", {"sort": "revenue"})

    lines = text.split("\n")
    assert lines[0] == (
        "Partner number,Name,Postal code,City,Status,Tier,Net revenue (EUR),Revenue from,"
        "Revenue to,Draft tier"
    )
    assert lines[1] == (
        "A-1000,Alpha Systemhaus GmbH,80331,München,authorized,Silver Partner,1234.50,"
        "2025-07-01,2026-06-30,"
    )
    assert lines[2].startswith("B-2000,'=HYPERLINK(1),")
    assert len(lines) == 1 + 62 + 1


def test_the_support_desk_reads_the_list_but_gets_no_export(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    client = english(client_for("support"))

    text = client.get("/backoffice/partners/").content.decode()

    assert "Silver Partner" in text
    assert "partners.csv" not in text
    assert client.get("/backoffice/partners.csv").status_code == 403


def test_an_invalid_filter_is_named_and_the_whole_list_shown(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = (
        english(client_for("staff"))
        .get("/backoffice/partners/", {"tier": "platinum", "postal_code": "80"})
        .content.decode()
    )

    assert "These filters could not be used, so the whole list is shown:" in text
    assert "<li>Tier: Select a valid choice." in text
    assert numbers_in(text, "A-1000", "B-2000") == ["A-1000", "B-2000"]
