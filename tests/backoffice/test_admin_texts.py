"""Texts to trust in the admin, the staff's other face: a search field with a real label, filter
links with names, contracts without ISO dates, and a partner's tier history by names."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import translation

from channeldesk.notifications.models import OutboxMessage
from channeldesk.notifications.services import outbox_enqueue
from channeldesk.tiers.admin import reason_line
from tests.backoffice.test_operations_lists import visible
from tests.backoffice.test_partner_list import english, german
from tests.licensing.admin_rows import admin_rows as licensing_rows
from tests.personas import Personas
from tests.portal.world import PortalWorld

pytestmark = pytest.mark.today("2026-12-07")

ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


def _label_of_searchbar(html: str) -> str:
    found = re.search(r'<label for="searchbar">(.*?)</label>', html, flags=re.DOTALL)
    assert found is not None
    return found.group(1)


@pytest.mark.parametrize(
    "path",
    ["/admin/partners/partner/", "/admin/tiers/tierassignment/", "/admin/contracts/contract/"],
)
def test_the_admin_search_field_has_a_label_with_text_in_the_readers_language(
    portal_world: PortalWorld, client_for: Callable[[str], Client], path: str
) -> None:
    german_label = _label_of_searchbar(german(client_for("staff")).get(path).content.decode())
    english_label = _label_of_searchbar(english(client_for("staff")).get(path).content.decode())

    assert '<span class="visually-hidden">Suchen</span>' in german_label
    assert '<span class="visually-hidden">Search</span>' in english_label
    assert 'alt=""' in german_label  # the icon is decoration; the text names the field


def test_the_compliance_records_name_their_contract_without_an_iso_date(
    personas: Personas, client_for: Callable[[str], Client]
) -> None:
    licensing_rows(personas)

    for path in ("/admin/licensing/compliancerecord/", "/admin/licensing/keycode/"):
        text = visible(german(client_for("staff")).get(path).content.decode())

        assert "V-LIC" in text
        assert not ISO_DATE.search(text), (path, ISO_DATE.findall(text))


def test_the_outbox_filters_name_an_empty_category_and_each_language_in_itself(
    personas: Personas, client_for: Callable[[str], Client]
) -> None:
    outbox_enqueue(key="filter:1", to=["a@example.com"], subject="Eins", text="Eins.")
    outbox_enqueue(key="filter:2", to=["b@example.com"], subject="Two", text="Two.")
    OutboxMessage.objects.filter(idempotency_key="filter:1").update(language="de", category="")
    OutboxMessage.objects.filter(idempotency_key="filter:2").update(language="en", category="")

    html = german(client_for("staff")).get("/admin/notifications/outboxmessage/").content.decode()

    links = dict(re.findall(r'<a href="\?(category|language)=[^"]*"[^>]*>\s*([^<]*?)\s*</a>', html))
    empty = re.findall(r'<a href="\?(?:category|language)=[^"]*"[^>]*>\s*</a>', html)
    assert empty == []
    assert links["category"] == "Leer"
    assert re.search(r'<a href="\?language=de"[^>]*>\s*Deutsch\s*</a>', html)
    assert re.search(r'<a href="\?language=en"[^>]*>\s*English\s*</a>', html)


def test_the_partner_page_shows_its_tier_history_by_names_not_codes(
    portal_world: PortalWorld, client_for: Callable[[str], Client]
) -> None:
    partner = portal_world.personas.partner_b
    path = f"/admin/partners/partner/{partner.pk}/change/"

    german_text = visible(german(client_for("staff")).get(path).content.decode())
    english_text = visible(english(client_for("staff")).get(path).content.decode())

    assert "Gold-Partner" in german_text
    for text in (german_text, english_text):
        assert not re.search(r"\b[a-z]+@\d+\b", text)  # no `default@1`
        assert "(draft)" not in text
        assert "(published)" not in text
        assert not re.search(r"\bgold\b", text)


def test_a_recorded_reason_reads_as_words_and_local_amounts() -> None:
    reason = {
        "tier": "gold",
        "criterion": "revenue",
        "comparison": "at_least",
        "holds": True,
        "measured": "128063.16",
        "threshold": "25000",
    }

    with translation.override("de"):
        german_line = reason_line(reason, names={"gold": "Gold-Partner"}, language="de")
    with translation.override("en"):
        english_line = reason_line(
            {**reason, "holds": False}, names={"gold": "Gold partner"}, language="en"
        )

    assert german_line == (
        "Gold-Partner · Nettoumsatz der letzten Monate: 128.063,16\xa0€ / 25.000,00\xa0€ ✔"
    )
    assert english_line == (
        "Gold partner · net revenue over the last months: €128,063.16 / €25,000.00 ✘"
    )
    assert reason_line({"override": "Messe 2026"}, names={}, language="de").endswith(": Messe 2026")
