"""The data directory never depends on the working directory, and a missing or unusable one ends
a command with one line, not a traceback."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from channeldesk.core.data_directory import data_directory, default_data_directory
from tests.operations.children import python_run

ROOT = Path(__file__).resolve().parents[2]


def checkout(tmp_path: Path) -> Path:
    """A source checkout's layout: src/channeldesk beside pyproject.toml."""
    package = tmp_path / "checkout" / "src" / "channeldesk"
    package.mkdir(parents=True)
    (tmp_path / "checkout" / "pyproject.toml").write_text("[project]\n")
    return package


def installed(tmp_path: Path) -> Path:
    """An installed package's layout: site-packages/channeldesk, no pyproject.toml near it."""
    package = tmp_path / "venv" / "lib" / "python3.13" / "site-packages" / "channeldesk"
    package.mkdir(parents=True)
    return package


def test_a_source_checkout_keeps_its_data_in_its_var(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "xdg")}

    directory = default_data_directory(package_directory=checkout(tmp_path), environ=environ)

    assert directory == tmp_path / "checkout" / "var"


def test_an_installed_package_keeps_its_data_in_the_users_data_directory(tmp_path: Path) -> None:
    package = installed(tmp_path)

    with_xdg = default_data_directory(
        package_directory=package,
        environ={"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": str(tmp_path / "xdg")},
    )
    without_xdg = default_data_directory(
        package_directory=package, environ={"HOME": str(tmp_path / "home")}
    )
    relative_xdg = default_data_directory(
        package_directory=package,
        environ={"HOME": str(tmp_path / "home"), "XDG_DATA_HOME": "relative/share"},
    )

    assert with_xdg == tmp_path / "xdg" / "channeldesk"
    assert without_xdg == tmp_path / "home" / ".local" / "share" / "channeldesk"
    assert relative_xdg == without_xdg


def test_the_setting_wins_and_is_made_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    directory = data_directory(
        package_directory=installed(tmp_path), environ={"CHANNELDESK_VAR_DIR": "data"}
    )

    assert directory == tmp_path / "data"


def test_no_default_is_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)

    for package in (checkout(tmp_path), installed(tmp_path)):
        directory = data_directory(package_directory=package, environ={"HOME": str(tmp_path)})
        assert not directory.is_relative_to(elsewhere)


def run(tmp_path: Path, *arguments: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """The console script, from a working directory of its own."""
    environment = {**os.environ, **variables}
    environment.pop("DATABASE_URL", None)
    cwd = tmp_path / "cwd"
    cwd.mkdir(exist_ok=True)
    return python_run("-m", "channeldesk", *arguments, environment=environment, cwd=cwd)


@pytest.mark.processes
def test_a_checkout_run_from_another_folder_uses_the_checkouts_var(tmp_path: Path) -> None:
    environment = {**os.environ}
    environment.pop("CHANNELDESK_VAR_DIR", None)
    environment["DJANGO_SETTINGS_MODULE"] = "channeldesk.settings"

    finished = python_run(
        "-c",
        "from django.conf import settings; print(settings.VAR_DIR)",
        environment=environment,
        cwd=tmp_path,
    )

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.strip() == str(ROOT / "var")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.processes
def test_an_unusable_data_directory_ends_any_command_with_one_line(tmp_path: Path) -> None:
    # Given a data directory that cannot be made (its parent is a regular file)
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    # When a command starts
    finished = run(
        tmp_path,
        "letters",
        "batch",
        "--date",
        "2026-11-16",
        CHANNELDESK_VAR_DIR=str(blocker / "var"),
    )

    # Then it says which path and why, in one line, without a traceback
    assert finished.returncode == 1
    assert finished.stderr == (
        f"channeldesk: error: Not a directory: {blocker / 'var'} "
        "(check CHANNELDESK_VAR_DIR and the paths given)\n"
    )


@pytest.mark.processes
def test_letters_batch_into_a_missing_directory_ends_with_one_line(tmp_path: Path) -> None:
    # Refused before the database is read: a fresh data directory needs no migration for it.
    variables = {"CHANNELDESK_VAR_DIR": str(tmp_path / "var")}
    missing = tmp_path / "no-such-folder" / "batch.pdf"

    finished = run(
        tmp_path, "letters", "batch", "--date", "2026-11-16", "--output", str(missing), **variables
    )

    assert finished.returncode == 1
    assert "Traceback" not in finished.stderr
    assert finished.stderr.strip() == (
        f"CommandError: --output {missing}: the directory {missing.parent} does not exist."
    )
    assert list((tmp_path / "cwd").iterdir()) == []
