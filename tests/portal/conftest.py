"""Fixtures of the portal tests: the world, signed-in browsers per persona, files in tmp."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.personas import Personas, sign_in
from tests.portal.world import PortalWorld, build_portal_world


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def portal_world(personas: Personas) -> PortalWorld:
    return build_portal_world(personas)


@pytest.fixture
def client_for(personas: Personas) -> Callable[[str], Client]:
    """A test client signed in as the named persona ("anonymous": not signed in)."""

    def signed_in(persona: str) -> Client:
        client = Client()
        if persona != "anonymous":
            sign_in(client, personas.all()[persona])
        return client

    return signed_in
