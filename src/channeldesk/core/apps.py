from pathlib import Path

from django.apps import AppConfig
from django.conf import settings
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "channeldesk.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from channeldesk.core import checks  # noqa: F401 - registers the system checks
        from channeldesk.core.caching import cache_tables_ensure
        from channeldesk.core.private_files import (
            private_file_ensure,
            sqlite_connection_restrict,
        )
        from channeldesk.core.roles import roles_ensure

        # Permissions exist only after migrate has run, so the staff roles are granted then.
        post_migrate.connect(roles_ensure, dispatch_uid="channeldesk-roles")
        # The database cache's table, once per migrate (core's own signal).
        post_migrate.connect(cache_tables_ensure, sender=self, dispatch_uid="channeldesk-cache")
        # SQLite files are the owner's alone (0600): the job queue's file is made so before
        # huey opens it, a database file (and its WAL) whenever a connection opens it.
        connection_created.connect(sqlite_connection_restrict, dispatch_uid="channeldesk-0600")
        if settings.HUEY.get("huey_class") == "huey.SqliteHuey":
            private_file_ensure(Path(settings.HUEY["filename"]))
