"""The audit trail in the admin walk (tests/admin, tests/security): readable by superusers,
never added, changed or deleted by anyone."""

from __future__ import annotations

from django.db.models import Model

from channeldesk.audit.models import AuditEntry
from channeldesk.audit.services import audit_record
from tests.admin.access_table import NOBODY, SUPERUSER, AdminRow
from tests.conftest import Personas

ADMIN_ACCESS = {"audit.AuditEntry": AdminRow(SUPERUSER, NOBODY, NOBODY, NOBODY)}
READ_ONLY_MODELS: set[type[Model]] = {AuditEntry}


def admin_rows(personas: Personas) -> None:
    audit_record(
        action="tiers.apply",
        target=personas.partner_a,
        partner=personas.partner_a,
        counts={"partners": 1},
    )
