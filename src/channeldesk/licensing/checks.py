"""System checks of the licensing keys (see `licensing.keys`)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register("licensing", deploy=True)
def key_source_check(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """A server without DEBUG should have its keys from the environment: the key file is
    per host, so a second app server would create other keys and refuse the first one's codes."""
    if settings.DEBUG or (settings.LICENSING_KEYCODE_KEYS and settings.LICENSING_SIGNING_KEY):
        return []
    return [
        Warning(
            "The licensing keys come from the key file "
            f"{settings.LICENSING_KEY_FILE}, not from the environment.",
            hint="Set LICENSING_KEYCODE_KEYS and LICENSING_SIGNING_KEY (docs/licensing.md).",
            id="licensing.W001",
        )
    ]
