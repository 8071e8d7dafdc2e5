"""A row of every admin model of the feedback domain, for the admin walk (tests/admin)."""

from __future__ import annotations

from django.db.models import Model

from channeldesk.feedback.models import PolicyFeedback
from channeldesk.tiers.models import TierPolicy
from tests.personas import Personas

READ_ONLY_MODELS: set[type[Model]] = {PolicyFeedback}


def admin_rows(personas: Personas) -> None:
    PolicyFeedback.objects.create(
        policy=TierPolicy.objects.get(code="default"),
        partner=personas.partner_a,
        author=personas.partner_a_user,
        stance="concerns",
        comment="Four orders a half-year are many for us.",
        current_tier="silver",
        projected_tier="authorized",
    )
