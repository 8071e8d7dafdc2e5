"""The models whose edits django-auditlog records, and which of their fields it leaves out.

Only what people decide is tracked: the tier programme (policies, tiers with their discounts
and support hotlines, criteria, overrides), the partner register and its users' roles,
contracts, staff logins with their roles (groups) and second factors, tokens and the licensing
policy. Rows the machines write by the thousand (order lines, assignments, heartbeats, usage
events, outbox messages) are not tracked one by one: their runs write one explicit entry each
(`audit_record`), and bulk writes (`update`, `bulk_create`) send no signals anyway.

Secrets never enter the trail: password hashes, token digests and second-factor data are
excluded, and the fields a login or a token use touch (`last_login`, `last_used_at`) are left
out so that signing in is not recorded as an edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from auditlog.registry import auditlog
from django.apps import apps
from django.db import models


@dataclass(frozen=True)
class Tracked:
    """A tracked model: the fields left out, the many-to-many fields followed, and the
    attribute that names the partner an edit concerns (`pk` for the partner itself)."""

    exclude: tuple[str, ...] = ()
    many_to_many: tuple[str, ...] = ()
    partner: str | None = None


TRACKED: dict[str, Tracked] = {
    # The tier programme: policies, their tiers (discounts, hotlines), criteria, overrides.
    "tiers.TierPolicy": Tracked(),
    "tiers.Tier": Tracked(),
    "tiers.TierCriterion": Tracked(),
    "tiers.TierOverride": Tracked(partner="partner_id"),
    # The partner register and the partner users' roles.
    "partners.Partner": Tracked(partner="pk"),
    "partners.Contact": Tracked(partner="partner_id"),
    "partners.PartnerMembership": Tracked(partner="partner_id"),
    # Contracts and their renewals (a renewal is a new contract naming the one it renews).
    "contracts.Contract": Tracked(partner="partner_id"),
    # Logins, their roles (the staff groups) and second factors.
    "auth.User": Tracked(exclude=("password", "last_login"), many_to_many=("groups",)),
    "account.EmailAddress": Tracked(),
    "mfa.Authenticator": Tracked(exclude=("data", "last_used_at")),
    # Tokens for other systems and people's own API tokens.
    "core.ServiceToken": Tracked(exclude=("digest", "last_used_at")),
    # What the compliance scan tolerates.
    "licensing.LicensingPolicy": Tracked(),
}

# Left out everywhere: when a row was last written says nothing the entry's own time does not.
ALWAYS_EXCLUDED = ("updated_at",)

_partner_paths: dict[type[models.Model], str] = {}


def tracked_models_register() -> None:
    """Register every tracked model with auditlog (from the app's `ready()`)."""
    for label, tracked in TRACKED.items():
        model = apps.get_model(label)
        auditlog.register(
            model,
            exclude_fields=[*tracked.exclude, *ALWAYS_EXCLUDED],
            m2m_fields=set(tracked.many_to_many),
        )
        if tracked.partner is not None:
            _partner_paths[model] = tracked.partner


def partner_of(instance: models.Model) -> int | None:
    """The id of the partner an edit of `instance` concerns, if its model names one."""
    path = _partner_paths.get(type(instance))
    if path is None:
        return None
    value = getattr(instance, path, None)
    return value if isinstance(value, int) else None
