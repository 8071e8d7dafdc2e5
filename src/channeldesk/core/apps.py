from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "channeldesk.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        # Permissions exist only after migrate has run, so the staff roles are granted then.
        from channeldesk.core.roles import roles_ensure

        post_migrate.connect(roles_ensure, dispatch_uid="channeldesk-roles")
