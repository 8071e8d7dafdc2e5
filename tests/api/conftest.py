"""Fixtures of the API tests: the world of test data and a quick password hasher."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from tests.api.world import World, build_world
from tests.personas import Personas, sign_in


@pytest.fixture
def world(personas: Personas) -> World:
    return build_world(personas)


@pytest.fixture
def client_as(world: World) -> Any:
    """A function that returns an API client signed in (by session) as the named persona."""

    def signed_in(persona: str) -> APIClient:
        client = APIClient()
        user = world.user(persona)
        if user is not None:
            sign_in(client, user)
        return client

    return signed_in
