import datetime as dt
from decimal import Decimal

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TiersConfig(AppConfig):
    name = "channeldesk.tiers"
    label = "tiers"
    verbose_name = _("Tiers")

    def ready(self) -> None:
        # The tier-change notice (tiers/notice_texts.py) is a kind of letter of the documents
        # module's registry; its text files are templates/tiers/letters/tier_notice.<de|en>.txt.
        from channeldesk.documents.composition import letter_template_register

        letter_template_register(
            kind="tier_notice",
            template="tiers/letters/tier_notice",
            fields={
                "partner_name": str,
                "old_tier": str,
                "new_tier": str,
                "target_tier": str,  # the better tier a down or held-back partner missed
                "direction": str,  # a NoticeDirection: up, down, unchanged, held_back
                "effective_from": dt.date,
                "discount": Decimal,
                "old_discount": Decimal,
                "hotline": str,
                "hotline_hours": str,
                "callback_minutes": int,  # left out when the tier promises no call-back
                "missing": list,  # the criteria that did not hold, as phrases
                "requirements_missing": bool,
                "only_requirements": bool,
            },
            optional={"callback_minutes"},
        )
