"""docs/deploy.md's table of environment variables is the truth about what ChannelDesk reads.

The variables are found by reading the source (ast), not by running it: every `env.str("X")`,
`env.int`, `env.bool`, `env.list`, …, `secret_from_environment("X")`, `os.environ.get("X")` and
`os.getenv("X")` in `settings.py` (and in the gunicorn configuration module) must have a row,
every row must name a variable something in `src/channeldesk` still reads, a secret's row names
its `X_FILE` too, and a literal default in the source is the default the row states.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "channeldesk"
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
# The modules whose every variable must be documented: Django's settings, what they call to find
# the data directory, and gunicorn's configuration.
DOCUMENTED_MODULES = (
    PACKAGE / "settings.py",
    PACKAGE / "core" / "data_directory.py",
    PACKAGE / "gunicorn_conf.py",
)
# The operating system's own variables, read only to fall back on (the user's home directory).
NOT_OURS = frozenset({"HOME"})
TABLE_MARKER = "<!-- environment variables -->"
# django-environ's readers that take a variable's name (the `*_config` ones take a value).
ENV_READERS = frozenset(
    {
        "str",
        "int",
        "bool",
        "float",
        "list",
        "tuple",
        "dict",
        "json",
        "url",
        "path",
        "bytes",
        "db",
        "db_url",
        "cache",
        "cache_url",
        "email",
        "email_url",
        "search_url",
        "get_value",
    }
)
NO_DEFAULT = object()


@dataclass(frozen=True)
class Read:
    """One place the source reads a variable."""

    name: str
    secret: bool
    default: object  # a literal default, or NO_DEFAULT when there is none or it is computed


def _literal(node: ast.expr | None) -> object:
    """The value of a default that is a literal or arithmetic on literals (`64 * 1024`)."""
    if node is None:
        return NO_DEFAULT
    literal_parts = (ast.Constant, ast.BinOp, ast.List, ast.UnaryOp)
    if isinstance(node, literal_parts) and all(
        isinstance(child, (*literal_parts, ast.operator, ast.unaryop, ast.expr_context))
        for child in ast.walk(node)
    ):
        return eval(compile(ast.Expression(node), "<default>", "eval"), {"__builtins__": {}})  # noqa: S307
    return NO_DEFAULT


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((keyword.value for keyword in call.keywords if keyword.arg == name), None)


def _is_environment_get(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and (
        ast.unparse(call.func.value),
        call.func.attr,
    ) in {("os.environ", "get"), ("os", "getenv"), ("environ", "get")}


def _local_readers(tree: ast.Module) -> set[str]:
    """The module's own functions that read the variable named by their first parameter
    (gunicorn_conf's `_positive("WEB_TIMEOUT", 30)`)."""
    readers = set()
    for function in tree.body:
        if not isinstance(function, ast.FunctionDef) or not function.args.args:
            continue
        parameter = function.args.args[0].arg
        for node in ast.walk(function):
            if (
                isinstance(node, ast.Call)
                and _is_environment_get(node)
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id == parameter
            ):
                readers.add(function.name)
    return readers


def _is_env_reader(call: ast.Call) -> bool:
    """`env("X")` or django-environ's `env.str("X")`, `env.int("X")`, …"""
    function = call.func
    if isinstance(function, ast.Name):
        return function.id == "env"
    return (
        isinstance(function, ast.Attribute)
        and ast.unparse(function.value) == "env"
        and function.attr in ENV_READERS
    )


def _read_of(call: ast.Call, *, local_readers: Collection[str] = ()) -> Read | None:
    """The variable this call reads, if it reads one by a literal name."""
    if not call.args or not isinstance(call.args[0], ast.Constant):
        return None
    name = call.args[0].value
    if not isinstance(name, str):
        return None
    secret = isinstance(call.func, ast.Name) and call.func.id == "secret_from_environment"
    if secret or _is_env_reader(call):
        return Read(name, secret=secret, default=_literal(_keyword(call, "default")))
    local = isinstance(call.func, ast.Name) and call.func.id in local_readers
    if local or _is_environment_get(call):
        given = _keyword(call, "default") or (call.args[1] if len(call.args) > 1 else None)
        # `environ.get("X", "")` means "unset"; the real default is computed after it.
        value = _literal(given)
        return Read(name, secret=False, default=NO_DEFAULT if value == "" else value)
    return None


def variables_read(path: Path) -> dict[str, Read]:
    """Every environment variable `path` reads, by name."""
    if not path.is_file():
        return {}
    reads: dict[str, Read] = {}
    tree = ast.parse(path.read_text(encoding="utf-8"))
    local_readers = _local_readers(tree)
    for node in ast.walk(tree):
        read = None
        if isinstance(node, ast.Call):
            read = _read_of(node, local_readers=local_readers)
        elif (
            isinstance(node, ast.Subscript)
            and ast.unparse(node.value) == "os.environ"
            and isinstance(node.slice, ast.Constant)
        ):
            read = Read(str(node.slice.value), secret=False, default=NO_DEFAULT)
        if read is not None:
            reads.setdefault(read.name, read)
    return reads


def documented_rows() -> dict[str, str]:
    """The table's rows: each variable named in a row's first cell → that row's default cell."""
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    assert text.count(TABLE_MARKER) == 2, (
        f"docs/deploy.md: the table sits between two {TABLE_MARKER}"
    )
    table = text.split(TABLE_MARKER)[1]
    rows: dict[str, str] = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 3 or set(cells[0]) <= {"-", " ", ":"} or cells[0] == "variable":
            continue
        for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", cells[0]):
            assert name not in rows, f"docs/deploy.md: {name} has two rows"
            rows[name] = cells[1]
    return rows


def _rendered(value: object) -> str:
    """How the table writes a default: `true`/`false`, `(empty)`, numbers and text as is."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value in ("", []):
        return "(empty)"
    if isinstance(value, list):
        return ",".join(str(item) for item in value)
    return str(value)


def _must_be_documented() -> dict[str, Read]:
    reads: dict[str, Read] = {}
    for module in DOCUMENTED_MODULES:
        reads.update(variables_read(module))
    return {name: read for name, read in reads.items() if name not in NOT_OURS}


def _read_anywhere() -> set[str]:
    names: set[str] = set()
    for module in PACKAGE.rglob("*.py"):
        names |= set(variables_read(module))
    return names


def test_every_variable_settings_reads_has_a_row_in_deploy_md() -> None:
    rows = documented_rows()
    missing = sorted(set(_must_be_documented()) - set(rows))
    assert not missing, f"docs/deploy.md, the environment table lacks: {', '.join(missing)}"


def test_every_row_of_the_table_is_a_variable_that_is_still_read() -> None:
    read = _read_anywhere()
    file_variants = {f"{name}_FILE" for name, r in _must_be_documented().items() if r.secret}
    stale = sorted(set(documented_rows()) - read - file_variants)
    assert not stale, f"docs/deploy.md lists variables nothing reads any more: {', '.join(stale)}"


def test_every_secret_row_names_its_file_variable() -> None:
    rows = documented_rows()
    secrets = sorted(name for name, read in _must_be_documented().items() if read.secret)
    assert secrets, "no secret found: the parser no longer sees secret_from_environment"
    without_file = [name for name in secrets if f"{name}_FILE" not in rows]
    assert not without_file, f"docs/deploy.md: name the *_FILE variant of {without_file}"


def test_each_literal_default_is_the_default_the_table_states() -> None:
    rows = documented_rows()
    wrong = [
        f"{name}: source says `{_rendered(read.default)}`, table says {rows[name]!r}"
        for name, read in sorted(_must_be_documented().items())
        if read.default is not NO_DEFAULT
        and name in rows
        and f"`{_rendered(read.default)}`" not in rows[name]
    ]
    assert not wrong, "docs/deploy.md, wrong defaults:\n" + "\n".join(wrong)


def test_the_parser_finds_the_variables_it_must() -> None:
    """A guard for the guard: the parser sees each kind of read in settings.py."""
    reads = variables_read(PACKAGE / "settings.py")
    assert reads["DATABASE_URL"].secret
    assert reads["CONN_MAX_AGE"].default == 60
    assert reads["DEBUG"].default is False
    assert reads["API_INGEST_MAX_BODY_BYTES"].default == 64 * 1024 * 1024
    assert reads["SECRET_KEY"].secret
    documented = _must_be_documented()
    assert "CHANNELDESK_VAR_DIR" in documented
    if (PACKAGE / "gunicorn_conf.py").is_file():
        assert documented["WEB_TIMEOUT"].default == 30


def test_every_page_deploy_md_links_to_exists() -> None:
    text = DEPLOY_DOC.read_text(encoding="utf-8")
    targets = {target.split("#")[0] for target in re.findall(r"\]\(([^)#][^)]*)\)", text)}
    missing = sorted(
        target
        for target in targets
        if "://" not in target and not (DEPLOY_DOC.parent / target).is_file()
    )
    assert not missing, f"docs/deploy.md links to missing pages: {missing}"


def test_a_new_variable_in_any_form_would_be_caught(tmp_path: Path) -> None:
    source = tmp_path / "settings.py"
    source.write_text(
        "import os\n"
        "A = env.str('NEW_STR', default='x')\n"
        "B = env.int('NEW_INT', default=2 * 3)\n"
        "C = env.bool('NEW_BOOL', default=True)\n"
        "D = env.list('NEW_LIST', default=[])\n"
        "E = env.db_url_config(secret_from_environment('NEW_SECRET_URL'))\n"
        "F = os.environ.get('NEW_OS', 'y')\n"
        "G = os.environ['NEW_ITEM']\n"
        "H = os.getenv('NEW_GETENV')\n"
        "I = env('NEW_CALL')\n",
        encoding="utf-8",
    )
    reads = variables_read(source)
    assert set(reads) == {
        "NEW_STR",
        "NEW_INT",
        "NEW_BOOL",
        "NEW_LIST",
        "NEW_SECRET_URL",
        "NEW_OS",
        "NEW_ITEM",
        "NEW_GETENV",
        "NEW_CALL",
    }
    assert [_rendered(reads[name].default) for name in ("NEW_STR", "NEW_INT", "NEW_BOOL")] == [
        "x",
        "6",
        "true",
    ]
    assert reads["NEW_SECRET_URL"].secret
    assert not set(reads) & set(documented_rows())
