"""Settings of the production processes that test_production_set.py and test_scheduler_lock.py
start: the real settings, plus a test app whose `tasks.py` the job consumers load (a slow task
that shows whether a stop lets running tasks finish)."""

from channeldesk.settings import *  # noqa: F403
from channeldesk.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.operations.slow_tasks"]
