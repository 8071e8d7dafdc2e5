"""When the periodic tasks run: huey's crontab, or every minute for tests and trials.

`JOBS_EVERY_MINUTE` (settings.py) makes every schedule "each minute", so a test that starts the
production processes sees every sweep run within a minute or two instead of waiting for 01:15.
The sweeps are idempotent, so running them that often changes nothing but the load.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.conf import settings
from huey import crontab


def schedule(**fields: str) -> Callable[[dt.datetime], bool]:
    """huey's `crontab(**fields)`, or every minute under JOBS_EVERY_MINUTE."""
    if settings.JOBS_EVERY_MINUTE:
        return crontab(minute="*")
    return crontab(**fields)
