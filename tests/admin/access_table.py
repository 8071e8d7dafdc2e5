"""Who may do what in the admin: one row per registered model, one entry per admin action.

tests/security/test_admin_access.py walks every admin URL of every model (changelist, add,
change, delete, history) and every action for every persona against this table, and fails for a
registered model or an action without a row here. A domain may also add rows of its own as
`ADMIN_ACCESS` in `tests/<domain>/admin_rows.py` (found by tests/domains.py).

The roles (core/roles.py): `staff` is the superuser, `manager` a channel manager who is not a
superuser (the "channel manager" group: every permission on ChannelDesk's own models), `support`
the support desk (view permissions only). Partner users, an outsider with a login and anonymous
visitors never get past the admin's login, so the table names only the three staff roles.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.files.base import ContentFile
from django.db.models import Model

from channeldesk.contracts.models import Reminder
from channeldesk.documents.models import Document
from channeldesk.licensing.models import Keycode
from channeldesk.tiers.models import Tier, TierCriterion, TierPolicy
from tests.domains import domain_modules

type Roles = frozenset[str]

SUPERUSER: Roles = frozenset({"staff"})
MANAGERS: Roles = frozenset({"staff", "manager"})
EVERY_STAFF: Roles = frozenset({"staff", "manager", "support"})
NOBODY: Roles = frozenset()

STAFF_ROLES = ("staff", "manager", "support")
# Never let in: they are sent to the login page, whatever they ask for.
LOCKED_OUT = ("partner_a_admin", "partner_a_user", "partner_b_user", "outsider", "anonymous")


def _first(model: type[Model]) -> Model | None:
    return model._default_manager.order_by("pk").first()


@dataclass(frozen=True)
class AdminRow:
    """Who opens the model's pages (`view`: changelist, change page read-only, history), who may
    add, save a change and delete (the object `pick` returns), and who is offered each action
    (Django's `delete_selected` follows `delete`)."""

    view: Roles
    add: Roles
    change: Roles
    delete: Roles
    actions: dict[str, Roles] = field(default_factory=dict)
    pick: Callable[[type[Model]], Model | None] = _first


def edited(**actions: Roles) -> AdminRow:
    """Master data the channel team keeps: everyone on the staff reads, managers write."""
    return AdminRow(EVERY_STAFF, MANAGERS, MANAGERS, MANAGERS, actions)


def machine_written(**actions: Roles) -> AdminRow:
    """Records the services write: read by every staff role, changed only through actions."""
    return AdminRow(EVERY_STAFF, NOBODY, NOBODY, NOBODY, actions)


def superuser_only(**actions: Roles) -> AdminRow:
    """Logins and their addresses: superusers only (no group holds a permission on them)."""
    return AdminRow(SUPERUSER, SUPERUSER, SUPERUSER, SUPERUSER, actions)


def _draft(model: type[Model]) -> Model | None:
    """A row of the draft policy: published policies are read-only for everyone."""
    draft = TierPolicy.objects.get(code="default")
    found = {
        TierPolicy: TierPolicy.objects.filter(pk=draft.pk),
        Tier: Tier.objects.filter(policy=draft),
        TierCriterion: TierCriterion.objects.filter(tier__policy=draft),
    }[model]
    return found.order_by("pk").first()


def draft_only() -> AdminRow:
    return AdminRow(EVERY_STAFF, MANAGERS, MANAGERS, MANAGERS, pick=_draft)


ADMIN_ACCESS: dict[str, AdminRow] = {
    # Django's and allauth's sign-in models.
    "auth.User": superuser_only(),
    "auth.Group": superuser_only(),
    "account.EmailAddress": superuser_only(make_verified=SUPERUSER),
    # Second factors: nobody sees the secret; only a superuser lists and removes them.
    "mfa.Authenticator": AdminRow(SUPERUSER, NOBODY, NOBODY, SUPERUSER),
    # core
    "core.ServiceToken": machine_written(revoke=MANAGERS),
    "core.UserPreference": edited(),
    # notifications (h1 owns the admin; the outbox is machine-written, acted on by actions)
    "notifications.OutboxMessage": AdminRow(
        EVERY_STAFF, NOBODY, MANAGERS, NOBODY, {"release": MANAGERS, "dismiss": MANAGERS}
    ),
    # partners
    "partners.Partner": edited(),
    "partners.Contact": edited(),
    "partners.PartnerMembership": edited(),
    # documents
    "documents.Document": machine_written(),
    # catalog
    "catalog.Product": edited(),
    "catalog.Order": edited(),
    "catalog.OrderLine": machine_written(),
    # tiers
    "tiers.TierPolicy": draft_only(),
    "tiers.Tier": draft_only(),
    "tiers.TierCriterion": draft_only(),
    "tiers.TierAssignment": machine_written(),
    "tiers.TierNotice": AdminRow(
        EVERY_STAFF, NOBODY, MANAGERS, NOBODY, {"release": MANAGERS, "dismiss": MANAGERS}
    ),
    "tiers.TierOverride": edited(),
    # training
    "training.Course": edited(),
    "training.Participant": edited(),
    "training.Enrollment": machine_written(),
    # feedback: the partner's own word, read by staff; managers may remove one.
    "feedback.PolicyFeedback": AdminRow(EVERY_STAFF, NOBODY, MANAGERS, MANAGERS),
    # contracts and reminders
    "contracts.Customer": edited(),
    "contracts.CustomerAssignment": machine_written(),
    "contracts.Contract": edited(),
    "contracts.ReminderSchedule": edited(),
    "contracts.ReminderRule": edited(),
    "contracts.Reminder": AdminRow(
        EVERY_STAFF, NOBODY, MANAGERS, NOBODY, {"release": MANAGERS, "dismiss": MANAGERS}
    ),
    # licensing
    "licensing.Keycode": machine_written(revoke=MANAGERS, rotate=MANAGERS),
    "licensing.KeycodeReveal": machine_written(),
    "licensing.LicenceCertificate": machine_written(),
    "licensing.Installation": machine_written(retire=MANAGERS),
    "licensing.ComplianceRecord": machine_written(),
    "licensing.ComplianceEpisode": machine_written(),
    "licensing.LicensingPolicy": edited(),
    # usage
    "usage.ServiceTerms": edited(),
    "usage.Subscription": edited(),
    "usage.UsageEvent": machine_written(),
    "usage.RatingResult": machine_written(),
    "usage.UsagePeriod": machine_written(),
    "usage.RerateRequest": machine_written(),
    "usage.Statement": machine_written(),
    # audit: the trail is read by superusers only and never written through the admin.
    "audit.AuditEntry": AdminRow(SUPERUSER, NOBODY, NOBODY, NOBODY),
}
for _module in domain_modules("admin_rows"):
    # A domain's admin_rows imports this module; imported first itself, it is still half-made
    # here and its rows would be missed without a word.
    if not hasattr(_module, "admin_rows"):
        raise ImportError(
            f"{_module.__name__} was imported before tests.admin.access_table: import that first"
        )
    ADMIN_ACCESS.update(getattr(_module, "ADMIN_ACCESS", {}))


def _stored_document() -> Document:
    """The fixture's archived letter, with a file behind it."""
    document = Document.objects.order_by("pk").first()
    assert document is not None
    if not document.file.storage.exists(document.file.name):
        document.file.save("admin-access.pdf", ContentFile(b"%PDF-1.4 admin access"))
    return document


def _document_pdf() -> dict[str, int]:
    return {"pk": _stored_document().pk}


def _reminder_letter() -> dict[str, int]:
    reminder = Reminder.objects.order_by("pk").first()
    assert reminder is not None
    Reminder.objects.filter(pk=reminder.pk).update(document=_stored_document())
    return {"pk": reminder.pk}


def _keycode() -> dict[str, int]:
    return {"pk": Keycode.objects.order_by("pk").values_list("pk", flat=True)[0]}


@dataclass(frozen=True)
class CustomUrl:
    """An admin URL a model admin adds to the standard five: who may open it (GET, and POST
    when `post`), and the URL's arguments (`arguments` may set up the row it needs)."""

    allowed: Roles
    arguments: Callable[[], dict[str, int]]
    post: bool = False


CUSTOM_URLS: dict[str, CustomUrl] = {
    "documents_document_pdf": CustomUrl(EVERY_STAFF, _document_pdf),
    "contracts_reminder_letter": CustomUrl(EVERY_STAFF, _reminder_letter),
    # The whole keycode: GET asks to confirm, POST shows it and records the reveal.
    "licensing_keycode_reveal": CustomUrl(MANAGERS, _keycode, post=True),
}
STANDARD_VIEWS = ("changelist", "add", "history", "delete", "change")


def offered_actions(row: AdminRow, role: str, action_names: list[str]) -> set[str]:
    """The actions the role finds in the changelist's action menu."""
    roles = {**row.actions, "delete_selected": row.delete}
    return {name for name in action_names if role in roles.get(name, NOBODY)}
