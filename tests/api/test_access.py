"""Every API endpoint answers every persona as the access table says, and every endpoint is in it.

See tests/api/access_table.py for how to add an endpoint.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.urls import resolve, reverse

from tests.access import (
    UNSAFE_METHODS,
    row_counts,
    rows_without_cases,
    stale_rows,
    table_cases,
    url_patterns,
)
from tests.api.access_table import ACCESS_TABLE, Case
from tests.api.world import World

API_PREFIX = "api/v1/"


def api_patterns() -> list[tuple[str, str | None]]:
    return [(route, name) for route, name in url_patterns() if route.startswith(API_PREFIX)]


def test_every_api_url_pattern_is_named() -> None:
    unnamed = [route for route, name in api_patterns() if name is None]
    assert unnamed == [], "Give these API URL patterns a name, then add them to ACCESS_TABLE"


def test_every_api_url_pattern_is_in_the_access_table() -> None:
    names = {name for _, name in api_patterns() if name is not None}
    missing = sorted(names - set(ACCESS_TABLE))
    assert missing == [], f"Add these endpoints to tests/api/access_table.py: {missing}"


def test_the_access_table_names_only_existing_patterns() -> None:
    stale = stale_rows(ACCESS_TABLE, api_patterns())
    assert stale == [], f"These ACCESS_TABLE entries name no URL pattern: {stale}"


def test_every_access_table_entry_has_a_case() -> None:
    assert rows_without_cases(ACCESS_TABLE) == []


@pytest.mark.parametrize(("name", "case", "persona"), table_cases(ACCESS_TABLE))
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
    counts_before = row_counts() if is_write else None
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
        assert row_counts() == counts_before


def _query_string(query: dict[str, str]) -> str:
    return f"?{urlencode(query)}" if query else ""
