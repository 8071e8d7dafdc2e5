"""Every API endpoint answers every persona as the access table says, and every endpoint is in it.

See tests/api/access_table.py for how to add an endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse

from tests.api.access_table import ACCESS_TABLE, Case
from tests.api.world import PERSONA_NAMES, World

API_PREFIX = "api/v1/"
UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, str | None]]:
    """Every URL pattern as (route, view name), following includes and namespaces."""
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            yield route, f"{namespace}{pattern.name}" if pattern.name else None


def api_patterns() -> list[tuple[str, str | None]]:
    return [
        (route, name)
        for route, name in _walk(get_resolver().url_patterns)
        if route.startswith(API_PREFIX)
    ]


def test_every_api_url_pattern_is_named() -> None:
    unnamed = [route for route, name in api_patterns() if name is None]
    assert unnamed == [], "Give these API URL patterns a name, then add them to ACCESS_TABLE"


def test_every_api_url_pattern_is_in_the_access_table() -> None:
    names = {name for _, name in api_patterns() if name is not None}
    missing = sorted(names - set(ACCESS_TABLE))
    assert missing == [], f"Add these endpoints to tests/api/access_table.py: {missing}"


def test_the_access_table_names_only_existing_patterns() -> None:
    names = {name for _, name in api_patterns() if name is not None}
    stale = sorted(set(ACCESS_TABLE) - names)
    assert stale == [], f"These ACCESS_TABLE entries name no URL pattern: {stale}"


def test_every_access_table_entry_has_a_case() -> None:
    assert [name for name, cases in ACCESS_TABLE.items() if not cases] == []


def _access_cases() -> Iterator[Any]:
    for name, cases in ACCESS_TABLE.items():
        for case in cases:
            for persona in PERSONA_NAMES:
                yield pytest.param(name, case, persona, id=f"{name}[{case.label}]-{persona}")


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


@pytest.mark.parametrize(("name", "case", "persona"), list(_access_cases()))
def test_endpoint_answers_persona_as_the_access_table_says(
    name: str,
    case: Case,
    persona: str,
    world: World,
    client_as: Callable[[str], Any],
) -> None:
    # Given the URL the case builds, which must belong to the pattern the entry is about,
    url = reverse(name, kwargs=case.kwargs(world))
    assert resolve(url).view_name == name
    client = client_as(persona)
    is_write = case.method in UNSAFE_METHODS
    counts_before = _row_counts() if is_write else None
    data = case.data(world) if case.data is not None else None

    # when the persona calls it,
    send = getattr(client, case.method)
    if case.method == "get":
        response = send(url, case.query)
    else:
        response = send(url + _query_string(case.query), data, format="json")

    # then the answer is the expected one,
    assert response.status_code == case.expect[persona], response.content[:500]
    # every refusal comes in the one error format,
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}
        assert set(body["error"]) == {"code", "message", "details"}
    # and a refused write changed nothing.
    if is_write and response.status_code >= 400:
        assert _row_counts() == counts_before


def _query_string(query: dict[str, str]) -> str:
    return f"?{urlencode(query)}" if query else ""
