from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ContractsConfig(AppConfig):
    name = "channeldesk.contracts"
    label = "contracts"
    verbose_name = _("Contracts")

    def ready(self) -> None:
        # The outbox asks before sending a reminder e-mail whether its contract changed
        # meanwhile (see contracts/reminders/withdrawal.py and notifications/checks.py).
        from channeldesk.contracts.reminders.withdrawal import reminder_emails_moot
        from channeldesk.notifications.checks import send_check_register

        send_check_register(category_prefix="reminder:", check=reminder_emails_moot)
