"""Fixtures of the admin tests: one object of every model, and signed-in browsers."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.admin.factories import AdminData, admin_data_build
from tests.personas import Personas, channel_manager_create, sign_in


@pytest.fixture
def admin_data(personas: Personas) -> AdminData:
    """At least one row in every table the admin shows (the policies come from the migrations)."""
    return admin_data_build(personas)


@pytest.fixture
def manager_client(personas: Personas) -> Client:
    client = Client()
    sign_in(client, channel_manager_create())
    return client


@pytest.fixture
def support_client(personas: Personas) -> Client:
    client = Client()
    sign_in(client, personas.support)
    return client
