"""The data ChannelDesk keeps on disk is its process owner's alone: the data directory 0700, the
SQLite files (the database with its WAL and shared-memory files, the job queue) 0600. The
licensing key file is written 0600 by `licensing.keys`, stored documents by the storage
(`STORAGES["default"]` options). See docs/security-production.md, "Files".

Plain functions without models: `settings.py` calls `private_directory_ensure` before Django
is set up.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path
from typing import Any

PRIVATE_DIRECTORY_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
# SQLite keeps a database's recent writes and its lock table beside it, with its content.
_SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def private_directory_ensure(path: Path) -> None:
    """Create `path` (and missing parents) for the owner only, and take group and other
    access away from an existing one we own (a checkout's var/ made before this rule)."""
    path.mkdir(mode=PRIVATE_DIRECTORY_MODE, parents=True, exist_ok=True)
    _restrict(path, PRIVATE_DIRECTORY_MODE)


def private_file_ensure(path: Path) -> None:
    """Create `path` empty for the owner only unless it exists (an empty file is an empty
    SQLite database), and take group and other access away from an existing one we own."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    _restrict(path, PRIVATE_FILE_MODE)


def sqlite_files_restrict(*, database: str) -> None:
    """Owner-only modes for a SQLite database file and its companions, where they exist.
    In-memory databases have no file."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    for suffix in _SQLITE_COMPANIONS:
        companion = Path(database + suffix)
        if companion.exists():
            _restrict(companion, PRIVATE_FILE_MODE)


def sqlite_connection_restrict(*, connection: Any, **kwargs: Any) -> None:
    """`connection_created` receiver: a SQLite database file another way created (the test
    runner, a copied file) is made owner-only when first opened."""
    if connection.vendor == "sqlite":
        sqlite_files_restrict(database=str(connection.settings_dict["NAME"]))


def _restrict(path: Path, mode: int) -> None:
    status = path.stat()
    if status.st_uid != os.geteuid() or stat.S_IMODE(status.st_mode) & ~mode == 0:
        return
    path.chmod(stat.S_IMODE(status.st_mode) & mode)
