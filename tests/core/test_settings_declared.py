"""Every setting the code reads is declared once, in `settings.py` (or is one of Django's own).

The reads are found by reading the source (ast), not by running it: `settings.NAME` and
`getattr(settings, "NAME", …)` in every module under `src/channeldesk`. A name given by a
module-level constant (`getattr(settings, SETTING)`) or by a class attribute
(`getattr(settings, self.setting)` with `setting = "NAME"` in the module's classes) is resolved
too; any other computed name fails, because nobody could check it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from django.conf import global_settings

import channeldesk.settings as project_settings

PACKAGE = Path(project_settings.__file__).resolve().parent
SETTINGS_MODULE = PACKAGE / "settings.py"


def _is_settings(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "settings"


def _string_constants(tree: ast.Module) -> dict[str, list[str]]:
    """Names assigned a string literal anywhere in the module (module constants and class
    attributes), with every value each one takes."""
    constants: dict[str, list[str]] = {}
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)):
            continue
        if not isinstance(node.value.value, str):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name):
                constants.setdefault(target.id, []).append(node.value.value)
    return constants


def _getattr_names(argument: ast.expr, constants: dict[str, list[str]]) -> list[str] | None:
    """The setting names a `getattr(settings, argument)` can read; None when not resolvable."""
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return [argument.value]
    if isinstance(argument, ast.Name) and argument.id in constants:
        return constants[argument.id]
    if (
        isinstance(argument, ast.Attribute)
        and _is_self(argument.value)
        and argument.attr in constants
    ):
        # The base class's empty placeholder (`setting = ""`) is no read of its own.
        return [name for name in constants[argument.attr] if name]
    return None


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in {"self", "cls"}


def _reads(source: str) -> Iterator[tuple[str, int]]:
    """(setting name, line) for every read of a setting in a module's source; an unresolvable
    computed name comes back as `?<its source>`."""
    tree = ast.parse(source)
    constants = _string_constants(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_settings(node.value) and node.attr.isupper():
            yield node.attr, node.lineno
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr"}
            and len(node.args) >= 2
            and _is_settings(node.args[0])
        ):
            names = _getattr_names(node.args[1], constants)
            if names is None:
                yield f"?{ast.unparse(node.args[1])}", node.lineno
            else:
                yield from ((name, node.lineno) for name in names)


def _declared(name: str) -> bool:
    return hasattr(project_settings, name) or hasattr(global_settings, name)


def test_every_setting_read_in_the_code_is_declared_in_settings_py() -> None:
    undeclared = [
        f"{path.relative_to(PACKAGE)}:{line}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path != SETTINGS_MODULE
        for name, line in _reads(path.read_text(encoding="utf-8"))
        if not _declared(name)
    ]

    assert undeclared == []


def test_the_scan_finds_reads_of_every_form() -> None:
    # Given a module reading settings in every form the scan knows, and one it cannot resolve
    source = (
        "SETTING = 'FROM_CONSTANT'\n"
        "class Throttle:\n"
        "    setting = ''\n"
        "class PerAddress(Throttle):\n"
        "    setting = 'FROM_CLASS'\n"
        "    def rate(self):\n"
        "        return getattr(settings, self.setting)\n"
        "plain = settings.PLAIN\n"
        "with_default = getattr(settings, 'WITH_DEFAULT', 1)\n"
        "from_constant = getattr(settings, SETTING, {})\n"
        "computed = getattr(settings, 'PREFIX_' + kind)\n"
        "not_a_setting = settings.configured\n"
    )

    # When its reads are collected
    reads = sorted(_reads(source), key=lambda read: read[1])

    # Then constants and class attributes resolve, a computed name is marked, lower case is no
    # setting
    assert reads == [
        ("FROM_CLASS", 7),
        ("PLAIN", 8),
        ("WITH_DEFAULT", 9),
        ("FROM_CONSTANT", 10),
        ("?'PREFIX_' + kind", 11),
    ]
