"""Conventions of the suite itself, checked on its source.

Tests go through the public surface of channeldesk: a test that imports `_something` (or reaches
for `module._something`) pins an implementation detail, and breaks on every refactoring that
keeps the behaviour. A private unit worth a test of its own is made public instead. The few
uses left are listed in ALLOWED with the reason they stay; the list may only shrink.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
SOURCE = TESTS.parent / "src"

# (test file relative to tests/, "module.name") -> why the test still needs the private name.
ALLOWED: dict[tuple[str, str], str] = {
    (
        "usage/test_ingest.py",
        "channeldesk.usage.ingest._LocalDays",
    ): "the fast day-of-an-instant cache is checked against zoneinfo over a whole year; "
    "usage/ingest.py would have to make it public (or move it to usage/events.py)",
    (
        "imports/test_background.py",
        "channeldesk.core.import_jobs._ProgressWriter",
    ): "the test watches every progress write of a background import; core/import_jobs.py has "
    "no public hook for it",
    (
        "imports/test_background.py",
        "channeldesk.core.import_jobs._runner",
    ): "the test queues jobs in a list instead of the job queue; core/import_jobs.py offers "
    "`import_job_runner_register` but no way to restore the runner afterwards",
    (
        "contracts/test_contracts.py",
        "channeldesk.contracts.services._mark_renewed",
    ): "the test makes the renewal fail half-way to prove it is one transaction; there is no "
    "public step of contract_renew to fail",
    (
        "operations/test_health.py",
        "channeldesk.core.health._MIGRATED",
    ): "the tests reset the readiness probe's memory of migrated databases; core/health.py has "
    "no public way to forget it",
}


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def is_channeldesk_module(dotted: str) -> bool:
    """Whether `dotted` names a module or package of channeldesk (not a class or function)."""
    path = SOURCE.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def private_uses(path: Path) -> set[str]:
    """Every `channeldesk.<module>._name` the test module imports or reaches for: in `from ...
    import _name`, as `module._name`, and as `setattr(module, "_name", ...)` (monkeypatch)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    modules: dict[str, str] = {}  # local name -> channeldesk module it is bound to
    uses: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("channeldesk"):
            for alias in node.names:
                dotted = f"{node.module}.{alias.name}"
                if is_private(alias.name):
                    uses.add(dotted)
                elif is_channeldesk_module(dotted):
                    modules[alias.asname or alias.name] = dotted
        elif isinstance(node, ast.Import):
            modules.update(
                (alias.asname, alias.name)
                for alias in node.names
                if alias.name.startswith("channeldesk") and alias.asname
            )
    for node in ast.walk(tree):
        reached = private_attribute(node, modules)
        if reached is not None:
            uses.add(reached)
    return uses


def private_attribute(node: ast.AST, modules: dict[str, str]) -> str | None:
    """`module._name` or `setattr(module, "_name", ...)` on one of `modules`, as a dotted name."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        owner, name = node.value.id, node.attr
    elif (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "setattr"
        and len(node.args) >= 2
        and isinstance(node.args[0], ast.Name)
        and isinstance(node.args[1], ast.Constant)
        and isinstance(node.args[1].value, str)
    ):
        owner, name = node.args[0].id, node.args[1].value
    else:
        return None
    if owner in modules and is_private(name):
        return f"{modules[owner]}.{name}"
    return None


def all_private_uses() -> set[tuple[str, str]]:
    return {
        (path.relative_to(TESTS).as_posix(), use)
        for path in sorted(TESTS.rglob("*.py"))
        for use in private_uses(path)
    }


def test_no_test_uses_a_private_name_of_channeldesk() -> None:
    unexpected = sorted(all_private_uses() - ALLOWED.keys())

    assert unexpected == [], "test through the public function, or make the unit public"


def test_every_allowed_private_use_is_still_needed() -> None:
    stale = sorted(ALLOWED.keys() - all_private_uses())

    assert stale == [], "remove these from ALLOWED: the tests no longer need them"


def test_the_check_sees_each_kind_of_private_use(tmp_path: Path) -> None:
    module = tmp_path / "test_example.py"
    module.write_text(
        "from channeldesk.tiers.evaluation import _hidden, decide\n"
        "from channeldesk.core import import_jobs\n"
        "import channeldesk.usage.services as services\n"
        "from channeldesk.tiers.models import TierPolicy\n"
        "def test(monkeypatch):\n"
        "    import_jobs._writer\n"
        "    monkeypatch.setattr(services, '_helper', None)\n"
        "    TierPolicy._meta\n"
        "    import_jobs.__name__\n"
    )

    assert private_uses(module) == {
        "channeldesk.tiers.evaluation._hidden",
        "channeldesk.core.import_jobs._writer",
        "channeldesk.usage.services._helper",
    }


STUB_MARKERS = ("raise NotImplementedError", "TODO", "FIXME", "XXX")


def test_src_has_no_stub_markers() -> None:
    """A hook a subclass must give is an `@abstractmethod` (so a class that forgets it fails
    when it is built, not when the page or command runs); unfinished work is an issue, not a
    marker in the code. Migrations are generated and left out."""
    src = TESTS.parent / "src" / "channeldesk"
    found = [
        f"{path.relative_to(src)}:{number}: {line.strip()}"
        for path in sorted(src.rglob("*.py"))
        if "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if any(marker in line for marker in STUB_MARKERS)
    ]
    assert found == []
