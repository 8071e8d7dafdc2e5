"""Where ChannelDesk keeps its data when `CHANNELDESK_VAR_DIR` does not say: never in the working
directory, so a command run from another folder finds the same database, documents and keys.

- Run from a source checkout (the package in `src/channeldesk/` beside a `pyproject.toml`):
  the checkout's `var/`, wherever the command runs (`make messages` runs inside the apps).
- An installed package: the user's data directory, `$XDG_DATA_HOME/channeldesk`
  (`~/.local/share/channeldesk` when `XDG_DATA_HOME` is unset), as the XDG base directory
  specification asks. Servers set `CHANNELDESK_VAR_DIR` (e.g. `/var/lib/channeldesk`).

Plain Python on purpose: `settings.py` calls it before Django is set up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path


def data_directory(*, package_directory: Path, environ: Mapping[str, str] | None = None) -> Path:
    """The data directory: `CHANNELDESK_VAR_DIR` if set, else the default of the module."""
    environ = os.environ if environ is None else environ
    configured = environ.get("CHANNELDESK_VAR_DIR", "")
    if configured:
        return Path(configured).expanduser().resolve()
    return default_data_directory(package_directory=package_directory, environ=environ)


def default_data_directory(
    *, package_directory: Path, environ: Mapping[str, str] | None = None
) -> Path:
    """The checkout's `var/` for a source checkout, else the per-user data directory."""
    environ = os.environ if environ is None else environ
    checkout = package_directory.resolve().parent.parent
    if package_directory.resolve().parent.name == "src" and (checkout / "pyproject.toml").is_file():
        return checkout / "var"
    data_home = environ.get("XDG_DATA_HOME", "")
    # The specification says a relative XDG_DATA_HOME is invalid and to be ignored.
    if not data_home or not Path(data_home).is_absolute():
        data_home = str(Path(environ.get("HOME") or Path.home()) / ".local" / "share")
    return Path(data_home) / "channeldesk"
