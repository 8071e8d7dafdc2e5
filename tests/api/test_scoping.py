"""The selectors that scope partner data: the one place every face asks."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group

from channeldesk.catalog.models import Order
from channeldesk.catalog.selectors import orders_visible_to
from channeldesk.partners.selectors import (
    CHANNEL_MANAGER_GROUP,
    partner_for_user,
    partner_scope_filter,
    partners_visible_to,
    user_is_channel_manager,
    user_is_support_desk,
    user_is_vendor_staff,
)
from tests.access import PERSONA_NAMES
from tests.api.world import World
from tests.factories import MembershipFactory, UserFactory


def _numbers(world: World, persona: str) -> list[str]:
    partners = partners_visible_to(user=world.user(persona) or AnonymousUser())
    return list(partners.values_list("partner_number", flat=True))


def test_partners_visible_to_each_persona(world: World) -> None:
    assert {persona: _numbers(world, persona) for persona in PERSONA_NAMES} == {
        "anonymous": [],
        "outsider": [],
        "partner_a_admin": ["A-1000"],
        "partner_a_user": ["A-1000"],
        "partner_b_user": ["B-2000"],
        "support": ["A-1000", "B-2000", "C-3000"],
        "staff": ["A-1000", "B-2000", "C-3000"],
    }


def test_partner_for_user(world: World) -> None:
    assert partner_for_user(user=world.personas.partner_a_admin) == world.partner_a
    assert partner_for_user(user=world.personas.partner_b_user) == world.partner_b
    assert partner_for_user(user=world.personas.staff) is None
    assert partner_for_user(user=world.outsider) is None
    assert partner_for_user(user=AnonymousUser()) is None


def test_vendor_staff_with_a_membership_still_sees_every_partner(world: World) -> None:
    MembershipFactory(user=world.personas.support, partner=world.partner_b)

    assert _numbers(world, "support") == ["A-1000", "B-2000", "C-3000"]


def test_deactivated_partner_user_sees_nothing(world: World) -> None:
    user = world.personas.partner_a_user
    user.is_active = False

    assert list(partners_visible_to(user=user)) == []
    assert partner_for_user(user=user) is None


def test_orders_visible_to_follow_the_partner_scope(world: World) -> None:
    def order_keys(persona: str) -> set[tuple[str, str]]:
        orders = orders_visible_to(user=world.user(persona) or AnonymousUser())
        return set(orders.values_list("partner__partner_number", "order_number"))

    assert order_keys("partner_a_user") == {("A-1000", "10001"), ("A-1000", "10002")}
    assert order_keys("partner_b_user") == {("B-2000", "10001")}
    assert order_keys("outsider") == set()
    assert order_keys("anonymous") == set()
    assert len(order_keys("staff")) == 3


def test_scope_filter_adds_no_condition_for_staff(world: World) -> None:
    staff_orders = Order.objects.filter(partner_scope_filter(user=world.personas.staff))

    assert "WHERE" not in str(staff_orders.query)


def test_roles(world: World) -> None:
    manager = UserFactory(username="mia", is_staff=True)
    manager.groups.add(Group.objects.get_or_create(name=CHANNEL_MANAGER_GROUP)[0])
    not_staff_manager = UserFactory(username="nils")
    not_staff_manager.groups.add(Group.objects.get(name=CHANNEL_MANAGER_GROUP))
    personas = world.personas

    assert [user_is_channel_manager(user=u) for u in (personas.staff, manager)] == [True, True]
    assert [user_is_channel_manager(user=u) for u in (personas.support, not_staff_manager)] == [
        False,
        False,
    ]
    assert user_is_support_desk(user=personas.support) is True
    assert user_is_support_desk(user=personas.staff) is False
    assert user_is_vendor_staff(user=personas.partner_a_admin) is False
    assert user_is_vendor_staff(user=AnonymousUser()) is False
