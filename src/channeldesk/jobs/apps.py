from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "channeldesk.jobs"
    label = "jobs"
    verbose_name = _("Jobs")

    def ready(self) -> None:
        # Every process that may accept a large import (web, CLI) needs the job queue plugged
        # into the import framework, not only the job workers that load jobs/tasks.py.
        from channeldesk.jobs import imports  # noqa: F401
