"""What settings.py reads beyond plain values: secrets from files, and which servers count as
production (TLS-only defaults, no development key)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from channeldesk.core.environment import (
    DEVELOPMENT_SECRET_KEY,
    deployment_is_production,
    secret_from_environment,
    secret_key_refusal,
)


def test_a_secret_is_read_from_the_file_its_file_variable_names(tmp_path: Path) -> None:
    # Given a secret mounted as a file, written with a trailing line break as `echo` does
    secret = tmp_path / "secret_key"
    secret.write_text("s3cr3t value with spaces\n", encoding="utf-8")

    # When the setting is read
    value = secret_from_environment("SECRET_KEY", environ={"SECRET_KEY_FILE": str(secret)})

    # Then it is the file's content without the line break
    assert value == "s3cr3t value with spaces"


def test_a_secret_without_a_file_comes_from_its_variable_or_the_default() -> None:
    assert secret_from_environment("CACHE_URL", environ={"CACHE_URL": "redis://r:6379/1"}) == (
        "redis://r:6379/1"
    )
    assert secret_from_environment("CACHE_URL", default="dbcache://t", environ={}) == "dbcache://t"


def test_a_variable_set_to_nothing_gets_the_default_as_if_it_were_not_set() -> None:
    # `DATABASE_URL= channeldesk migrate` once failed with KeyError: 'ENGINE' (an empty URL)
    assert (
        secret_from_environment(
            "DATABASE_URL", default="sqlite:///x.sqlite3", environ={"DATABASE_URL": ""}
        )
        == "sqlite:///x.sqlite3"
    )


def test_a_variable_set_to_nothing_beside_its_file_variable_reads_the_file(
    tmp_path: Path,
) -> None:
    secret = tmp_path / "database_url"
    secret.write_text("postgres://app@db/app\n", encoding="utf-8")
    environ = {"DATABASE_URL": "", "DATABASE_URL_FILE": str(secret)}
    assert secret_from_environment("DATABASE_URL", environ=environ) == "postgres://app@db/app"


def test_a_secret_set_both_ways_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret_key"
    secret.write_text("from the file", encoding="utf-8")
    environ = {"SECRET_KEY": "from the variable", "SECRET_KEY_FILE": str(secret)}

    with pytest.raises(ImproperlyConfigured, match="Set either SECRET_KEY or SECRET_KEY_FILE"):
        secret_from_environment("SECRET_KEY", environ=environ)


def test_an_unreadable_secret_file_is_refused_with_its_name(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"

    with pytest.raises(ImproperlyConfigured, match=r"DATABASE_URL_FILE=.*nowhere: the file"):
        secret_from_environment("DATABASE_URL", environ={"DATABASE_URL_FILE": str(missing)})


@pytest.mark.parametrize(
    ("debug", "allowed_hosts", "production"),
    [
        (False, ["127.0.0.1", "localhost", "testserver"], False),  # tests, make demo
        (False, ["localhost", "::1", "[::1]"], False),
        (False, ["channeldesk.example.com"], True),
        (False, ["127.0.0.1", "channeldesk.example.com"], True),
        (False, ["*"], True),
        (False, ["10.1.2.3"], True),
        (True, ["channeldesk.example.com"], False),  # a developer's DEBUG server
    ],
)
def test_a_server_without_debug_that_answers_to_a_real_name_is_production(
    debug: bool, allowed_hosts: list[str], production: bool
) -> None:
    assert deployment_is_production(debug=debug, allowed_hosts=allowed_hosts) is production


@pytest.mark.parametrize("secret_key", [DEVELOPMENT_SECRET_KEY, ""])
def test_production_refuses_the_development_key_and_an_empty_one(secret_key: str) -> None:
    refusal = secret_key_refusal(secret_key=secret_key, production=True)

    assert refusal is not None
    assert "SECRET_KEY_FILE" in refusal
    assert "docs/security-production.md" in refusal


def test_production_accepts_its_own_key_and_the_embedded_case_the_development_key() -> None:
    assert secret_key_refusal(secret_key="k" * 50, production=True) is None
    assert secret_key_refusal(secret_key=DEVELOPMENT_SECRET_KEY, production=False) is None
