"""Reads of the partner register, and the one place where partner-visible data is scoped.

Every face (API, portal, back office, exports) asks these functions what a user may see; no
view filters by partner on its own. The rule (R11, docs/portal.md):

1. Vendor staff (`is_staff`, which includes the support desk) see every partner.
2. A partner user (a login with a `PartnerMembership`) sees its own partner and nothing else.
3. Anyone else, including anonymous and deactivated logins, sees nothing.

Other domains scope their rows through `partner_scope_filter` (one condition on their partner
foreign key, no subquery for staff) or `partners_visible_to` (a queryset to use with `__in`).
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from channeldesk.core.roles import CHANNEL_MANAGER, SUPPORT_DESK
from channeldesk.partners.models import Partner, PartnerMembership

CHANNEL_MANAGER_GROUP = CHANNEL_MANAGER
SUPPORT_DESK_GROUP = SUPPORT_DESK

type AnyUser = AbstractBaseUser | AnonymousUser


def user_is_vendor_staff(*, user: AnyUser) -> bool:
    """Whether the login belongs to the vendor; they manage partners directly (R8)."""
    return bool(user.is_active and getattr(user, "is_staff", False))


def user_is_channel_manager(*, user: AnyUser) -> bool:
    """Whether the login may change the programme; superusers always may."""
    if not user_is_vendor_staff(user=user):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return _user_in_group(user=user, group=CHANNEL_MANAGER_GROUP)


def user_is_support_desk(*, user: AnyUser) -> bool:
    """Whether the login is on the phone desk: it looks partners up but changes nothing."""
    return user_is_vendor_staff(user=user) and _user_in_group(user=user, group=SUPPORT_DESK_GROUP)


def _user_in_group(*, user: AnyUser, group: str) -> bool:
    groups = getattr(user, "groups", None)
    return groups is not None and groups.filter(name=group).exists()


def membership_for_user(*, user: AnyUser) -> PartnerMembership | None:
    """The login's membership, or None for vendor staff, outsiders and anonymous users.

    Django caches the reverse one-to-one on the user object, so asking again within one request
    costs no further query. A user without membership raises `RelatedObjectDoesNotExist`, which
    is an `AttributeError`, so `getattr` answers None for it.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    membership: PartnerMembership | None = getattr(user, "partner_membership", None)
    return membership


def partner_for_user(*, user: AnyUser) -> Partner | None:
    """The partner a partner user acts for; None for everyone else, vendor staff included."""
    membership = membership_for_user(user=user)
    return membership.partner if membership is not None else None


def partner_scope_filter(*, user: AnyUser, lookup: str = "partner") -> Q:
    """A filter that keeps the rows whose partner the user may see.

    `lookup` is the path from the filtered model to its partner foreign key (`"partner"` for
    orders, `"contract__partner"` for something further away, `"pk"` for partners themselves).
    Staff get an empty condition rather than a subquery, so scoping costs nothing on the large
    tables they browse; a partner user gets one equality on the partner id.
    """
    if user_is_vendor_staff(user=user):
        return Q()
    membership = membership_for_user(user=user)
    if membership is None:
        return Q(pk__in=[])
    return Q(**{lookup: membership.partner_id})


def partners_visible_to(*, user: AnyUser) -> QuerySet[Partner]:
    """The partners the user may see: all for staff, its own for a partner user, else none."""
    return Partner.objects.filter(partner_scope_filter(user=user, lookup="pk"))


def partners_search(
    *, partners: QuerySet[Partner], status: str | None = None, search: str | None = None
) -> QuerySet[Partner]:
    """Partners narrowed by status and by a fragment of their number or name.

    The phone desk finds a caller by whatever they say first, the number or the company name,
    so one search term looks in both.
    """
    if status:
        partners = partners.filter(status=status)
    if search:
        partners = partners.filter(Q(partner_number__icontains=search) | Q(name__icontains=search))
    return partners
