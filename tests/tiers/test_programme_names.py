"""Programmes by name in the reader's language (R2): `name_de`/`name_en` of a tier
policy, the portal's `programme_name` filter, and the admin's policy and tier-history lists,
which show programme and tier names and the period kind in words instead of codes."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.utils import translation

from channeldesk.portal.templatetags.portal_tags import programme_name
from channeldesk.tiers.models import AssignmentSource, TierAssignment, TierPolicy
from tests.personas import Personas
from tests.tiers.factories import previous_tier

PREVIOUS_DE = "Bisheriges Partnerprogramm (Gold / Silber)"
PREVIOUS_EN = "Previous partner programme (Gold / Silver)"
DEFAULT_DE = "Partnerprogramm mit drei Stufen (Gold / Silber / Autorisiert)"
DEFAULT_EN = "Three-tier partner programme (Gold / Silver / Authorised)"

pytestmark = pytest.mark.django_db


def _cells(html: str) -> list[str]:
    """The text of each table cell and link of a changelist (tags stripped)."""
    found = re.findall(r"<(?:td|th|a)[^>]*>(.*?)</(?:td|th|a)>", html, flags=re.DOTALL)
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in found]


def test_the_two_default_programmes_have_german_and_english_names() -> None:
    names = {
        code: (name_de, name_en)
        for code, name_de, name_en in TierPolicy.objects.values_list("code", "name_de", "name_en")
    }

    assert names == {"previous": (PREVIOUS_DE, PREVIOUS_EN), "default": (DEFAULT_DE, DEFAULT_EN)}


@pytest.mark.parametrize(
    ("language", "expected"), [("de", PREVIOUS_DE), ("en", PREVIOUS_EN), ("de-de", PREVIOUS_DE)]
)
def test_programme_name_is_in_the_readers_language(language: str, expected: str) -> None:
    policy = TierPolicy.objects.get(code="previous")

    with translation.override(language):
        assert programme_name(policy) == expected
        assert programme_name("previous@1") == expected


def test_a_programme_without_a_name_in_the_language_shows_its_working_title() -> None:
    # Given a later version of `default` whose German name nobody has given yet,
    policy = TierPolicy.objects.create(
        code="default", version=2, name="Working title 2027", name_en="Programme 2027"
    )

    # then German readers see the working title and English ones the English name, with the
    # version.
    with translation.override("de"):
        assert programme_name(policy).startswith("Working title 2027")
    with translation.override("en"):
        assert programme_name(policy) == "Programme 2027 (version 2)"


def test_policy_changelist_shows_programme_names_and_the_period_in_words(
    staff_client: Client,
) -> None:
    staff_client.cookies["django_language"] = "en"

    html = staff_client.get("/admin/tiers/tierpolicy/").content.decode()

    cells = _cells(html)
    assert PREVIOUS_EN in cells
    assert DEFAULT_EN in cells
    assert "half-year" in cells
    assert "half_year" not in html.replace('value="half_year"', "")
    assert not {"previous", "default"} & set(cells)


def test_policy_changelist_finds_a_programme_by_its_code(staff_client: Client) -> None:
    staff_client.cookies["django_language"] = "de"

    html = staff_client.get("/admin/tiers/tierpolicy/", {"q": "previous"}).content.decode()

    # (each programme is a choice of the programme filter too)
    cells = _cells(html)
    assert cells.count(PREVIOUS_DE) == 2
    assert cells.count(DEFAULT_DE) == 1


def test_tier_history_changelist_shows_tier_and_programme_names_not_codes(
    staff_client: Client, personas: Personas
) -> None:
    # Given partner A's Gold and partner B's Silver in the programme in force,
    policy = TierPolicy.objects.get(code="previous")
    for partner, tier in ((personas.partner_a, "gold"), (personas.partner_b, "silver")):
        TierAssignment.objects.create(
            partner=partner,
            policy=policy,
            tier=policy.tiers.get(code=tier),
            valid_from=dt.date(2026, 1, 1),
            source=AssignmentSource.INITIAL,
        )
    staff_client.cookies["django_language"] = "de"

    # when staff opens the tier history in German,
    html = staff_client.get("/admin/tiers/tierassignment/").content.decode()

    # then the rows and the programme filter read by names, never `gold` or `previous@1`.
    cells = _cells(html)
    assert {"Gold-Partner", "Silber-Partner"} <= set(cells)
    assert cells.count(PREVIOUS_DE) == 3  # two rows and the filter's choice
    assert DEFAULT_DE in cells  # the filter's other choice
    assert not {"gold", "silver"} & set(cells)
    assert "previous@1" not in html
    assert "default@1" not in html


def test_tier_history_filters_by_programme(staff_client: Client, personas: Personas) -> None:
    previous = previous_tier(personas.partner_a, "gold", valid_from=dt.date(2026, 1, 1)).policy
    default = TierPolicy.objects.get(code="default")
    staff_client.cookies["django_language"] = "en"

    shown = staff_client.get("/admin/tiers/tierassignment/", {"policy": previous.pk})
    hidden = staff_client.get("/admin/tiers/tierassignment/", {"policy": default.pk})

    assert "Alpha Systemhaus GmbH" in shown.content.decode()
    assert "Alpha Systemhaus GmbH" not in hidden.content.decode()


def test_a_calibrated_draft_keeps_the_programme_names() -> None:
    from channeldesk.tiers.services import tier_policy_draft_from

    draft = tier_policy_draft_from(policy=TierPolicy.objects.get(code="default"))

    assert (draft.version, draft.name_de, draft.name_en) == (2, DEFAULT_DE, DEFAULT_EN)
