"""A task for the process tests only (loaded by the consumers through production_set_settings.py).

It marks its start and its end in a directory, so the test sees which tasks ran to the end
when the consumers were stopped, and that none was cut off half-way.
"""

from __future__ import annotations

import time
from pathlib import Path

from huey.contrib.djhuey import task


@task()
def slow_mark(directory: str, name: str, seconds: float) -> None:
    Path(directory, f"{name}.started").touch()
    time.sleep(seconds)
    Path(directory, f"{name}.done").touch()
