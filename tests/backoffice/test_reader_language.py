"""Texts a person can trust in the back office: the outbox's review tab and its
reasons, and a calibration's result lines, each in the reader's language; the compliance
download with the page's filters."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

from channeldesk.backoffice.models import ProgrammeRun, RunStatus
from channeldesk.backoffice.reasons import STORED_REASONS, reason_text
from channeldesk.contracts.models import ReminderStatus
from channeldesk.notifications.models import OutboxMessage, OutboxStatus
from tests.backoffice.factories import CALIBRATION_FORM
from tests.backoffice.test_operations_lists import (  # noqa: F401 - the scan fixture
    COMPLIANCE_FILTERS,
    contracts_listed,
    scan,
    visible,
)
from tests.backoffice.test_partner_list import english, german
from tests.portal.world import PortalWorld
from tests.xlsx_exports import assert_same_rows

pytestmark = pytest.mark.today("2026-12-07")


@pytest.fixture
def german_entries() -> Iterator[Callable[[dict[str, str]], None]]:
    """Adds entries to the German catalogue for one test (as `make messages` will once the
    lead writes the translations), and takes them out again afterwards."""
    catalogue = trans_real.translation("de")._catalog._catalogs[0]  # type: ignore[attr-defined]
    saved: dict[str, Any] = {}
    missing = object()

    def add(entries: dict[str, str]) -> None:
        for msgid, msgstr in entries.items():
            saved.setdefault(msgid, catalogue.get(msgid, missing))
            catalogue[msgid] = msgstr

    yield add
    for msgid, before in saved.items():
        if before is missing:
            catalogue.pop(msgid, None)
        else:
            catalogue[msgid] = before


# --- The outbox ------------------------------------------------------------------------------


def test_the_review_tab_is_named_in_german_not_by_the_english_word(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    OutboxMessage.objects.update(status=OutboxStatus.REVIEW)

    for query in ({}, {"tab": "planned"}):
        text = visible(
            german(client_for("staff")).get("/backoffice/outbox/", query).content.decode()
        )

        assert "Prüfung (1)" in text
        assert not re.search(r"\breview\b", text)


def _failed_tab_after_a_missed_letter(world: PortalWorld, client: Client) -> str:
    """The outbox's tab of failed sends as `client`'s reader sees it, after partner A's letter
    was missed with the stored reason "Too late."."""
    letter = world.letter_a
    letter.status, letter.reason = ReminderStatus.MISSED, "Too late."
    letter.save(update_fields=["status", "reason"])
    return visible(client.get("/backoffice/outbox/", {"tab": "failed"}).content.decode())


def test_a_reminders_stored_reason_is_shown_as_its_text_for_people(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    text = _failed_tab_after_a_missed_letter(portal_world, english(client_for("staff")))

    assert "Too late: the day it was due has passed." in text


def test_a_reminders_reason_is_shown_in_german_to_a_german_reader(
    portal_world: PortalWorld,
    client_for: Callable[[str], Client],
    german_entries: Callable[[dict[str, str]], None],
) -> None:
    german_entries({"Too late: the day it was due has passed.": "Zu spät: der Termin ist vorbei."})
    text = _failed_tab_after_a_missed_letter(portal_world, german(client_for("staff")))

    assert "Zu spät: der Termin ist vorbei." in text
    assert "Too late" not in text


def test_every_stored_reason_has_its_own_text_and_old_or_free_texts_stay_readable(
    german_entries: Callable[[dict[str, str]], None],
) -> None:
    german_entries({"Dismissed: %(reason)s": "Verworfen: %(reason)s"})

    with translation.override("en"):
        texts = {stored: reason_text(stored) for stored in STORED_REASONS}
        written_before = reason_text("The printer was out of paper.")
    with translation.override("de"):
        dismissed = reason_text("Dismissed: Kunde hat angerufen")

    assert all(text for text in texts.values())
    assert texts["Contract renewed."] == "The contract was renewed."
    assert written_before == "The printer was out of paper."
    assert dismissed == "Verworfen: Kunde hat angerufen"


# --- The calibration's result lines ----------------------------------------------------------


@pytest.fixture
def calibrated(
    portal_world: PortalWorld, client_for: Callable[[str], Client], settings: Any
) -> ProgrammeRun:
    settings.BACKOFFICE_RUNS_INLINE = True
    client_for("staff").post("/backoffice/runs/calibrate/", CALIBRATION_FORM)
    run = ProgrammeRun.objects.get()
    assert run.status == RunStatus.DONE
    return run


def _lines(client: Client, run: ProgrammeRun) -> list[str]:
    text = client.get(f"/backoffice/runs/status/{run.pk}/").content.decode()
    items = re.findall(r'<li data-testid="calibration-line">(.*?)</li>', text, flags=re.DOTALL)
    return [visible(item) for item in items]


NOTES = {
    "No target set: the thresholds are kept.": "Kein Ziel gesetzt: die Schwellen bleiben.",
    "No numeric criterion to calibrate: the thresholds are kept.": (
        "Kein zahlenmäßiges Kriterium: die Schwellen bleiben."
    ),
    "No threshold gives a number within the target (too few partners qualify, or partners tie "
    "at the boundary): this is the closest result.": "Keine Schwelle trifft das Ziel.",
}


def test_the_calibration_lines_name_tiers_and_criteria_in_german_with_german_numbers(
    calibrated: ProgrammeRun,
    client_for: Callable[[str], Client],
    german_entries: Callable[[dict[str, str]], None],
) -> None:
    german_entries(NOTES)

    lines = _lines(german(client_for("staff")), calibrated)

    assert len(lines) == len(calibrated.result["tiers"])
    gold = next(line for line in lines if line.startswith("Gold"))
    assert "Nettoumsatz der letzten Monate" in gold
    assert "€" in gold
    assert "(Ziel 1–1)" in gold
    assert "Keine Schwelle trifft das Ziel." in gold
    for line in lines:
        for code in ("gold", "silver", "authorized", "revenue", "orders", "Thresholds", "qualify"):
            assert not re.search(rf"\b{code}\b", line), (code, line)
        assert not re.search(r"\d\.\d{2}\b(?! €)", line.replace("€", " €")), line


def test_the_calibration_lines_are_english_to_an_english_reader(
    calibrated: ProgrammeRun, client_for: Callable[[str], Client]
) -> None:
    lines = _lines(english(client_for("staff")), calibrated)

    gold = next(line for line in lines if line.startswith("Gold"))
    assert "net revenue over the last months" in gold
    assert "(target 1–1)" in gold
    assert not any("Ziel" in line or "Partner (" in line for line in lines)


# --- The compliance download honours the page's filters --------------------------------------


def _csv_contracts(client: Client, query: dict[str, str]) -> list[str]:
    response = client.get("/backoffice/compliance.csv", query)
    assert response.status_code == 200
    return [line.split(",")[0] for line in response.content.decode().splitlines()[1:]]


@pytest.mark.parametrize(("query", "expected"), COMPLIANCE_FILTERS)
def test_the_compliance_download_has_the_contracts_the_page_lists(
    scan: PortalWorld,  # noqa: F811
    client_for: Callable[[str], Client],
    query: dict[str, str],
    expected: list[str],
) -> None:
    client = english(client_for("staff"))
    page = client.get("/backoffice/compliance/", query).content.decode()

    assert _csv_contracts(client, query) == expected == contracts_listed(page)


@pytest.mark.parametrize("language", ["de", "en"])
@pytest.mark.parametrize(("query", "expected"), COMPLIANCE_FILTERS)
def test_the_compliance_workbook_holds_the_rows_of_the_filtered_csv(
    scan: PortalWorld,  # noqa: F811
    client_for: Callable[[str], Client],
    query: dict[str, str],
    expected: list[str],
    language: str,
) -> None:
    rows = assert_same_rows(
        client_for("staff"), "/backoffice/compliance.csv", query, language=language
    )

    assert [row[0] for row in rows[1:]] == expected


def test_the_compliance_page_links_the_workbook_with_its_filters(
    scan: PortalWorld,  # noqa: F811
    client_for: Callable[[str], Client],
) -> None:
    page = english(client_for("staff")).get(
        "/backoffice/compliance/", {"sector": "public_authority"}
    )

    assert (
        'href="/backoffice/compliance.csv?sector=public_authority&amp;format=xlsx"'
        in page.content.decode()
    )


def test_the_compliance_page_links_the_download_with_its_filters_but_not_its_page(
    scan: PortalWorld,  # noqa: F811
    client_for: Callable[[str], Client],
) -> None:
    page = english(client_for("staff")).get(
        "/backoffice/compliance/", {"sector": "public_authority", "page": "1"}
    )

    assert 'href="/backoffice/compliance.csv?sector=public_authority"' in page.content.decode()


def test_a_compliance_download_with_filters_it_cannot_use_is_refused(
    scan: PortalWorld,  # noqa: F811
    client_for: Callable[[str], Client],
) -> None:
    response = english(client_for("staff")).get(
        "/backoffice/compliance.csv", {"partner": "A-1000; DROP"}
    )

    assert response.status_code == 400
    assert "partner" in response.content.decode()
