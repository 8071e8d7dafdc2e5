"""Throttles count in one cache that every worker process shares (embedded: a database table;
production: Redis from CACHE_URL), so a second worker does not double the allowance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends import locmem
from django.core.checks import run_checks
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from channeldesk.api.checkins import ActivationPerAddress

pytestmark = pytest.mark.django_db


@contextmanager
def another_process() -> Iterator[BaseCache]:
    """A new connection to the default cache that shares none of this process's memory: what
    a second worker process sees. (A process-local cache would start empty here.)"""
    with (
        mock.patch.dict(locmem._caches, clear=True),
        mock.patch.dict(locmem._expire_info, clear=True),
        mock.patch.dict(locmem._locks, clear=True),
    ):
        yield caches.create_connection("default")


def test_two_processes_see_the_same_counter() -> None:
    # Given a counter one process started
    first = caches.create_connection("default")
    first.set("failed-logins:partner-a", 1)
    first.incr("failed-logins:partner-a")

    # When another process counts on, and the first reads again
    with another_process() as second:
        seen_by_second = second.incr("failed-logins:partner-a")
    seen_by_first = first.get("failed-logins:partner-a")

    # Then both counted on the same counter
    assert seen_by_second == 3
    assert seen_by_first == 3


def _activation(address: str) -> Request:
    return Request(APIRequestFactory().post("/api/v1/checkins/activate", REMOTE_ADDR=address))


def _allowed(throttle_cache: BaseCache, address: str) -> bool:
    throttle = ActivationPerAddress()
    throttle.cache = throttle_cache
    return throttle.allow_request(_activation(address), view=None)


def test_a_check_in_throttle_is_not_doubled_by_a_second_worker(settings: Any) -> None:
    # Given two activations a minute from one address are allowed, and worker 1 served both
    settings.LICENSING_ACTIVATE_RATE_PER_ADDRESS = "2/min"
    worker_1 = caches.create_connection(settings.LICENSING_THROTTLE_CACHE)
    assert [_allowed(worker_1, "203.0.113.7"), _allowed(worker_1, "203.0.113.7")] == [True, True]

    # When the third comes in at worker 2
    with another_process() as worker_2:
        third = _allowed(worker_2, "203.0.113.7")
        other_address = _allowed(worker_2, "198.51.100.1")

    # Then it is refused, while another address still gets through
    assert third is False
    assert other_address is True


def test_the_embedded_cache_is_a_database_table() -> None:
    assert caches["default"].__class__.__module__ == "django.core.cache.backends.db"
    assert settings_location() in connection.introspection.table_names()


def settings_location() -> str:
    """The embedded cache's table."""
    return str(django_settings.CACHES["default"]["LOCATION"])


def test_migrate_creates_the_cache_table_when_it_is_missing() -> None:
    # Given a database without the cache table (a fresh install before its first migrate)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {connection.ops.quote_name(settings_location())}")
    assert settings_location() not in connection.introspection.table_names()

    # When migrate finishes (its post_migrate signal)
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")

    # Then the table is there and the cache works
    assert settings_location() in connection.introspection.table_names()
    caches["default"].set("probe", 1)
    assert caches["default"].get("probe") == 1


def test_a_process_local_cache_fails_the_deploy_check(settings: Any) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    messages = run_checks(include_deployment_checks=True, tags=["caches"])

    assert [message.id for message in messages] == ["core.W001"]


@pytest.mark.parametrize(
    "backend",
    ["django.core.cache.backends.redis.RedisCache", "django.core.cache.backends.db.DatabaseCache"],
)
def test_a_shared_cache_passes_the_deploy_check(settings: Any, backend: str) -> None:
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "redis://127.0.0.1:6379/1"}}

    messages = run_checks(include_deployment_checks=True, tags=["caches"])

    assert [message.id for message in messages if message.id.startswith("core.")] == []
