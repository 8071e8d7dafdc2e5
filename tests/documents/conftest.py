"""Fixtures of the documents tests: stored documents in a fresh directory."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def media_root(settings: Any, tmp_path: Path) -> Path:
    """Stored documents go to a fresh directory, not to the developer's var/media."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return Path(settings.MEDIA_ROOT)
