"""What `settings.py` reads from the environment beyond plain values: secrets from files and
whether this is a production server (docs/security-production.md).

Plain Python on purpose: `settings.py` imports it before Django is set up.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping

from django.core.exceptions import ImproperlyConfigured

# The names a server answers to when only this machine can reach it. Django's test client
# sends "testserver".
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]", "testserver"})
# The key a checkout runs with when SECRET_KEY is not set; a production server refuses it.
DEVELOPMENT_SECRET_KEY = "insecure-embedded-key-set-SECRET_KEY-in-production"  # noqa: S105


def secret_from_environment(
    name: str, *, default: str = "", environ: Mapping[str, str] | None = None
) -> str:
    """The secret `name` from the environment, or from the file that `<name>_FILE` names
    (Docker and systemd credentials). A file's trailing line break is dropped; setting both
    variables is refused, so nobody wonders which one is in force. A variable set to nothing
    (`DATABASE_URL= command`) counts as not set: it gets the default."""
    environ = os.environ if environ is None else environ
    path = environ.get(f"{name}_FILE", "")
    if not path:
        return environ.get(name) or default
    if environ.get(name):
        raise ImproperlyConfigured(f"Set either {name} or {name}_FILE, not both.")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read().rstrip("\r\n")
    except OSError as error:
        raise ImproperlyConfigured(
            f"{name}_FILE={path}: the file cannot be read ({error.strerror})."
        ) from error


def deployment_is_production(*, debug: bool, allowed_hosts: Collection[str]) -> bool:
    """A server without DEBUG that answers to any name but the loopback ones is production: it
    gets TLS-only defaults and refuses the development key. Tests, `make demo` and a checkout
    on 127.0.0.1 are not, and need no setting at all."""
    return not debug and not set(allowed_hosts) <= LOOPBACK_HOSTS


def secret_key_refusal(*, secret_key: str, production: bool) -> str | None:
    """Why a production server must not start with this SECRET_KEY, or None when it may."""
    if not production or secret_key not in ("", DEVELOPMENT_SECRET_KEY):
        return None
    return (
        "ChannelDesk refuses to start: DEBUG is off and ALLOWED_HOSTS names a server, but "
        "SECRET_KEY is not set, so sessions, password-reset links and CSRF tokens would be "
        "signed with the development key published with the source code. Set SECRET_KEY to "
        "a long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))') "
        "or SECRET_KEY_FILE to a file holding it. See docs/security-production.md."
    )
