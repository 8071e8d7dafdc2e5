"""Rows of allauth's social sign-in models for the admin walk (tests/admin): superusers only,
as every sign-in model (no staff role holds a permission on them, core/roles.py)."""

from __future__ import annotations

from allauth.socialaccount.models import SocialAccount

from tests.admin.access_table import AdminRow, superuser_only
from tests.personas import Personas

ADMIN_ACCESS: dict[str, AdminRow] = {
    "socialaccount.SocialAccount": superuser_only(),
}


def admin_rows(personas: Personas) -> None:
    """A staff login linked to the company's identity provider."""
    SocialAccount.objects.create(
        user=personas.support, provider="company", uid="support-1", extra_data={}
    )
