"""The permission classes other endpoints combine: who passes, per persona and method."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from channeldesk.api.permissions import (
    IsChannelManager,
    IsPartnerUserOrVendorStaff,
    IsSupportDeskReadOnly,
    IsVendorStaff,
)
from channeldesk.partners.selectors import CHANNEL_MANAGER_GROUP
from tests.access import PERSONA_NAMES
from tests.api.world import World
from tests.factories import UserFactory


def _passes(permission: BasePermission, user: object, method: str) -> bool:
    request = Request(getattr(APIRequestFactory(), method)("/api/v1/anything/"))
    request.user = user if user is not None else AnonymousUser()
    return permission.has_permission(request, view=None)


def _who_passes(world: World, permission: BasePermission, method: str) -> list[str]:
    return [
        persona for persona in PERSONA_NAMES if _passes(permission, world.user(persona), method)
    ]


@pytest.mark.parametrize("method", ["get", "post"])
def test_vendor_staff_means_staff_and_support_desk(world: World, method: str) -> None:
    assert _who_passes(world, IsVendorStaff(), method) == ["support", "staff"]


@pytest.mark.parametrize("method", ["get", "post"])
def test_channel_manager_means_superuser_or_group_member(world: World, method: str) -> None:
    manager = UserFactory(username="mia", is_staff=True)
    manager.groups.add(Group.objects.get_or_create(name=CHANNEL_MANAGER_GROUP)[0])

    assert _who_passes(world, IsChannelManager(), method) == ["staff"]
    assert _passes(IsChannelManager(), manager, method) is True


def test_support_desk_may_read_but_not_write(world: World) -> None:
    assert _who_passes(world, IsSupportDeskReadOnly(), "get") == ["support"]
    assert _who_passes(world, IsSupportDeskReadOnly(), "head") == ["support"]
    assert _who_passes(world, IsSupportDeskReadOnly(), "post") == []
    assert _who_passes(world, IsSupportDeskReadOnly(), "delete") == []


def test_managers_change_and_support_desk_reads_when_combined(world: World) -> None:
    combined = (IsChannelManager | IsSupportDeskReadOnly)()

    assert _who_passes(world, combined, "get") == ["support", "staff"]
    assert _who_passes(world, combined, "patch") == ["staff"]


def test_partner_users_and_staff_pass_outsiders_do_not(world: World) -> None:
    assert _who_passes(world, IsPartnerUserOrVendorStaff(), "get") == [
        "partner_a_admin",
        "partner_a_user",
        "partner_b_user",
        "support",
        "staff",
    ]
