"""The personas access table of the admin (security-admin.md): every admin URL of every registered
model and every admin action, for every persona, against tests/admin/access_table.py.

Given one row of every admin model (tests/admin/conftest.py) and the cast of tests/conftest.py
plus a channel manager who is not a superuser and an outsider with a login, when each persona
opens the changelist, add, change, delete and history pages, posts to the refused ones and
runs every action, then the answer is the table's, and nothing changed on any refusal (no row
of any admin model added, removed or altered; no log entry written).

The admin's index, each app's page and the URLs model admins add (a letter's PDF, a keycode's
reveal) are walked too. One test per persona walks every model, collecting every mismatch, so
the heavy fixture is built eight times, not once per model and page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.options import ModelAdmin
from django.contrib.auth.models import Group
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from channeldesk.core.roles import SUPPORT_DESK
from tests.admin.access_table import (
    ADMIN_ACCESS,
    CUSTOM_URLS,
    LOCKED_OUT,
    STAFF_ROLES,
    STANDARD_VIEWS,
    AdminRow,
    offered_actions,
)
from tests.admin.factories import admin_data_build
from tests.factories import UserFactory
from tests.personas import Personas, channel_manager_create, sign_in

REGISTERED: dict[str, tuple[type[Model], ModelAdmin]] = {
    model._meta.label: (model, model_admin) for model, model_admin in admin.site._registry.items()
}
PERSONAS = (*STAFF_ROLES, *LOCKED_OUT)
LOGIN_PATHS = ("/admin/login/", "/accounts/login/")


def _action_names(model_admin: ModelAdmin) -> list[str]:
    """Every action of the model's admin, before Django filters them by permission."""
    return [name for _function, name, _description in model_admin._get_base_actions()]


def test_every_admin_model_has_a_row_in_the_access_table() -> None:
    assert sorted(set(REGISTERED) - set(ADMIN_ACCESS)) == []
    assert sorted(set(ADMIN_ACCESS) - set(REGISTERED)) == []


def _custom_url_names() -> set[str]:
    """The names of the URLs model admins add beyond changelist, add, change, delete, history."""
    return {
        pattern.name
        for _model, model_admin in REGISTERED.values()
        for pattern in model_admin.get_urls()
        if getattr(pattern, "name", None) and not pattern.name.endswith(STANDARD_VIEWS)
    }


def test_every_custom_admin_url_has_a_row_in_the_access_table() -> None:
    assert sorted(_custom_url_names() ^ set(CUSTOM_URLS)) == []


def test_every_admin_action_has_a_row_in_the_access_table() -> None:
    missing = [
        f"{label}: {name}"
        for label, (_model, model_admin) in REGISTERED.items()
        for name in _action_names(model_admin)
        if name != "delete_selected" and name not in ADMIN_ACCESS[label].actions
    ]
    unknown = [
        f"{label}: {name}"
        for label, row in ADMIN_ACCESS.items()
        for name in row.actions
        if label in REGISTERED and name not in _action_names(REGISTERED[label][1])
    ]

    assert missing == []
    assert unknown == []


def test_every_admin_action_declares_the_permission_it_needs() -> None:
    """An action without `permissions=` is offered to everyone who can see the changelist,
    the read-only support desk included."""
    undeclared = [
        f"{label}: {name}"
        for label, (_model, model_admin) in REGISTERED.items()
        for function, name, _description in model_admin._get_base_actions()
        if not getattr(function, "allowed_permissions", ())
    ]

    assert undeclared == []


@dataclass
class Walk:
    """One persona's walk through the admin, with everything that did not match the table."""

    client: Client
    role: str
    problems: list[str]

    def expect(self, what: str, response: Any, status: int) -> None:
        if self.role in LOCKED_OUT:
            location = response.get("Location", "") if response.status_code == 302 else ""
            if not location.startswith(LOGIN_PATHS):
                self.problems.append(f"{what}: {response.status_code} {location!r}, not to login")
            return
        if response.status_code != status:
            self.problems.append(f"{what}: {response.status_code}, expected {status}")

    def unchanged(self, what: str, before: dict[str, Any]) -> None:
        after = _state()
        changed = sorted(key for key in before if before[key] != after[key])
        if changed:
            self.problems.append(f"{what}: refused, yet changed {changed}")


def _state() -> dict[str, Any]:
    """Every row of every admin model, and the admin's log (the fixture's tables are small)."""
    state: dict[str, Any] = {
        label: list(model._default_manager.order_by("pk").values())
        for label, (model, _model_admin) in REGISTERED.items()
    }
    state["admin.LogEntry"] = LogEntry.objects.count()
    return state


def _url(model: type[Model], view: str, *args: object) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _allowed(walk: Walk, roles: frozenset[str]) -> bool:
    return walk.role in roles


def _status(walk: Walk, roles: frozenset[str]) -> int:
    return 200 if _allowed(walk, roles) else 403


def _walk_pages(walk: Walk, label: str, model: type[Model], row: AdminRow) -> None:
    obj = row.pick(model)
    assert obj is not None, f"Add a {label} to the admin_data fixture"
    views = row.view | row.change
    pages = {
        "changelist": (_url(model, "changelist"), views),
        "add": (_url(model, "add"), row.add),
        "change": (_url(model, "change", obj.pk), views),
        "history": (_url(model, "history", obj.pk), views),
        "delete": (_url(model, "delete", obj.pk), row.delete),
    }
    for page, (url, roles) in pages.items():
        walk.expect(f"{label} {page} GET", walk.client.get(url), _status(walk, roles))
    refusals = {
        "add": (pages["add"][0], row.add, {}),
        "change": (pages["change"][0], row.change, {}),
        "delete": (pages["delete"][0], row.delete, {"post": "yes"}),
    }
    for page, (url, roles, data) in refusals.items():
        if _allowed(walk, roles):
            continue
        before = _state()
        response = walk.client.post(url, data)
        walk.expect(f"{label} {page} POST", response, 403)
        walk.unchanged(f"{label} {page} POST", before)


def _walk_actions(walk: Walk, label: str, model: type[Model], row: AdminRow, names: list[str]):
    obj = row.pick(model)
    assert obj is not None
    offered = offered_actions(row, walk.role, names)
    views = row.view | row.change
    if _allowed(walk, views):
        response = walk.client.get(_url(model, "changelist"))
        form = response.context.get("action_form") if response.context else None
        shown = {name for name, _text in form.fields["action"].choices if name} if form else set()
        if shown != offered:
            walk.problems.append(f"{label} actions offered: {sorted(shown)}, not {sorted(offered)}")
    for name in names:
        if name in offered:
            continue
        before = _state()
        data = {"action": name, "_selected_action": [obj.pk], "index": 0, "reason": "Testing."}
        response = walk.client.post(_url(model, "changelist"), data)
        # Refused in the menu: back to the list ("No action selected"), or the plain list
        # when the persona has no action at all; no page at all without the view permission.
        status = (302 if offered else 200) if _allowed(walk, views) else 403
        walk.expect(f"{label} action {name}", response, status)
        walk.unchanged(f"{label} action {name}", before)


def _walk_site(walk: Walk) -> None:
    """The admin's index and each app's page: an app lists what the role may see, else 404."""
    walk.expect("index", walk.client.get(reverse("admin:index")), 200)
    apps: dict[str, set[str]] = {}
    for label, (model, _model_admin) in REGISTERED.items():
        row = ADMIN_ACCESS[label]
        apps.setdefault(model._meta.app_label, set()).update(row.view | row.change | row.add)
    for app_label, roles in sorted(apps.items()):
        url = reverse("admin:app_list", kwargs={"app_label": app_label})
        walk.expect(f"app {app_label}", walk.client.get(url), 200 if walk.role in roles else 404)


def _walk_custom_urls(walk: Walk) -> None:
    for name, custom in sorted(CUSTOM_URLS.items()):
        url = reverse(f"admin:{name}", kwargs=custom.arguments())
        methods = ("get", "post") if custom.post else ("get",)
        for method in methods:
            before = _state()
            response = getattr(walk.client, method)(url)
            walk.expect(f"{name} {method.upper()}", response, _status(walk, custom.allowed))
            if not _allowed(walk, custom.allowed):
                walk.unchanged(f"{name} {method.upper()}", before)


@pytest.fixture
def cast(personas: Personas) -> dict[str, Any]:
    """The personas plus a channel manager who is not a superuser and an outsider: a login
    with no partner and no staff flag."""
    return {
        **personas.all(),
        "manager": channel_manager_create(),
        "outsider": UserFactory(username="outsider"),
        "anonymous": None,
    }


def test_the_roles_hold_the_permissions_the_table_assumes(cast: dict[str, Any]) -> None:
    support_group = Group.objects.get(name=SUPPORT_DESK)
    support_codenames = set(support_group.permissions.values_list("codename", flat=True))

    assert support_codenames
    assert {codename.split("_")[0] for codename in support_codenames} == {"view"}
    assert cast["manager"].has_perm("licensing.reveal_keycode")
    assert not cast["support"].has_perm("licensing.reveal_keycode")
    assert not cast["manager"].has_perm("mfa.view_authenticator")


@pytest.mark.parametrize("role", PERSONAS)
def test_persona_gets_what_the_access_table_says_from_every_admin_page_and_action(
    role: str, personas: Personas, cast: dict[str, Any]
) -> None:
    admin_data_build(personas)
    client = Client()
    if cast[role] is not None:
        sign_in(client, cast[role])
    walk = Walk(client=client, role=role, problems=[])

    _walk_site(walk)
    for label, (model, model_admin) in sorted(REGISTERED.items()):
        row = ADMIN_ACCESS[label]
        _walk_pages(walk, label, model, row)
        _walk_actions(walk, label, model, row, _action_names(model_admin))
    _walk_custom_urls(walk)

    assert walk.problems == [], "\n".join(walk.problems)
