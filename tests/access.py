"""What the access tables share: the personas they ask, the expected answers per persona, the
site's URL patterns, and the row counts that show a refused write changed nothing.

tests/api/access_table.py (the API) and tests/portal/page_table.py (every other page) build
their tables from these; tests/api/test_access.py and tests/portal/test_page_access.py walk them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

# Everyone an access test asks, in the order reports list them. "anonymous" sends no login;
# "outsider" is signed in but is neither vendor staff nor a partner user.
PERSONA_NAMES = (
    "anonymous",
    "outsider",
    "partner_a_admin",
    "partner_a_user",
    "partner_b_user",
    "support",
    "staff",
)
UNSAFE_METHODS = {"post", "put", "patch", "delete"}


def answers(default: int, **exceptions: int) -> dict[str, int]:
    """The expected status per persona: `default` for all but the ones named."""
    unknown = set(exceptions) - set(PERSONA_NAMES)
    if unknown:
        raise ValueError(f"Unknown personas {sorted(unknown)}; known: {PERSONA_NAMES}")
    return {persona: exceptions.get(persona, default) for persona in PERSONA_NAMES}


def no_arguments(world: object) -> dict[str, Any]:
    """A URL without arguments, or an empty body."""
    return {}


def given(**values: Any) -> Callable[[object], dict[str, Any]]:
    """URL arguments or a body that do not depend on the world."""
    return lambda world: values


@dataclass(frozen=True)
class AccessCase[World]:
    """One row of an access table: a label, the status per persona, and how to ask: the URL's
    arguments and the body, built from the `World` the table runs against, the method, and the
    query string."""

    label: str
    expect: dict[str, int]
    kwargs: Callable[[World], dict[str, Any]] = no_arguments
    method: str = "get"
    data: Callable[[World], dict[str, Any]] | None = None
    query: dict[str, str] = field(default_factory=dict)


def table_cases(table: Mapping[str, Sequence[AccessCase[Any]]]) -> list[Any]:
    """Every (row name, case, persona) of an access table as a test parameter, with the id
    `name[case label]-persona`, in the order of PERSONA_NAMES. A case must expect an answer from
    every persona: one left out (say partner B, who must not see A's data) would go untested
    silently, so it fails the collection instead."""
    for name, cases in table.items():
        for case in cases:
            if set(case.expect) != set(PERSONA_NAMES):
                missing = sorted(set(PERSONA_NAMES) - set(case.expect))
                raise ValueError(f"{name}[{case.label}] expects no answer from {missing}.")
    return [
        pytest.param(name, case, persona, id=f"{name}[{case.label}]-{persona}")
        for name, cases in table.items()
        for case in cases
        for persona in PERSONA_NAMES
    ]


def stale_rows(
    table: Mapping[str, object], patterns: Iterable[tuple[str, str | None]]
) -> list[str]:
    """The rows of an access table that name no URL pattern (of those it covers)."""
    return sorted(set(table) - {name for _, name in patterns if name is not None})


def rows_without_cases(table: Mapping[str, Sequence[object]]) -> list[str]:
    """The rows of an access table that test nothing."""
    return [name for name, cases in table.items() if not cases]


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


def url_patterns() -> list[tuple[str, str | None]]:
    """Every URL pattern of the site as (route, view name; None when unnamed)."""
    return list(_walk(get_resolver().url_patterns))


def row_counts() -> dict[str, int]:
    """The number of rows in every table, by model label."""
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}
