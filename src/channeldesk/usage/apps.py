import datetime as dt
from decimal import Decimal

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class UsageConfig(AppConfig):
    name = "channeldesk.usage"
    label = "usage"
    verbose_name = _("Usage")

    def ready(self) -> None:
        # The statement letter is a template of the documents module's registry (a plain dict of
        # template name to context); its text files live in this app's templates directory.
        from channeldesk.documents.composition import LETTER_TEMPLATES, LetterTemplate

        LETTER_TEMPLATES.setdefault(
            "usage_statement",
            LetterTemplate(
                fields={
                    "statement_number": str,
                    "period_start": dt.date,
                    "period_end": dt.date,
                    "lines": list,
                    "total": Decimal,
                    "list_total": Decimal,
                    "customer_name": str,
                },
                optional=frozenset({"customer_name"}),
            ),
        )
