"""The audit trail in the admin walk (tests/admin, tests/security): an entry to show. Its row in
tests/admin/access_table.py (superusers read, nobody adds, changes or deletes) lives there, not
here: this module is imported while that table is still being built."""

from __future__ import annotations

from django.db.models import Model

from channeldesk.audit.models import AuditEntry
from channeldesk.audit.services import audit_record
from tests.personas import Personas

READ_ONLY_MODELS: set[type[Model]] = {AuditEntry}


def admin_rows(personas: Personas) -> None:
    audit_record(
        action="tiers.apply",
        target=personas.partner_a,
        partner=personas.partner_a,
        counts={"partners": 1},
    )
