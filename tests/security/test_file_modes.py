"""What ChannelDesk keeps on disk is its process owner's alone: the data directory 0700; the
SQLite database and its companions, the job queue, the licensing key file and stored documents
0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection

from channeldesk.core.private_files import (
    private_directory_ensure,
    private_file_ensure,
    sqlite_files_restrict,
)
from channeldesk.licensing.keys import key_material


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_is_the_owners_alone() -> None:
    assert _mode(settings.VAR_DIR) == 0o700


def test_the_job_queue_file_is_the_owners_alone() -> None:
    assert _mode(Path(settings.HUEY["filename"])) == 0o600


@pytest.mark.django_db
def test_the_sqlite_database_and_its_write_ahead_log_are_the_owners_alone() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL keeps its files itself")
    database = Path(connection.settings_dict["NAME"])

    modes = {
        path.name: _mode(path)
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm"))
        if path.exists()
    }

    assert modes[database.name] == 0o600
    assert set(modes.values()) == {0o600}


def test_a_data_directory_made_before_the_rule_is_tightened(tmp_path: Path) -> None:
    # Given a var/ made world-readable by an older version, with a new folder to create below
    old = tmp_path / "var"
    old.mkdir(mode=0o755)
    old.chmod(0o755)

    # When the settings ensure it and a new one
    private_directory_ensure(old)
    private_directory_ensure(tmp_path / "fresh" / "var")

    # Then both are the owner's alone
    assert _mode(old) == 0o700
    assert _mode(tmp_path / "fresh" / "var") == 0o700


def test_a_sqlite_file_is_created_private_and_an_existing_one_is_tightened(
    tmp_path: Path,
) -> None:
    created = tmp_path / "huey.sqlite3"
    existing = tmp_path / "channeldesk.sqlite3"
    existing.write_bytes(b"")
    existing.chmod(0o644)
    Path(f"{existing}-wal").write_bytes(b"")
    Path(f"{existing}-wal").chmod(0o664)

    private_file_ensure(created)
    sqlite_files_restrict(database=str(existing))

    assert _mode(created) == 0o600
    assert created.read_bytes() == b""
    assert _mode(existing) == 0o600
    assert _mode(Path(f"{existing}-wal")) == 0o600


def test_the_licensing_key_file_is_written_private(tmp_path: Path, settings: Any) -> None:
    # Given no keys in the environment and no key file yet
    settings.LICENSING_KEYCODE_KEYS = ""
    settings.LICENSING_SIGNING_KEY = ""
    settings.LICENSING_KEY_FILE = tmp_path / "licensing-keys.json"

    # When the keys are first needed
    key_material()

    # Then the file they were made into is the owner's alone
    assert _mode(tmp_path / "licensing-keys.json") == 0o600


def test_stored_documents_are_private(tmp_path: Path, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    previous_umask = os.umask(0o022)  # the usual umask, which would leave them readable
    try:
        name = default_storage.save("letters/2026/12/reminder.pdf", ContentFile(b"%PDF-1.7"))
    finally:
        os.umask(previous_umask)

    stored = tmp_path / "media" / name
    assert _mode(stored) == 0o600
    assert _mode(stored.parent) == 0o700
    assert _mode(tmp_path / "media" / "letters") == 0o700
