from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LicensingConfig(AppConfig):
    name = "channeldesk.licensing"
    label = "licensing"
    verbose_name = _("Licensing")

    def ready(self) -> None:
        from channeldesk.licensing import checks  # noqa: F401 - registers the system checks
