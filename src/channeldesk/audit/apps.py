from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "channeldesk.audit"
    label = "audit"
    verbose_name = _("Audit trail")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from channeldesk.audit.context import job_names_follow
        from channeldesk.audit.tracking import tracked_models_register

        # Edits of the models people change are recorded by django-auditlog's signals; the
        # list of models and their secret fields lives in one place (tracking.py).
        tracked_models_register()
        # Entries written inside a huey task name the task as where they came from.
        job_names_follow()
