"""Every process, not only the job workers, can queue a background import: the web server
answered 500 ("no job queue registered") for a large upload while only the workers loaded
jobs/tasks.py (found by schemathesis)."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytestmark = pytest.mark.processes

SETUP_ONLY = (
    "import os, sys, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', "
    "'channeldesk.settings'); django.setup(); print('channeldesk.jobs.imports' in sys.modules)"
)


def test_a_freshly_started_process_has_the_background_import_queue() -> None:
    answer = subprocess.run(
        [sys.executable, "-c", SETUP_ONLY], capture_output=True, text=True, timeout=120, check=True
    )
    assert answer.stdout.strip() == "True", answer.stderr
