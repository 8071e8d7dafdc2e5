"""Admin rows of the tier notices for tests/admin: a notice of the assignment that
tests/admin/conftest.py gives partner A (no assignment of its own: that test counts them)."""

from __future__ import annotations

from django.db.models import Model

from channeldesk.tiers.models import NoticeDirection, TierAssignment, TierNotice
from tests.personas import Personas

READ_ONLY_MODELS: set[type[Model]] = {TierNotice}


def admin_rows(personas: Personas) -> None:
    assignment = TierAssignment.objects.select_related("policy").get(partner=personas.partner_a)
    TierNotice.objects.create(
        partner=personas.partner_a,
        assignment=assignment,
        previous_tier=assignment.policy.tiers.get(code="gold"),
        tier=assignment.tier,
        effective_from=assignment.valid_from,
        direction=NoticeDirection.DOWN,
        send_on=assignment.valid_from,
    )
