"""`channeldesk import KIND FILE [--dry-run]`: a summary, or every problem and exit code 1."""

from __future__ import annotations

import datetime as dt
import importlib
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from channeldesk.core.importing import ImportProgress, ImportStage
from channeldesk.partners.models import Partner
from channeldesk.tiers.hotlines import support_route
from tests.imports.helpers import database_state, excel_csv

HEADER = "partner_number;name;street;postal_code;city;country;vat_id;email;status\n"
GOOD = HEADER + (
    "P-1001;Alpha Systemhaus GmbH;Hauptstraße 1;80331;München;DE;DE136695976;a@alpha.example;"
    "authorized\n"
    "P-1002;Beta KG;Weg 2;40212;Düsseldorf;DE;DE812345673;b@beta.example;authorized\n"
)
# The command's module is called `import`, which no import statement can name.
progress_bar = importlib.import_module(
    "channeldesk.commands.management.commands.import"
).progress_bar
BAD = GOOD.replace("DE812345673", "DE812345674").replace("a@alpha.example", "alpha")


def write(tmp_path: Path, text: str, name: str = "partners.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(excel_csv(text))
    return path


def run(*arguments: str) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("import", *arguments, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


@pytest.mark.django_db
def test_an_accepted_file_prints_the_summary(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    stdout, stderr = run("partners", str(path))
    assert stdout == (
        f"{path}: 2 rows, partners: 2 created, 0 updated, 0 unchanged.\n"
        "0 caller numbers ready for call routing.\n"
    )
    assert stderr == ""
    assert Partner.objects.count() == 2


@pytest.mark.django_db
def test_imported_phone_numbers_route_calls_at_once(tmp_path: Path) -> None:
    """The phone system finds a partner by the number the import just brought, without
    waiting for the nightly rebuild of the caller numbers."""
    text = GOOD.replace(";status\n", ";status;phone\n").replace(
        "a@alpha.example;authorized\n", "a@alpha.example;authorized;089 1234567\n"
    )
    stdout, _ = run("partners", str(write(tmp_path, text)))
    dry, _ = run("partners", str(write(tmp_path, text, "again.csv")), "--dry-run")

    assert "1 caller numbers ready for call routing." in stdout
    assert "caller numbers" not in dry
    route = support_route(on=dt.date(2026, 11, 27), caller="+49891234567")
    assert (route.matched_by, route.partner_number) == ("caller", "P-1001")


@pytest.mark.django_db
def test_a_rejected_file_prints_every_problem_and_fails_with_exit_code_1(tmp_path: Path) -> None:
    # Given a file with a bad e-mail address on line 2 and a bad VAT ID on line 3
    path = write(tmp_path, BAD)
    before = database_state()
    stderr = StringIO()
    # When it is imported
    with pytest.raises(CommandError) as error:
        call_command("import", "partners", str(path), stdout=StringIO(), stderr=stderr)
    # Then every problem is printed as FILE:ROW: column: reason, the command fails, nothing changed
    assert stderr.getvalue().splitlines() == [
        f"{path}:2: email: 'alpha' is not a valid e-mail address",
        f"{path}:3: vat_id: VAT ID DE812345674 has an invalid check digit",
    ]
    assert str(error.value) == f"{path}: rejected with 2 problems; nothing was imported."
    assert error.value.returncode == 1
    assert database_state() == before


@pytest.mark.django_db
def test_dry_run_prints_what_would_happen_and_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    stdout, _ = run("partners", str(path), "--dry-run")
    assert stdout == (
        f"{path}: 2 rows, partners: dry run, nothing written; "
        "would be 2 created, 0 updated, 0 unchanged.\n"
    )
    assert Partner.objects.count() == 0


@pytest.mark.django_db
def test_warnings_are_printed_and_the_file_still_imports(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace(";status\n", ";status;bemerkung\n"))
    stdout, stderr = run("partners", str(path))
    assert stderr == f"{path}:1: bemerkung: unknown column; ignored (warning)\n"
    assert "2 created, 0 updated, 0 unchanged.\n" in stdout


def test_a_missing_file_is_a_command_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError) as error:
        run("orders", str(tmp_path / "nope.csv"))
    assert (
        str(error.value) == f"{tmp_path / 'nope.csv'}: cannot be read (No such file or directory)"
    )


def test_the_console_script_exits_with_1_and_prints_the_problems(tmp_path: Path) -> None:
    # Given a file without its vat_id column (rejected before the database is asked anything)
    path = write(tmp_path, GOOD.replace(";vat_id", ""))
    environment = {**os.environ, "CHANNELDESK_VAR_DIR": str(tmp_path / "var")}
    environment.pop("DATABASE_URL", None)
    # When the console script runs
    result = subprocess.run(
        [sys.executable, "-m", "channeldesk", "import", "partners", str(path)],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
        timeout=60,
    )
    # Then it exits with 1 and says why
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"{path}:1: vat_id: required column is missing from the header",
        f"CommandError: {path}: rejected with 1 problem; nothing was imported.",
    ]
    assert result.stdout == ""


def test_the_progress_bar_shows_only_for_large_files_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    with progress_bar(total_bytes=1000) as small:
        assert small is None
    with progress_bar(total_bytes=5_000_000) as large:
        assert large is not None
        large(ImportProgress(ImportStage.READING, 2_500_000, 5_000_000, 40_000))
        large(ImportProgress(ImportStage.WRITING, 0, None, 80_000))
    monkeypatch.setenv("TTY_COMPATIBLE", "0")
    with progress_bar(total_bytes=5_000_000) as not_a_terminal:
        assert not_a_terminal is None
