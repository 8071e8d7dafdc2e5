"""Every page outside /api/ and /admin/ answers every persona as the page tables say, and
every such page is in a table. See tests/portal/page_table.py for how to add a page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.domains import domain_modules
from tests.factories import UserFactory
from tests.personas import Personas, sign_in
from tests.portal.page_table import PageCase
from tests.portal.world import PortalWorld, build_portal_world

EXCLUDED_PREFIXES = ("api/", "admin/")
UNSAFE_METHODS = {"post", "put", "patch", "delete"}

PAGES: dict[str, list[PageCase]] = {}
for _module in domain_modules("page_access"):
    overlap = set(PAGES) & set(_module.PAGES)
    assert not overlap, f"{_module.__name__} repeats rows for {sorted(overlap)}"
    PAGES.update(_module.PAGES)


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str | None]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name}" if pattern.name else None


def page_patterns() -> list[tuple[str, str | None]]:
    return [
        (route, name)
        for route, name in _walk(get_resolver().url_patterns)
        if not route.startswith(EXCLUDED_PREFIXES)
    ]


def test_every_page_pattern_is_named() -> None:
    assert [route for route, name in page_patterns() if name is None] == []


def test_every_page_pattern_has_a_row() -> None:
    missing = sorted({name for _, name in page_patterns() if name} - set(PAGES))
    assert missing == [], f"Add these pages to a tests/<domain>/page_access.py: {missing}"


def test_every_row_names_an_existing_page() -> None:
    stale = sorted(set(PAGES) - {name for _, name in page_patterns() if name})
    assert stale == [], f"These page rows name no URL pattern: {stale}"


def test_every_row_has_a_case() -> None:
    assert [name for name, cases in PAGES.items() if not cases] == []


def _cases() -> Iterator[Any]:
    for name, cases in PAGES.items():
        for case in cases:
            for persona in case.expect:
                yield pytest.param(name, case, persona, id=f"{name}[{case.label}]-{persona}")


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def _client(persona: str, personas: Personas) -> Client:
    client = Client()
    if persona == "outsider":
        sign_in(client, UserFactory(username="olga"))
    elif persona != "anonymous":
        sign_in(client, personas.all()[persona])
    return client


@pytest.fixture
def walk_world(personas: Personas) -> PortalWorld:
    # The support desk's group carries its view permissions, as after a migrate.
    Group.objects.get_or_create(name="support desk")
    return build_portal_world(personas)


@pytest.mark.parametrize(("name", "case", "persona"), list(_cases()))
def test_page_answers_persona_as_the_table_says(
    name: str, case: PageCase, persona: str, walk_world: PortalWorld, settings: Any
) -> None:
    settings.BACKOFFICE_RUNS_INLINE = True
    # Given the URL the case builds, which belongs to the pattern the row is about,
    url = reverse(name, kwargs=case.kwargs(walk_world))
    assert resolve(url).view_name.split(":")[-1] == name.rsplit(":", maxsplit=1)[-1]
    client = _client(persona, walk_world.personas)
    is_write = case.method in UNSAFE_METHODS
    counts_before = _row_counts() if is_write else None
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
        assert _row_counts() == counts_before
