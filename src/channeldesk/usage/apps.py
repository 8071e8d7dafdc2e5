import datetime as dt
from decimal import Decimal

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsageConfig(AppConfig):
    name = "channeldesk.usage"
    label = "usage"
    verbose_name = _("Usage")

    def ready(self) -> None:
        # The statement letter is a kind of letter of the documents module's registry; its text
        # files are templates/usage/letters/usage_statement.<de|en>.txt in this app.
        from channeldesk.documents.composition import letter_template_register

        letter_template_register(
            kind="usage_statement",
            template="usage/letters/usage_statement",
            fields={
                "statement_number": str,
                "period_start": dt.date,
                "period_end": dt.date,
                "lines": list,
                "total": Decimal,
                "list_total": Decimal,
                "customer_name": str,
            },
            optional={"customer_name"},
        )
