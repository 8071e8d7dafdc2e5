"""Production settings from the environment, read by a fresh process each (settings are read
once per process): the refusal of the development key, TLS-only defaults, secrets from files,
and `channeldesk check --deploy` clean with the documented production environment."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.operations.children import clean_environment, python_run

pytestmark = pytest.mark.processes

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {"DEBUG": "0", "ALLOWED_HOSTS": "channeldesk.example.com"}
READ_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({
    "secret_key": settings.SECRET_KEY,
    "production": settings.PRODUCTION,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "hsts": [settings.SECURE_HSTS_SECONDS, settings.SECURE_HSTS_INCLUDE_SUBDOMAINS,
             settings.SECURE_HSTS_PRELOAD],
    "secure_cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "proxy_ssl_header": getattr(settings, "SECURE_PROXY_SSL_HEADER", None),
    "cache": settings.CACHES["default"],
    "database_password": settings.DATABASES["default"].get("PASSWORD", ""),
}))
"""


def _start(var_dir: Path, environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Start ChannelDesk's settings in a clean environment: nothing of the test run leaks in."""
    clean = clean_environment(home=var_dir, var_dir=var_dir)
    return python_run("-c", READ_SETTINGS, environment=clean | environment)


def _settings(var_dir: Path, environment: dict[str, str]) -> dict[str, Any]:
    started = _start(var_dir, environment)
    assert started.returncode == 0, started.stderr
    loaded: dict[str, Any] = json.loads(started.stdout)
    return loaded


@pytest.mark.parametrize("secret_key", [None, ""])
def test_production_refuses_to_start_without_its_own_secret_key(
    tmp_path: Path, secret_key: str | None
) -> None:
    # Given a production environment whose SECRET_KEY is missing or empty
    environment = PRODUCTION if secret_key is None else PRODUCTION | {"SECRET_KEY": secret_key}

    # When the app starts
    started = _start(tmp_path, environment)

    # Then it stops with a message that says what to set
    assert started.returncode != 0
    assert "ImproperlyConfigured: ChannelDesk refuses to start" in started.stderr
    assert "Set SECRET_KEY to a long random value" in started.stderr
    assert "SECRET_KEY_FILE" in started.stderr
    assert started.stdout == ""


def test_the_embedded_case_starts_without_any_setting(tmp_path: Path) -> None:
    loaded = _settings(tmp_path, {})

    assert loaded["production"] is False
    assert loaded["secret_key"] == "insecure-embedded-key-set-SECRET_KEY-in-production"
    assert loaded["ssl_redirect"] is False
    assert loaded["hsts"] == [0, False, False]
    assert loaded["secure_cookies"] == [False, False]
    assert loaded["cache"] == {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "channeldesk_cache",
    }


def test_production_is_tls_only_and_reads_its_secrets_from_files(tmp_path: Path) -> None:
    # Given the secrets as files (Docker or systemd credentials), TLS ending at the proxy
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "secret_key").write_text("k" * 60 + "\n", encoding="utf-8")
    (secrets / "cache_url").write_text("redis://:cache-pass@redis.example.com:6379/1\n")
    (secrets / "database_password").write_text("db-pass\n", encoding="utf-8")
    environment = PRODUCTION | {
        "SECRET_KEY_FILE": str(secrets / "secret_key"),
        "CACHE_URL_FILE": str(secrets / "cache_url"),
        "DATABASE_URL": "postgres://channeldesk@db.example.com:5432/channeldesk",
        "DATABASE_PASSWORD_FILE": str(secrets / "database_password"),
        "SECURE_PROXY_SSL_HEADER": "X-Forwarded-Proto",
    }

    # When the app starts
    loaded = _settings(tmp_path / "var", environment)

    # Then every TLS default is on and the secrets are the files' contents
    assert loaded["production"] is True
    assert loaded["secret_key"] == "k" * 60
    assert loaded["ssl_redirect"] is True
    assert loaded["hsts"] == [31_536_000, True, True]
    assert loaded["secure_cookies"] == [True, True]
    assert loaded["proxy_ssl_header"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert loaded["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert loaded["cache"]["LOCATION"] == "redis://:cache-pass@redis.example.com:6379/1"
    assert loaded["database_password"] == "db-pass"


def test_a_production_default_can_be_set_off_one_by_one(tmp_path: Path) -> None:
    environment = PRODUCTION | {"SECRET_KEY": "k" * 60, "SECURE_HSTS_PRELOAD": "0"}

    loaded = _settings(tmp_path, environment)

    assert loaded["hsts"] == [31_536_000, True, False]
    assert loaded["ssl_redirect"] is True


@pytest.mark.slow
def test_check_deploy_is_clean_with_the_documented_production_environment() -> None:
    checked = subprocess.run(
        [str(ROOT / "scripts" / "check-deploy")],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "System check identified no issues" in checked.stdout


def test_check_deploy_uses_exactly_the_documented_environment() -> None:
    # The block in the documentation and the script name the same variables.
    documentation = (ROOT / "docs" / "security-production.md").read_text(encoding="utf-8")
    block = documentation.split("<!-- production environment -->", 2)[1]
    script = (ROOT / "scripts" / "check-deploy").read_text(encoding="utf-8")
    documented = set(re.findall(r"^([A-Z][A-Z_]+)=", block, re.MULTILINE))
    checked = set(re.findall(r"^  ([A-Z][A-Z_]+)=", script, re.MULTILINE))

    assert documented == checked - {"CHANNELDESK_VAR_DIR"}
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "CACHE_URL", "LICENSING_SIGNING_KEY"} <= documented
