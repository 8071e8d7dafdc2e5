"""Find the per-domain pieces of the suite-wide tests, so each domain adds its own rows without
editing a shared file:

- `tests/<domain>/api_access.py` with `ACCESS: dict[str, list[Case]]` (merged into the API
  access table, tests/api/access_table.py);
- `tests/<domain>/admin_rows.py` with `admin_rows(personas) -> None` (creates at least one row of
  each of the domain's admin models for tests/admin) and optionally `READ_ONLY_MODELS`.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from types import ModuleType

TESTS = Path(__file__).parent


def domain_modules(name: str) -> list[ModuleType]:
    """Every `tests.<package>.<name>` module that exists, in package order."""
    found = []
    for package in sorted(pkgutil.iter_modules([str(TESTS)]), key=lambda info: info.name):
        if package.ispkg and (TESTS / package.name / f"{name}.py").exists():
            found.append(importlib.import_module(f"tests.{package.name}.{name}"))
    return found
