"""The vendor's staff roles as Django groups, kept in line with the models after every migrate.

- channel manager: every permission on ChannelDesk's own models, `licensing.reveal_keycode`
  (seeing a whole keycode, recorded) included;
- support desk: view permissions only (the phone desk looks partners up, changes nothing, and
  sees keycodes masked).

Neither group holds a permission on Django's users and groups or on allauth's e-mail addresses
and second factors: those are the superusers' (docs/security-admin.md). Superusers are channel
managers without being in the group.
"""

from typing import Any

from django.contrib.auth.models import Group, Permission

CHANNEL_MANAGER = "channel manager"
SUPPORT_DESK = "support desk"
CHANNELDESK_APPS = (
    "core",
    "partners",
    "catalog",
    "training",
    "tiers",
    "pricing",
    "contracts",
    "licensing",
    "usage",
    "feedback",
    "backoffice",
    "documents",
    "notifications",
    "webhooks",
)


def roles_ensure(**kwargs: Any) -> None:
    """Create the two groups and (re)grant their permissions; safe to run any number of times."""
    ours = Permission.objects.filter(content_type__app_label__in=CHANNELDESK_APPS)
    manager, _ = Group.objects.get_or_create(name=CHANNEL_MANAGER)
    manager.permissions.add(*ours)
    support, _ = Group.objects.get_or_create(name=SUPPORT_DESK)
    support.permissions.add(*ours.filter(codename__startswith="view_"))
