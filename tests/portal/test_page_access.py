"""Every page outside /api/ and /admin/ answers every persona as the page tables say, and
every such page is in a table. See tests/portal/page_table.py for how to add a page."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.urls import resolve, reverse

from tests.access import (
    UNSAFE_METHODS,
    row_counts,
    rows_without_cases,
    stale_rows,
    table_cases,
    url_patterns,
)
from tests.domains import domain_modules
from tests.personas import Personas, persona_client
from tests.portal.page_table import PageCase
from tests.portal.world import PortalWorld, build_portal_world

EXCLUDED_PREFIXES = ("api/", "admin/")

PAGES: dict[str, list[PageCase]] = {}
for _module in domain_modules("page_access"):
    overlap = set(PAGES) & set(_module.PAGES)
    assert not overlap, f"{_module.__name__} repeats rows for {sorted(overlap)}"
    PAGES.update(_module.PAGES)


def page_patterns() -> list[tuple[str, str | None]]:
    return [
        (route, name) for route, name in url_patterns() if not route.startswith(EXCLUDED_PREFIXES)
    ]


def test_every_page_pattern_is_named() -> None:
    assert [route for route, name in page_patterns() if name is None] == []


def test_every_page_pattern_has_a_row() -> None:
    missing = sorted({name for _, name in page_patterns() if name} - set(PAGES))
    assert missing == [], f"Add these pages to a tests/<domain>/page_access.py: {missing}"


def test_every_row_names_an_existing_page() -> None:
    stale = stale_rows(PAGES, page_patterns())
    assert stale == [], f"These page rows name no URL pattern: {stale}"


def test_every_row_has_a_case() -> None:
    assert rows_without_cases(PAGES) == []


@pytest.fixture
def walk_world(personas: Personas) -> PortalWorld:
    # The support desk's group carries its view permissions, as after a migrate.
    Group.objects.get_or_create(name="support desk")
    return build_portal_world(personas)


@pytest.mark.parametrize(("name", "case", "persona"), table_cases(PAGES))
def test_page_answers_persona_as_the_table_says(
    name: str, case: PageCase, persona: str, walk_world: PortalWorld, settings: Any
) -> None:
    settings.BACKOFFICE_RUNS_INLINE = True
    # Given the URL the case builds, which belongs to the pattern the row is about,
    url = reverse(name, kwargs=case.kwargs(walk_world))
    assert resolve(url).view_name.split(":")[-1] == name.rsplit(":", maxsplit=1)[-1]
    client = persona_client(persona, walk_world.personas)
    is_write = case.method in UNSAFE_METHODS
    counts_before = row_counts() if is_write else None
    data = case.data(walk_world) if case.data is not None else {}

    # when the persona asks for it,
    if case.method == "get":
        response = client.get(url, case.query)
    else:
        response = getattr(client, case.method)(url, data)

    # then the answer is the expected one,
    assert response.status_code == case.expect[persona], (
        response.status_code,
        response.get("Location"),
    )
    # a redirect goes where the row says (the sign-in page for the anonymous visitor),
    if response.status_code == 302:
        assert response["Location"].startswith(case.redirect_for(persona)), response["Location"]
    # and a refused write changed nothing.
    if is_write and response.status_code in (400, 403, 404, 405):
        assert row_counts() == counts_before
