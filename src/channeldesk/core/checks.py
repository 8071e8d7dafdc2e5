"""System checks of the production set-up (docs/security-production.md)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register

# Backends whose entries live in one process: a throttle counted there doubles with each worker.
PROCESS_LOCAL_CACHES = frozenset(
    {
        "django.core.cache.backends.locmem.LocMemCache",
        "django.core.cache.backends.dummy.DummyCache",
    }
)


@register("caches", deploy=True)
def shared_cache_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Sign-in, password-reset and check-in throttles count in the cache, so it must be shared
    by every process of the server."""
    backend = settings.CACHES.get("default", {}).get("BACKEND", "")
    if backend not in PROCESS_LOCAL_CACHES:
        return []
    return [
        Warning(
            f"The default cache ({backend}) is not shared between processes: every worker "
            "counts its own sign-in, password-reset and check-in attempts.",
            hint="Set CACHE_URL=redis://host:6379/1 (docs/security-production.md).",
            id="core.W001",
        )
    ]
