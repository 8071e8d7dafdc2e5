"""The restore drill of docs/backups.md, on PostgreSQL with real tools and processes.

A small world (statements closed, keycodes and certificates issued, letters and statements
rendered) is backed up as an operator would: `pg_dump -Fc` of the database, a copy of the
document directory and of the licence key file. It is restored into a fresh database
(`createdb` + `pg_restore`) and a fresh data directory, and processes pointed at the restored
copy show that statements still total to the cent, keycodes still check, certificates verify
(and new ones are signed with the same key), letters open as they were stored, and that
`channeldesk backup check` says so, or names what is missing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from channeldesk.documents.models import Document
from channeldesk.documents.services import letter_store
from channeldesk.licensing.keys import key_material
from channeldesk.licensing.services import certificate_issue, keycode_issue
from channeldesk.usage.models import Statement
from channeldesk.usage.statements import statement_pdf
from tests.documents.factories import renewal_letter
from tests.licensing.factories import enterprise_contract
from tests.personas import Personas
from tests.usage.worlds import october_statements

pytestmark = [
    pytest.mark.processes,
    pytest.mark.postgres_only,
    pytest.mark.today("2026-12-07"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ISSUED_AT = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class World:
    """What the source installation said before the backup, to compare the restore with."""

    statements: dict[str, tuple[str, str]]  # number -> (list total, net total)
    keycodes: list[str]
    certificates: dict[str, str]  # contract number -> token
    documents: dict[str, str]  # key -> sha256
    public_key: str


@dataclass(frozen=True)
class Backup:
    dump: Path
    documents: Path
    key_file: Path


@pytest.fixture
def source(settings: Any, tmp_path: Path) -> Path:
    """The source installation's data directory: documents and the licence key file there,
    the keys from the file (as a single-host installation runs)."""
    directory = tmp_path / "source"
    settings.MEDIA_ROOT = directory / "media"
    settings.LICENSING_KEY_FILE = directory / "licensing-keys.json"
    settings.LICENSING_KEYCODE_KEYS = ""
    settings.LICENSING_SIGNING_KEY = ""
    settings.LICENSING_KEYCODE_RETIRED_KEY_IDS = []
    directory.mkdir()
    return directory


def build_world(personas: Personas) -> World:
    statements = october_statements(personas.partner_a, personas.partner_b)
    issued = []
    certificates = {}
    for number, partner in (("V-R1", personas.partner_a), ("V-R2", personas.partner_b)):
        contract = enterprise_contract(partner, number=number)
        issued.append(keycode_issue(contract=contract).code)
        certificates[number] = certificate_issue(contract=contract, now=ISSUED_AT).token
    for statement in statements.values():
        statement_pdf(statement=statement)
    letter_store(letter=renewal_letter("de"), kind="renewal", reference="V-R1", key="drill:1")
    letter_store(letter=renewal_letter("en"), kind="renewal", reference="V-R2", key="drill:2")
    return World(
        statements={
            statement.number: (str(statement.list_total), str(statement.net_total))
            for statement in Statement.objects.all()
        },
        keycodes=issued,
        certificates=certificates,
        documents=dict(Document.objects.values_list("key", "sha256")),
        public_key=key_material().public_key_base64,
    )


def postgres_environment() -> dict[str, str]:
    """libpq's variables for the server the tests run on."""
    database = connection.settings_dict
    variables = {
        "PGHOST": str(database.get("HOST") or "127.0.0.1"),
        "PGPORT": str(database.get("PORT") or 5432),
        "PGUSER": str(database.get("USER") or "postgres"),
    }
    if database.get("PASSWORD"):
        variables["PGPASSWORD"] = str(database["PASSWORD"])
    return {**os.environ, **variables}


def run(*command: str, **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False, **options
    )


def back_up(source: Path, into: Path) -> Backup:
    """What docs/backups.md says to back up, done the way it says."""
    into.mkdir()
    dump = into / "channeldesk.dump"
    dumped = run(
        "pg_dump",
        "-Fc",
        "--no-owner",
        "-f",
        str(dump),
        str(connection.settings_dict["NAME"]),
        env=postgres_environment(),
    )
    assert dumped.returncode == 0, dumped.stderr
    shutil.copytree(source / "media", into / "media")
    shutil.copy2(source / "licensing-keys.json", into / "licensing-keys.json")
    return Backup(dump=dump, documents=into / "media", key_file=into / "licensing-keys.json")


@pytest.fixture
def fresh_database() -> Iterator[str]:
    """An empty database of its own, dropped afterwards."""
    name = f"restore_drill_{uuid.uuid4().hex[:10]}"
    created = run("createdb", name, env=postgres_environment())
    assert created.returncode == 0, created.stderr
    yield name
    run("dropdb", "--if-exists", "--force", name, env=postgres_environment())


def restore(backup: Backup, *, database: str, var_dir: Path, with_keys: bool = True) -> None:
    restored = run(
        "pg_restore",
        "--no-owner",
        "--exit-on-error",
        "-d",
        database,
        str(backup.dump),
        env=postgres_environment(),
    )
    assert restored.returncode == 0, restored.stderr
    var_dir.mkdir(mode=0o700)
    shutil.copytree(backup.documents, var_dir / "media")
    if with_keys:
        shutil.copy2(backup.key_file, var_dir / "licensing-keys.json")


def restored_environment(database: str, var_dir: Path) -> dict[str, str]:
    """A process on the restored copy only: its database, its data directory, keys from it."""
    environment = postgres_environment()
    for name in list(environment):
        if name.startswith(("LICENSING_", "STORAGE_", "AWS_")):
            environment.pop(name)
    database_settings = connection.settings_dict
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "channeldesk.settings",
            "CHANNELDESK_VAR_DIR": str(var_dir),
            "DATABASE_URL": (
                f"postgres://{environment['PGUSER']}@{environment['PGHOST']}:"
                f"{environment['PGPORT']}/{database}"
            ),
        }
    )
    if database_settings.get("PASSWORD"):
        environment["DATABASE_URL"] = environment["DATABASE_URL"].replace(
            "@", f":{database_settings['PASSWORD']}@", 1
        )
    return environment


# Runs inside the restored installation: reads what a user of it would see, from its own
# database, storage and keys, and prints it as JSON for the test to compare.
READ_BACK = r"""
import datetime as dt, io, json, sys
import django
django.setup()
import pdfplumber
from decimal import Decimal
from django.db.models import Sum
from channeldesk.contracts.models import Contract
from channeldesk.documents.models import Document
from channeldesk.licensing.services import certificate_issue, keycode_check
from channeldesk.licensing.certificates import token_verify
from channeldesk.usage.models import Statement

world = json.load(sys.stdin)
today = dt.date(2026, 12, 7)
statements = {}
for statement in Statement.objects.annotate(
    lines_list=Sum("lines__list_amount"), lines_net=Sum("lines__net_amount")
):
    statements[statement.number] = [
        str(statement.list_total), str(statement.net_total),
        str(statement.lines_list), str(statement.lines_net),
    ]
keycodes = {text: keycode_check(text=text, today=today).valid for text in world["keycodes"]}
certificates = {}
for number, token in world["certificates"].items():
    old = token_verify(token, public_key=world["public_key"])
    new = certificate_issue(contract=Contract.objects.get(contract_number=number))
    renewed = token_verify(new.token, public_key=world["public_key"])
    certificates[number] = [old["contract"], renewed["contract"]]
documents = {}
for document in Document.objects.order_by("key"):
    with document.file.open("rb") as stored:
        content = stored.read()
    with pdfplumber.open(io.BytesIO(content)) as pdf:
        text = pdf.pages[0].extract_text()
    documents[document.key] = [len(content) == document.size_bytes, len(pdf.pages), text[:4000]]
print(json.dumps({"statements": statements, "keycodes": keycodes,
                  "certificates": certificates, "documents": documents}))
"""


def test_a_restored_backup_holds_together(
    personas: Personas, source: Path, tmp_path: Path, fresh_database: str
) -> None:
    # Given a world on PostgreSQL, backed up as docs/backups.md says
    world = build_world(personas)
    backup = back_up(source, tmp_path / "backup")

    # When it is restored into a fresh database and a fresh data directory
    var_dir = tmp_path / "restored"
    restore(backup, database=fresh_database, var_dir=var_dir)
    environment = restored_environment(fresh_database, var_dir)

    # Then the backup check finds everything intact
    checked = run(
        sys.executable, "-m", "channeldesk", "backup", "check", "--format", "json", env=environment
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = {check["name"]: check for check in json.loads(checked.stdout)["checks"]}
    net_sum = sum(float(net) for _, net in world.statements.values())
    assert report["keys"]["figure"].startswith(f"from {var_dir / 'licensing-keys.json'};")
    assert world.public_key in report["keys"]["figure"]
    assert report["statements"]["checked"] == len(world.statements) == 2
    assert report["statements"]["figure"] == f"net total of all statements {net_sum:.2f} EUR"
    assert (report["keycodes"]["checked"], report["certificates"]["checked"]) == (2, 2)
    assert report["documents"]["checked"] == len(world.documents) == 4
    assert report["documents"]["figure"] == f"directory {var_dir / 'media'}"

    # And a process on the restored copy sees what the source saw
    read = run(sys.executable, "-c", READ_BACK, input=json.dumps(world.__dict__), env=environment)
    assert read.returncode == 0, read.stderr
    restored = json.loads(read.stdout)
    assert {number: values[:2] for number, values in restored["statements"].items()} == {
        number: list(totals) for number, totals in world.statements.items()
    }
    for list_total, net_total, lines_list, lines_net in restored["statements"].values():
        assert (lines_list, lines_net) == (list_total, net_total)  # to the cent
    assert restored["keycodes"] == dict.fromkeys(world.keycodes, True)
    assert restored["certificates"] == {"V-R1": ["V-R1", "V-R1"], "V-R2": ["V-R2", "V-R2"]}
    assert sorted(restored["documents"]) == sorted(world.documents)
    for key, (size_matches, pages, _text) in restored["documents"].items():
        assert (size_matches, pages) == (True, 1), key
    german, english = restored["documents"]["drill:1"][2], restored["documents"]["drill:2"][2]
    assert "Ihr Vertrag V-2026-0042 endet am 1. Dezember 2026" in german
    assert "Your contract V-2026-0042 ends on 1 December 2026" in english


def test_a_restore_without_the_keys_or_with_a_damaged_letter_is_caught(
    personas: Personas, source: Path, tmp_path: Path, fresh_database: str
) -> None:
    # Given a backup restored without the licence key file
    build_world(personas)
    backup = back_up(source, tmp_path / "backup")
    var_dir = tmp_path / "restored"
    restore(backup, database=fresh_database, var_dir=var_dir, with_keys=False)
    environment = restored_environment(fresh_database, var_dir)

    # When the backup check runs
    checked = run(sys.executable, "-m", "channeldesk", "backup", "check", env=environment)

    # Then it names the missing key file, fails, and makes no new keys
    assert checked.returncode == 1
    assert f"keys: The licence key file {var_dir / 'licensing-keys.json'} is missing" in (
        checked.stdout
    )
    assert not (var_dir / "licensing-keys.json").exists()

    # Given the keys back, but one letter damaged and one lost
    shutil.copy2(backup.key_file, var_dir / "licensing-keys.json")
    letters = sorted((var_dir / "media").rglob("renewal-*.pdf"))
    damaged = bytearray(letters[0].read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    letters[0].write_bytes(bytes(damaged))
    letters[1].unlink()

    # When the backup check runs again
    checked = run(
        sys.executable, "-m", "channeldesk", "backup", "check", "--format", "json", env=environment
    )

    # Then exactly those two letters are reported
    assert checked.returncode == 1
    report = {check["name"]: check for check in json.loads(checked.stdout)["checks"]}
    assert [check["problem_count"] for check in report.values()] == [0, 0, 0, 0, 2]
    problems = " ".join(report["documents"]["problems"])
    assert "differs from the one stored" in problems
    assert "is not in the document storage" in problems
